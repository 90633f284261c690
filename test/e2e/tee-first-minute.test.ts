/**
 * A tee testnet is cheap from its first minute: booted just after the middle of an epoch (the worst moment for the
 * old coordinator rule, which planned at once from the few reports a booting node holds), `launchTestnet` returns
 * only when every node runs a plan of all 8 nodes, and a workload sent right after that costs what the same
 * workload costs in the next epoch, within noise. Real node processes; a 20 s epoch keeps the test short.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { launchTestnet } from '../../testnets/launcher.ts'
import { runTransferWorkload } from '../../bench/workload/workload.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import type { TeeStatus } from '../../src/rpc/teecast.ts'
import { snapshotStats } from '../../bench/p2p-snapshot.ts'
import { wireCost } from '../../bench/stats/wire.ts'
import { makeTestnet } from '../helpers/testnet.ts'

const EPOCH_MS = 20_000
const NODES = 8
let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription
let epochZeroMs: number
const status = (n: TestnetNode) => rpcCall<TeeStatus>(n.rpcUrl, 'teecast_teeStatus', [])
const phase = (): number => (((Date.now() - epochZeroMs) % EPOCH_MS) + EPOCH_MS) % EPOCH_MS

/** Bytes received per node per tx over every protocol (tee/1, eth, p2p), and tee/1 TxItems messages, for `count` txs. */
async function costOf(count: number): Promise<{ bytes: number; txItems: number; epoch: number }> {
  const before = await snapshotStats(d)
  const r = await runTransferWorkload(d, { count, rate: 20, inclusionTimeoutMs: 90_000 })
  assert.equal(r.committed, count)
  // Let the last items and their digests settle before reading the counters.
  await sleep(3000)
  const cost = wireCost(before, await snapshotStats(d), count)
  const s = await status(d.nodes[0]!)
  const bytes = Object.values(cost.byMessage).reduce((sum, m) => sum + m.bytesIn, 0)
  return { bytes, txItems: cost.byMessage['tee/TxItems']?.msgsIn ?? 0, epoch: s.epoch ?? -1 }
}

before(async () => {
  net = await makeTestnet({ nodes: NODES, signers: 2, degree: 4, seed: 'e2e-tee-first-minute', propagation: 'tee', teeEpochMs: EPOCH_MS })
  d = net.d
  epochZeroMs = Number(BigInt(JSON.parse(readFileSync(d.genesisPath, 'utf8')).timestamp)) * 1000
  // Start just after mid-epoch.
  const target = EPOCH_MS / 2 + 500
  await sleep((target - phase() + EPOCH_MS) % EPOCH_MS)
  d = await launchTestnet(net.dir, { readyTimeoutMs: 180_000 })
})
after(async () => net?.cleanup())

test('booted just after mid-epoch, every node runs a plan of all nodes when launchTestnet returns', async () => {
  const s = await Promise.all(d.nodes.map(status))
  for (const [i, x] of s.entries()) assert.equal(x.planNodes, NODES, `${d.nodes[i]!.name}: ${JSON.stringify({ epoch: x.epoch, planNodes: x.planNodes })}`)
})

test('a workload sent right after up costs what it costs in the next epoch, within noise', async () => {
  const first = await costOf(60)
  // The next epoch's plan, then the same workload again.
  const nextEpoch = first.epoch + 1
  for (let i = 0; i < 60; i++) {
    const s = await Promise.all(d.nodes.map(status))
    if (s.every((x) => (x.epoch ?? -1) >= nextEpoch)) break
    await sleep(1000)
  }
  const steady = await costOf(60)
  const why = `first minute ${first.bytes.toFixed(0)} B and ${first.txItems.toFixed(2)} TxItems msgs per node per tx (epoch ${first.epoch}); next epoch ${steady.bytes.toFixed(0)} B and ${steady.txItems.toFixed(2)} (epoch ${steady.epoch})`
  console.log(why)
  assert.ok(steady.epoch > first.epoch, `the second workload ran in a later epoch: ${why}`)
  // A flood would send each tx to every node about degree times: TxItems near 4 per node per tx, not near 1.
  assert.ok(first.txItems <= 1.3, why)
  assert.ok(first.bytes <= 1.25 * steady.bytes, why)
})
