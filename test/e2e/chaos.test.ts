/**
 * `teecast testnet chaos` on a real 4-node stock testnet behind the link emulator, during a workload: a non-signer
 * SIGKILLed and restarted from its data, then the network cut in two (a signer on each side) and healed. Nothing
 * accepted is lost, every node ends on one head, and the restarted node kept its chain. With two signers each half
 * seals its own block at one height; after the heal the heavier must win everywhere (client 055 and 056, the stall
 * of docs/known-stalls.md that failed this test before).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { launchTestnet } from '../../testnets/launcher.ts'
import type { ChaosResult } from '../../bench/chaos/run.ts'
import { makeTestnet } from '../helpers/testnet.ts'

let net: Awaited<ReturnType<typeof makeTestnet>>

before(async () => {
  net = await makeTestnet({ nodes: 4, signers: 2, degree: 2, seed: 'e2e-chaos', accounts: 20, link: { delay: '1ms' } })
  await launchTestnet(net.dir, { readyTimeoutMs: 90_000 })
})
after(async () => net?.cleanup())

test('kill + restart, then a partition healed: nothing accepted is lost, one head at the end, the chain survived on disk', async () => {
  const out = join(net.dir, 'chaos.json')
  const r = spawnSync(process.execPath, ['bin/teecast.js', 'testnet', 'chaos', '--dir', net.dir, '--faults', 'kill', 'partition', '--count', '40', '--rate', '4', '--down', '5', '--json', out], { encoding: 'utf8', timeout: 400_000 })
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`)
  const { result } = JSON.parse(readFileSync(out, 'utf8')) as { result: ChaosResult }
  assert.equal(result.lost, 0)
  assert.equal(result.committed, result.accepted)
  assert.ok(result.accepted >= 36, `accepted ${result.accepted} of 40`)
  assert.ok(result.headsEqual)
  assert.deepEqual(result.faults.map((f) => f.kind), ['kill', 'partition'])
  const kill = result.faults[0]!
  assert.ok(kill.restart !== undefined && kill.restart.kept, `restarted node kept its chain: ${JSON.stringify(kill.restart)}`)
  assert.ok(kill.restart.caughtUpInSec !== null, 'the restarted node caught up')
  assert.match(r.stdout, /accepted \d+, committed \d+, lost 0/)
})
