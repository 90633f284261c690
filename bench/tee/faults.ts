/**
 * The tee fault experiment: a tee testnet (default 16 nodes, degree 8), a transfer workload sent to the nodes that
 * stay up, and, a third of the way in, SIGKILL to the interior relays that relay in the most trees (never a Clique
 * signer: with few signers a dead one stalls the chain for reasons that have nothing to do with propagation).
 * Passes when every tx a live node's RPC accepted is committed and was seen by every live node.
 *
 *   node --import tsx bench/tee/faults.ts [--nodes 16] [--degree 8] [--kill 2] [--count 900] [--rate 30] [--epoch 10]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { launchTestnet, stopTestnet } from '../../testnets/launcher.ts'
import { runTransferWorkload } from '../workload/workload.ts'
import type { TestnetNode } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import type { TeeStatus } from '../../src/rpc/teecast.ts'
import { setTimeout as sleep } from 'node:timers/promises'

const { values: a } = parseArgs({
  options: {
    nodes: { type: 'string', default: '16' },
    degree: { type: 'string', default: '8' },
    kill: { type: 'string', default: '2' },
    count: { type: 'string', default: '900' },
    rate: { type: 'string', default: '30' },
    epoch: { type: 'string', default: '10' },
    seed: { type: 'string', default: 'tee-faults' },
    'base-port': { type: 'string', default: '23400' },
    keep: { type: 'boolean', default: false },
  },
})
const num = (k: keyof typeof a): number => {
  const v = Number(a[k])
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`--${k} must be a positive number, got "${String(a[k])}"\n`)
    process.exit(2)
  }
  return v
}
const nodes = num('nodes')
const base = num('base-port')
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`)

const dir = mkdtempSync(join(tmpdir(), 'tee-faults-'))
createTestnet({ ...DEFAULT_TESTNET, dir, nodes, degree: num('degree'), signers: 2, seed: a.seed!, propagation: 'tee', basePort: base, baseRpcPort: base + nodes, baseMetricsPort: 0, teeEpochMs: num('epoch') * 1000 })
let exit = 1
try {
  log(`starting ${nodes} tee nodes in ${dir}`)
  const d = await launchTestnet(dir, { readyTimeoutMs: 180_000 })
  const status = (n: TestnetNode) => rpcCall<TeeStatus>(n.rpcUrl, 'teecast_teeStatus', [])
  // launchTestnet returned once every node runs a plan of all of them.
  const s = await Promise.all(d.nodes.map(status))
  const signers = new Set(d.nodes.filter((n) => n.signerKey !== undefined).map((n) => n.name))
  const victims = d.nodes
    .map((n, i) => ({ n, relays: s[i]!.relays }))
    .filter((x) => !signers.has(x.n.name) && x.relays > 0)
    .sort((x, y) => y.relays - x.relays)
    .slice(0, num('kill'))
    .map((x) => x.n)
  if (victims.length < num('kill')) throw new Error(`only ${victims.length} non-signer interior relays in the plan`)
  log(`plan epoch ${s[0]!.epoch}: killing ${victims.map((v) => v.name).join(', ')} (interior relays) a third of the way in`)
  const live = d.nodes.filter((n) => !victims.includes(n))
  const count = num('count')
  const rate = num('rate')
  const killAt = ((count / rate) * 1000) / 3
  const killer = sleep(killAt).then(() => {
    for (const v of victims) process.kill(v.pid!, 'SIGKILL')
    log(`SIGKILL ${victims.map((v) => `${v.name} (pid ${v.pid})`).join(', ')}`)
  })
  const r = await runTransferWorkload(d, { count, rate, targets: live, inclusionTimeoutMs: 120_000, onProgress: log })
  await killer
  const hashes = r.sent.map((t) => t.hash)
  let unseen = 0
  for (const n of live) {
    const seen = await rpcCall<Record<string, number | null>>(n.rpcUrl, 'teecast_firstSeen', [hashes])
    const missing = hashes.filter((h) => seen[h] === null).length
    if (missing > 0) log(`${n.name} never saw ${missing} txs`)
    unseen += missing
  }
  const lost = hashes.length - r.committed
  log(`accepted ${hashes.length}, rejected ${r.rejected.length}, committed ${r.committed}, lost ${lost}, unseen (node x tx) ${unseen}`)
  process.stdout.write(`${JSON.stringify({ nodes, killed: victims.map((v) => v.name), accepted: hashes.length, rejected: r.rejected.length, committed: r.committed, lost, unseenNodeTx: unseen })}\n`)
  exit = lost === 0 && unseen === 0 ? 0 : 1
} catch (e) {
  log(`failed: ${(e as Error).message}`)
} finally {
  await stopTestnet(dir).catch(() => undefined)
  // A failed run keeps its node logs (and chain data) for a post-mortem.
  if (!a.keep && exit === 0) rmSync(dir, { recursive: true, force: true })
  else log(`kept ${dir}`)
}
process.exit(exit)
