/**
 * tee/1 end to end on 8 real node processes in a mixed network: tee nodes with an enclave (attested relays), tee
 * nodes without one (unattested leaves), and stock-only nodes that speak eth/68 alone. A plan is agreed, every tx
 * sent over RPC to any node reaches every node and is committed, tee nodes exchange txs over tee/1 only, and
 * stock nodes never see a tee/1 frame.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { launchTestnet } from '../../testnets/launcher.ts'
import { runTransferWorkload } from '../../bench/workload/workload.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import type { P2pStats, TeeStatus } from '../../src/rpc/teecast.ts'
import { agreedHead, eventually, makeTestnet } from '../helpers/testnet.ts'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription
const teeNodes = (): TestnetNode[] => d.nodes.filter((n) => n.propagation === 'tee')
const stats = (n: TestnetNode) => rpcCall<P2pStats>(n.rpcUrl, 'teecast_p2pStats', [])
const status = (n: TestnetNode) => rpcCall<TeeStatus>(n.rpcUrl, 'teecast_teeStatus', [])

before(async () => {
  net = await makeTestnet({ nodes: 8, signers: 2, degree: 4, seed: 'e2e-tee-mixed', propagation: 'tee', propagationOverrides: { 6: 'stock', 7: 'stock' }, teeFraction: 0.5, teeEpochMs: 5_000 })
  d = await launchTestnet(net.dir, { readyTimeoutMs: 120_000 })
})
after(async () => net?.cleanup())

test('the mixed network has attested tee nodes, unattested tee nodes and stock nodes', () => {
  const tee = teeNodes()
  assert.ok(tee.some((n) => n.tee === true), 'some tee node has an enclave')
  assert.ok(tee.some((n) => n.tee !== true), 'some tee node has none')
  assert.equal(d.nodes.filter((n) => n.propagation === 'stock').length, 2)
})

test('every tee node adopts one signed plan; only attested nodes are interior relays', async () => {
  const attested = new Set(teeNodes().filter((n) => n.tee === true).map((n) => n.nodeId))
  const plans = await eventually('a plan on every tee node', 60_000, async () => {
    const s = await Promise.all(teeNodes().map(status))
    return s.every((x) => x.epoch !== null && x.epoch === s[0]!.epoch) ? s : undefined
  }, 500)
  for (const s of plans) {
    assert.ok(s.interior.length > 0)
    for (const id of s.interior) assert.ok(attested.has(id), `interior relay ${id.slice(0, 8)} is attested`)
    assert.ok(attested.has(s.coordinator!), 'the coordinator is attested')
  }
  // Unattested tee nodes are in the plan as leaves.
  const leaves = plans.filter((_, i) => teeNodes()[i]!.tee !== true)
  for (const s of leaves) {
    assert.equal(s.attested, false)
    assert.equal(s.relays, 0)
  }
  // A stock node has no relay.
  await assert.rejects(status(d.nodes[6]!), /does not run tee propagation/)
})

/**
 * Every tee node runs one plan (one epoch, one coordinator) in which every attested tee node may relay (is in
 * `interior`) and every tee node is a member. Under a plan an unattested peer enters reports once its link is 10 s
 * old, and a group away from the coordinator joins at the next epoch, so this is checked over a while.
 */
async function coversEveryAttestedNode(): Promise<void> {
  const attested = teeNodes().filter((n) => n.tee === true).map((n) => n.nodeId)
  let last = ''
  await eventually('one plan covering every attested node', 90_000, async () => {
    const s = await Promise.all(teeNodes().map(status))
    last = JSON.stringify(s.map((x, i) => ({ name: teeNodes()[i]!.name, epoch: x.epoch, coordinator: x.coordinator?.slice(0, 8), planNodes: x.planNodes, inPlan: x.inPlan, interior: x.interior.length })))
    const one = s.every((x) => x.epoch !== null && x.epoch === s[0]!.epoch && x.coordinator === s[0]!.coordinator)
    const covered = s.every((x) => x.inPlan && attested.every((id) => x.interior.includes(id)))
    if (one && covered) return true
    throw new Error(`not yet one plan covering every attested node: ${last}`)
  }, 500)
}

test('every tee node runs one plan that covers every attested node as a relay', async () => {
  await coversEveryAttestedNode()
})

test('txs sent to any node reach every node and are committed; tee nodes carry them on tee/1', async () => {
  const before = await Promise.all(d.nodes.map(stats))
  const r = await runTransferWorkload(d, { count: 120, rate: 30, inclusionTimeoutMs: 90_000 })
  assert.equal(r.committed, 120)
  const hashes = r.sent.map((t) => t.hash)
  // Reach, not speed: an item crosses between the groups' subtrees by digest and pull at an unattested node (or over
  // eth/68 through a stock node), a second or two after the others have it.
  for (const n of d.nodes) {
    await eventually(`${n.name} saw every tx`, 30_000, async () => {
      const seen = await rpcCall<Record<string, number | null>>(n.rpcUrl, 'teecast_firstSeen', [hashes])
      const missing = hashes.filter((h) => seen[h] === null)
      if (missing.length === 0) return true
      // What the node knows, for a failure report: its head, and as a tee node its plan and relay counters.
      const head = await rpcCall<string>(n.rpcUrl, 'eth_blockNumber', []).catch(() => '?')
      const tee = n.propagation === 'tee' ? JSON.stringify(await status(n).catch((e: Error) => e.message)) : 'stock'
      const first = hashes.indexOf(missing[0]!)
      throw new Error(`${missing.length} of ${hashes.length} not seen (first missing: #${first}); head ${head}; ${tee}`)
    }, 500)
  }
  const after = await Promise.all(d.nodes.map(stats))
  const statuses = await Promise.all(teeNodes().map(async (n) => ({ name: n.name, ...(await status(n)) })))
  const delta = (i: number, key: string, dir: 'in' | 'out' = 'in') => (after[i]!.messages[key]?.[dir] ?? 0) - (before[i]!.messages[key]?.[dir] ?? 0)
  const why = JSON.stringify(statuses.map((s) => ({ name: s.name, epoch: s.epoch, inPlan: s.inPlan, planNodes: s.planNodes, relays: s.relays, teePeers: s.teePeers.length, counters: s.counters })))
  const onlyTeePeers = (n: TestnetNode): boolean => n.peers.every((p) => d.nodes.find((x) => x.name === p)?.propagation === 'tee')
  d.nodes.forEach((n, i) => {
    if (n.propagation === 'stock') {
      assert.equal(Object.keys(after[i]!.messages).filter((k) => k.startsWith('tee/')).length, 0, `${n.name} saw no tee/1 frame`)
      return
    }
    // A tee node with tee peers only has no other way to get txs than tee/1. One with a stock peer may get every tx
    // over eth/68 before tee/1 brings it: an attested group of one node (n5 here) has no tree neighbour of its own
    // group, and txs cross into it by digest and pull. It is then their origin on tee/1, and sends them there.
    if (onlyTeePeers(n)) assert.ok(delta(i, 'tee/TxItems') > 0, `${n.name} received txs over tee/1; tee nodes: ${why}`)
    else assert.ok(delta(i, 'tee/TxItems') + delta(i, 'tee/TxItems', 'out') > 0, `${n.name} carried txs on tee/1, in or out; tee nodes: ${why}`)
  })
  // This network's two attested groups (n5 alone, n2-n3) are joined only through unattested and stock nodes: the
  // plan vouches for the group away from the coordinator by its quote, and gives each group a subtree of its own.
  await coversEveryAttestedNode()
  // Between tee nodes nothing goes over eth: a tee node whose peers are all tee nodes receives no eth tx message.
  d.nodes.forEach((n, i) => {
    if (n.propagation !== 'tee' || n.peers.some((p) => p === 'n6' || p === 'n7')) return
    assert.equal(delta(i, 'eth/Transactions') + delta(i, 'eth/NewPooledTransactionHashes'), 0, `${n.name} got no eth tx traffic`)
  })
  await agreedHead(d.nodes, 60_000)
})
