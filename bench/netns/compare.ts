/**
 * The same 4-node testnet and workload on loopback and in network namespaces (`testnet up --netns`, root), per mode
 * and repetition, alternating: wire cost per node per committed tx (every protocol) and committed tx/s, with the
 * netns / loopback ratio. Links: 5 ms one way (user-space emulator in both), 50 Mbit/s and 0.2 % loss (the kernel in
 * namespaces, the emulator on loopback). One signer, as the netns test.
 *
 *   node --import tsx bench/netns/compare.ts [--modes stock,tee] [--count 60] [--rate 10] [--reps 2]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { launchTestnet, stopTestnet } from '../../testnets/launcher.ts'
import { chooseNetnsPlan, netnsUnavailable, setupNetnsTestnet, teardownNetns } from '../../testnets/netns/setup.ts'
import type { NetnsRecord } from '../../testnets/netns/plan.ts'
import { runTransferWorkload } from '../workload/workload.ts'
import { snapshotStats } from '../p2p-snapshot.ts'
import { wireCost } from '../stats/wire.ts'
import { PROPAGATION_MODES, type PropagationMode } from '../../src/propagation/interface.ts'

const { values: a } = parseArgs({ options: { modes: { type: 'string', default: 'stock,tee' }, count: { type: 'string', default: '60' }, rate: { type: 'string', default: '10' }, reps: { type: 'string', default: '2' } } })
const fail = (m: string): never => {
  process.stderr.write(`${m}\n`)
  process.exit(2)
}
const modes = a.modes!.split(',') as PropagationMode[]
for (const m of modes) if (!PROPAGATION_MODES.includes(m)) fail(`--modes: unknown mode ${m} (${PROPAGATION_MODES.join(', ')})`)
const count = Number(a.count)
const rate = Number(a.rate)
const reps = Number(a.reps)
if (![count, rate, reps].every((v) => Number.isInteger(v) && v > 0)) fail('--count, --rate and --reps must be positive whole numbers')
const why = netnsUnavailable()
if (why !== undefined) fail(`network namespaces are not available here: ${why}`)
const log = (m: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`)

interface Run {
  bytes: number
  txMsgs: number
  txPerSec: number
}

async function once(mode: PropagationMode, where: 'loopback' | 'netns'): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `tc-cmp-${where}-`))
  const names = ['n0', 'n1', 'n2', 'n3']
  let plan: NetnsRecord | undefined
  try {
    // In namespaces each node has its own address, so the default ports; on loopback a range outside the ephemeral one.
    const base = where === 'loopback' ? 24600 : DEFAULT_TESTNET.basePort
    if (where === 'netns') plan = chooseNetnsPlan(dir, names)
    createTestnet({
      ...DEFAULT_TESTNET,
      dir,
      nodes: 4,
      signers: 1,
      degree: 3,
      seed: `netns-cmp-${mode}`,
      period: 2,
      accounts: 16,
      propagation: mode,
      basePort: base,
      baseRpcPort: base + 4,
      baseMetricsPort: 0,
      baseWsPort: 0,
      link: { delay: '5ms', rate: '50mbit', loss: '0.2%' },
      ...(plan !== undefined ? { hosts: plan.nodes.map((n) => n.ip) } : {}),
    })
    if (plan !== undefined) setupNetnsTestnet(dir, plan)
    const d = await launchTestnet(dir, { readyTimeoutMs: 240_000 })
    const before = await snapshotStats(d)
    const r = await runTransferWorkload(d, { count, rate, inclusionTimeoutMs: 120_000 })
    if (r.committed !== count) throw new Error(`${mode} on ${where}: committed ${r.committed}/${count}`)
    await sleep(3000)
    const cost = wireCost(before, await snapshotStats(d), count)
    return { bytes: Object.values(cost.byMessage).reduce((s, m) => s + m.bytesIn, 0), txMsgs: cost.txMsgsIn, txPerSec: r.txPerSecond }
  } finally {
    await stopTestnet(dir).catch(() => undefined)
    if (plan !== undefined) teardownNetns(plan)
    rmSync(dir, { recursive: true, force: true })
  }
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length
const rows: string[] = ['| mode | where | runs | bytes in / node / tx | tx msgs in / node / tx | committed tx/s |', '|---|---|---|---|---|---|']
for (const mode of modes) {
  const runs: Record<'loopback' | 'netns', Run[]> = { loopback: [], netns: [] }
  for (let i = 1; i <= reps; i++)
    for (const where of ['loopback', 'netns'] as const) {
      log(`${mode} ${where} #${i}`)
      runs[where].push(await once(mode, where))
    }
  const fmt = (rs: Run[], f: (r: Run) => number, digits: number): string => `${mean(rs.map(f)).toFixed(digits)} (${rs.map((r) => f(r).toFixed(digits)).join(', ')})`
  for (const where of ['loopback', 'netns'] as const) rows.push(`| ${mode} | ${where} | ${reps} | ${fmt(runs[where], (r) => r.bytes, 0)} | ${fmt(runs[where], (r) => r.txMsgs, 2)} | ${fmt(runs[where], (r) => r.txPerSec, 1)} |`)
  const ratio = (f: (r: Run) => number): string => (mean(runs.netns.map(f)) / mean(runs.loopback.map(f))).toFixed(2)
  rows.push(`| ${mode} | netns / loopback | | ×${ratio((r) => r.bytes)} | ×${ratio((r) => r.txMsgs)} | ×${ratio((r) => r.txPerSec)} |`)
}
process.stdout.write(`${rows.join('\n')}\n`)
