/**
 * Real processes on a 4-node ring (2 signers, period 2 s):
 * - a late joiner started after block 5 reaches the network head within 3 block periods;
 * - SIGTERM stops a node in < 3 s with LevelDB closed cleanly (it reopens with its chain);
 * - a node killed with SIGKILL keeps its chain from LevelDB, is redialled by its static peers, and catches up.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { isAlive, logTail, startNodeProcess, stopPid, waitUntilReady } from '../../testnets/launcher.ts'
import { readTestnet, writeTestnet, type TestnetDescription, type TestnetNode } from '../../testnets/description.ts'
import { rpcCall, waitForRpc } from '../../src/rpc/client.ts'
import type { P2pStats } from '../../src/rpc/teecast.ts'
import { eventually, head, makeTestnet } from '../helpers/testnet.ts'
import { setTimeout as sleep } from 'node:timers/promises'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription
let late: TestnetNode
const PERIOD_MS = 2_000

before(async () => {
  net = await makeTestnet({ nodes: 4, signers: 2, degree: 2, seed: 'e2e-catch-up', period: PERIOD_MS / 1000 })
  d = net.d
  late = d.nodes[3]!
  for (const n of d.nodes.slice(0, 3)) n.pid = await startNodeProcess(net.dir, n)
  writeTestnet(net.dir, d)
})
after(async () => net?.cleanup())

/** Time from the node answering RPC until its head is at least the head others had then. */
async function catchUpMs(n: TestnetNode, reference: TestnetNode): Promise<number> {
  await waitForRpc(n.rpcUrl, 30_000)
  const t0 = Date.now()
  const target = (await head(reference)).number
  await eventually(`${n.name} reaches block ${target}`, 10 * PERIOD_MS, async () => ((await head(n)).number >= target ? true : undefined))
  return Date.now() - t0
}

test('a node started after block 5 catches up within 3 block periods', async () => {
  const n0 = d.nodes[0]!
  await eventually('block 5 on n0', 60_000, async () => ((await head(n0)).number >= 5 ? true : undefined), 500).catch((e: Error) => {
    // Say whether the process was there at all, and what its log says.
    throw new Error(`${e.message}; n0 (pid ${n0.pid}) ${n0.pid !== null && isAlive(n0.pid) ? 'runs' : 'exited'}; its log ends: ${logTail(n0.logPath)}`)
  })
  const t0Late = Date.now()
  late.pid = await startNodeProcess(net.dir, late)
  writeTestnet(net.dir, d)
  const ms = await catchUpMs(late, d.nodes[0]!)
  assert.ok(ms <= 3 * PERIOD_MS, `caught up in ${ms} ms`)
  // Blocks it synced (not pushed or announced to it) still have a first-seen time.
  const b3 = await rpcCall<{ hash: string }>(late.rpcUrl, 'eth_getBlockByNumber', ['0x3', false])
  const seen = (await rpcCall<Record<string, number | null>>(late.rpcUrl, 'teecast_firstSeen', [[b3.hash]]))[b3.hash]
  assert.ok(typeof seen === 'number' && seen >= t0Late, `block 3 first seen at ${seen}, node started at ${t0Late}`)
  await waitUntilReady(d, d.nodes, { readyTimeoutMs: 30_000 })
})

test('SIGTERM stops a node in under 3 s with LevelDB closed cleanly', async () => {
  const before = (await head(late)).number
  const t0 = Date.now()
  const outcome = await stopPid(late.pid!, 3_000)
  const ms = Date.now() - t0
  assert.equal(outcome, 'stopped', `stopped by SIGTERM, not killed (took ${ms} ms)`)
  assert.ok(ms < 3_000, `stop took ${ms} ms`)
  assert.match(readFileSync(late.logPath, 'utf8'), /stopped in \d+ ms \(LevelDB closed\)/)
  // A clean close releases the LevelDB lock: the node reopens its own chain.
  late.pid = await startNodeProcess(net.dir, late)
  await waitForRpc(late.rpcUrl, 30_000)
  assert.ok((await head(late)).number >= before, 'chain kept across the restart')
  await catchUpMs(late, d.nodes[0]!)
})

test('after SIGKILL and restart a node keeps its chain, is redialled and catches up', async () => {
  await sleep(PERIOD_MS)
  // A follower with a neighbour of smaller node id: that neighbour, not the victim, must redial the link.
  const byName = new Map(d.nodes.map((n) => [n.name, n]))
  const victim = d.nodes.find((n) => n.signerKey === undefined && n.peers.some((p) => byName.get(p)!.nodeId < n.nodeId))
  assert.ok(victim !== undefined, 'the seed gives a follower that depends on being redialled')
  const before = (await head(victim)).number
  process.kill(victim.pid!, 'SIGKILL')
  await eventually('the killed process is gone', 5_000, async () => (isAlive(victim.pid!) ? undefined : true))
  // The network moves on while it is down, and its neighbours see the link drop.
  await sleep(2 * PERIOD_MS)
  victim.pid = await startNodeProcess(net.dir, victim)
  writeTestnet(net.dir, d)
  await waitForRpc(victim.rpcUrl, 30_000)
  assert.ok((await head(victim)).number >= before, `restarted at or above block ${before} from LevelDB`)
  const ms = await catchUpMs(victim, d.nodes[0]!)
  assert.ok(ms <= 3 * PERIOD_MS, `caught up in ${ms} ms`)
  await eventually('both static links back', 10_000, async () => {
    const s = await rpcCall<P2pStats>(victim.rpcUrl, 'teecast_p2pStats')
    return s.peers === victim.peers.length ? true : undefined
  })
  assert.equal(readTestnet(net.dir).nodes.find((n) => n.name === victim.name)!.pid, victim.pid)
})
