/**
 * Calibration of the simulator against a real testnet: the same nodes, degree, seed (so the same topology: both
 * build it with randomRegularGraph(nodes, degree, seed)), tx count, rate and tee epoch; per mode, the messages and
 * bytes received per node per tx, by message type, from the testnet's wire counters next to the simulator's, and
 * their ratio. A row off by more than 10 % is marked.
 *
 *   node --import tsx bench/calibrate.ts [--scenario bench/scenarios/tee16.yaml] [--from results/DIR/summary.json]
 *                                        [--tx-bytes 113] [--json PATH] [--handle-ms MS] [--pool-add-ms MS]
 *
 * The simulator runs with the node timing calibrated here (src/sim/experiment.ts TESTNET_CALIBRATION: a pool add
 * time per received tx, a handling time per received message); --handle-ms and --pool-add-ms override it.
 * Without --from it runs the scenario's stock and tee modes on a fresh testnet first (results/<time>-calibrate/).
 * The simulator carries no blocks (issue 11), so block messages (eth/68 block sync, NewBlock, tee BlockItems) show
 * on the testnet side only; the totals compare the tx and control messages both sides have.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadScenario, type Scenario } from './scenario.ts'
import { runScenario } from './scenario-run.ts'
import type { Summary } from './report/summary.ts'
import { runExperiment, TESTNET_CALIBRATION, type SimMode } from '../src/sim/experiment.ts'

function usage(msg: string): never {
  console.error(`${msg}\nusage: calibrate.ts [--scenario FILE] [--from SUMMARY.json] [--tx-bytes N] [--json PATH] [--handle-ms MS] [--pool-add-ms MS]`)
  process.exit(2)
}

let a: ReturnType<typeof parseArgs<{ options: { scenario: { type: 'string' }; from: { type: 'string' }; 'tx-bytes': { type: 'string' }; json: { type: 'string' }; 'handle-ms': { type: 'string' }; 'pool-add-ms': { type: 'string' } } }>>
try {
  a = parseArgs({ options: { scenario: { type: 'string' }, from: { type: 'string' }, 'tx-bytes': { type: 'string' }, json: { type: 'string' }, 'handle-ms': { type: 'string' }, 'pool-add-ms': { type: 'string' } } })
} catch (e) {
  usage((e as Error).message)
}
const txBytes = Number(a.values['tx-bytes'] ?? '113')
if (!Number.isInteger(txBytes) || txBytes < 50) usage(`--tx-bytes must be an integer >= 50, got "${a.values['tx-bytes']}"`)
const handleMs = a.values['handle-ms'] === undefined ? undefined : Number(a.values['handle-ms'])
if (handleMs !== undefined && !(handleMs >= 0)) usage(`--handle-ms must be a number of ms >= 0, got "${a.values['handle-ms']}"`)
const poolAddMs = a.values['pool-add-ms'] === undefined ? undefined : Number(a.values['pool-add-ms'])
if (poolAddMs !== undefined && !(poolAddMs >= 0)) usage(`--pool-add-ms must be a number of ms >= 0, got "${a.values['pool-add-ms']}"`)

/** The testnet's message names, as the simulator names the same message. */
const SIM_NAME: Record<string, string> = {
  'tee/TxItems': 'tee/items',
  'tee/Digest': 'tee/digest',
  'tee/Pull': 'tee/pull',
  'tee/Report': 'tee/report',
  'tee/Plan': 'tee/plan',
  'tee/PlanDelta': 'tee/planDelta',
  'tee/GetPlan': 'tee/getPlan',
  'tee/Keepalive': 'tee/keepalive',
  'tee/Graft': 'tee/graft',
  'tee/Beacon': 'tee/beacon',
  'tee/PlanOffer': 'tee/planOffer',
}
const simName = (testnetName: string): string => SIM_NAME[testnetName] ?? testnetName
/** Block traffic (eth/68 block sync, NewBlock, tee BlockItems, GetBlockTxs, BlockTxs): left out; the calibration runs the simulator on txs only (its block model is not calibrated against a testnet yet). */
const isBlockMessage = (name: string): boolean => /Block/.test(name)

let summary: Summary
let scenario: Scenario
try {
  if (a.values.from !== undefined) {
    summary = JSON.parse(readFileSync(a.values.from, 'utf8')) as Summary
    scenario = summary.scenario
  } else {
    scenario = loadScenario(a.values.scenario ?? 'bench/scenarios/tee16.yaml')
    scenario = { ...scenario, modes: scenario.modes.filter((m) => m === 'stock' || m === 'tee'), repetitions: 1 }
    const out = join('results', `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-calibrate`)
    console.log(`running ${scenario.name} on a testnet (${scenario.modes.join(', ')}) into ${out}`)
    summary = await runScenario(scenario, { outDir: out, onProgress: (m) => console.log(m) })
  }
} catch (e) {
  usage((e as Error).message)
}
if (scenario.workload.kind !== 'fixed-rate') usage(`calibration needs a fixed-rate workload; ${scenario.name} has ${scenario.workload.kind}`)
const w = scenario.workload as Extract<Scenario['workload'], { kind: 'fixed-rate' }>

interface Row {
  message: string
  testnetMsgs: number
  simMsgs: number
  testnetBytes: number
  simBytes: number
}
const report: { mode: string; rows: Row[]; totals: Row }[] = []

for (const m of summary.modes) {
  const mode = m.mode as SimMode
  if (mode !== 'stock' && mode !== 'tee') continue
  process.stdout.write(`simulating ${mode}: ${scenario.network.nodes} nodes, degree ${scenario.network.degree}, seed ${scenario.network.seed}, ${w.count} txs at ${w.rate}/s...\n`)
  const sim = runExperiment({
    mode,
    nodes: scenario.network.nodes,
    degree: scenario.network.degree,
    seed: scenario.network.seed,
    items: w.count,
    rateTps: w.rate,
    txBytes,
    latencyMs: [1, 3],
    // The testnet's node timing (experiment.ts TESTNET_CALIBRATION), unless told otherwise.
    handleMs: handleMs ?? TESTNET_CALIBRATION.handleMs,
    poolAddMs: poolAddMs ?? TESTNET_CALIBRATION.poolAddMs,
    tee: { epochMs: (scenario.network.teeEpochSec ?? 60) * 1000 },
    // As the testnet: the workload once every node holds a plan (testnet up waits for one), counted from its start.
    afterPlan: true,
  })
  const perSim = (n: number): number => n / sim.liveNodes / sim.items
  const names = new Set([...Object.keys(m.perTxPerNode.byMessage).filter((k) => !isBlockMessage(k) && !/Status|Attest|Ping|Pong|Disconnect/.test(k)).map(simName), ...Object.keys(sim.byType)])
  const back = new Map(Object.entries(SIM_NAME).map(([t, s]) => [s, t]))
  const rows: Row[] = [...names].sort().map((name) => {
    const t = m.perTxPerNode.byMessage[back.get(name) ?? name]
    const s = sim.byType[name]
    return { message: back.get(name) ?? name, testnetMsgs: t?.msgsIn ?? 0, simMsgs: perSim(s?.msgs ?? 0), testnetBytes: t?.bytesIn ?? 0, simBytes: perSim(s?.bytes ?? 0) }
  })
  const sum = (k: keyof Omit<Row, 'message'>): number => rows.reduce((x, r) => x + r[k], 0)
  report.push({ mode, rows, totals: { message: 'total (tx + control)', testnetMsgs: sum('testnetMsgs'), simMsgs: sum('simMsgs'), testnetBytes: sum('testnetBytes'), simBytes: sum('simBytes') } })
}

const ratio = (sim: number, real: number): string => (real === 0 ? (sim === 0 ? '-' : 'only sim') : `${(sim / real).toFixed(2)}${Math.abs(sim / real - 1) > 0.1 ? ' *' : ''}`)
for (const r of report) {
  console.log(`\n${r.mode}: per node per tx, received (testnet: ${summary.gitCommit?.slice(0, 8) ?? '?'} ${summary.startedAt}); * = off by more than 10 %`)
  console.log('message | testnet msgs | sim msgs | sim/testnet | testnet B | sim B | sim/testnet')
  for (const x of [...r.rows, r.totals]) console.log(`${x.message} | ${x.testnetMsgs.toFixed(3)} | ${x.simMsgs.toFixed(3)} | ${ratio(x.simMsgs, x.testnetMsgs)} | ${x.testnetBytes.toFixed(1)} | ${x.simBytes.toFixed(1)} | ${ratio(x.simBytes, x.testnetBytes)}`)
}
if (a.values.json !== undefined) writeFileSync(a.values.json, `${JSON.stringify({ scenario, txBytes, report }, null, 2)}\n`)
