/**
 * Catch-up after a real gap in tee mode, with real processes on a 4-node ring (2 signers, period 2 s): blocks travel
 * as tee/1 compact blocks, and a node tells its sync loop that a peer is ahead only when a compact block it got could
 * not be imported (tee-adapter.ts). That must still start the eth/68 catch-up:
 * - a late joiner started after block 5 reaches the network head;
 * - a follower killed with SIGKILL and restarted from its LevelDB catches up with the blocks sealed while it was down.
 * Before client patches 055/056 this stalled at block 3-4 (the two-signer fork stall of docs/known-stalls.md).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { isAlive, startNodeProcess } from '../../testnets/launcher.ts'
import { writeTestnet, type TestnetDescription, type TestnetNode } from '../../testnets/description.ts'
import { waitForRpc } from '../../src/rpc/client.ts'
import { eventually, head, makeTestnet } from '../helpers/testnet.ts'
import { setTimeout as sleep } from 'node:timers/promises'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription
let late: TestnetNode
const PERIOD_MS = 2_000
/** A tee node goes through a compact block it cannot import, then eth/68 sync: a few periods on a loaded machine. */
const CATCH_UP_MS = 6 * PERIOD_MS

before(async () => {
  net = await makeTestnet({ nodes: 4, signers: 2, degree: 2, seed: 'e2e-tee-catch-up', period: PERIOD_MS / 1000, propagation: 'tee', teeEpochMs: 10_000 })
  d = net.d
  late = d.nodes[3]!
  for (const n of d.nodes.slice(0, 3)) n.pid = await startNodeProcess(net.dir, n)
  writeTestnet(net.dir, d)
})
after(async () => net?.cleanup())

async function catchUpMs(n: TestnetNode, reference: TestnetNode): Promise<number> {
  await waitForRpc(n.rpcUrl, 30_000)
  const t0 = Date.now()
  const target = (await head(reference)).number
  await eventually(`${n.name} reaches block ${target}`, 10 * PERIOD_MS, async () => ((await head(n)).number >= target ? true : undefined))
  return Date.now() - t0
}

test('tee: a node started after block 5 catches up', async () => {
  await eventually('block 5 on n0', 60_000, async () => ((await head(d.nodes[0]!)).number >= 5 ? true : undefined), 500)
  late.pid = await startNodeProcess(net.dir, late)
  writeTestnet(net.dir, d)
  const ms = await catchUpMs(late, d.nodes[0]!)
  assert.ok(ms <= CATCH_UP_MS, `caught up in ${ms} ms`)
})

test('tee: after SIGKILL and restart a follower catches up with the blocks sealed while it was down', async () => {
  const victim = d.nodes.find((n) => n.signerKey === undefined && n !== late)!
  assert.ok(victim !== undefined, 'a follower other than the late joiner')
  const before = (await head(victim)).number
  process.kill(victim.pid!, 'SIGKILL')
  await eventually('the killed process is gone', 5_000, async () => (isAlive(victim.pid!) ? undefined : true))
  // Blocks are sealed while it is down: a real gap, which compact blocks alone cannot fill.
  await eventually('the network moves on by 2 blocks', 30_000, async () => ((await head(d.nodes[0]!)).number >= before + 2 ? true : undefined), 500)
  victim.pid = await startNodeProcess(net.dir, victim)
  writeTestnet(net.dir, d)
  await waitForRpc(victim.rpcUrl, 30_000)
  assert.ok((await head(victim)).number >= before, `restarted at or above block ${before} from LevelDB`)
  const ms = await catchUpMs(victim, d.nodes[0]!)
  assert.ok(ms <= CATCH_UP_MS, `caught up in ${ms} ms`)
  // And it keeps up afterwards (on compact blocks again).
  await sleep(2 * PERIOD_MS)
  const ref = (await head(d.nodes[0]!)).number
  await eventually(`${victim.name} keeps up`, 4 * PERIOD_MS, async () => ((await head(victim)).number >= ref ? true : undefined))
})
