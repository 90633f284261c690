/**
 * `teecast sim`: the discrete-event simulator (src/sim/) at protocol scale. The same tee relay code as the nodes, on
 * a virtual clock, against eth/68 rules on the same seed and topology; optional crashes, drops and omitting relays.
 */
import { writeFileSync } from 'node:fs'
import type { CommandModule } from 'yargs'
import { SUMMARIES } from './summaries.ts'
import { runExperiment, TESTNET_CALIBRATION, type SimMode, type SimProgress, type SimResult } from '../../sim/experiment.ts'
import { PROPAGATION_MODES } from '../../propagation/interface.ts'
import { badInput } from '../errors.ts'
import { paramsForEpoch } from '../../propagation/tee/params.ts'
import { renderTable } from '../table.ts'
import { FRING_NODES, runFring, writeFringReport } from '../../../bench/sim-fring.ts'

interface SimArgs {
  nodes?: string
  preset?: string
  out: string
  degree: number
  seed: string
  modes: string
  items: number
  rate: number
  crash: number
  'crash-at': number
  'detect-ms': string
  drop: number
  omit: number
  'tee-fraction': number
  'epoch': number
  'latency': string
  'block-interval': number
  'block-gas': number
  'after-plan': boolean
  'upload-mbps': string
  'pool-add-ms': number
  'handle-ms': number
  json?: string
}

/** The largest network the command accepts (FRing's sizes are 2K and 8K; a public chain has ~10K nodes). */
export const MAX_SIM_NODES = 20_000

const fixed = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-')

export function simTable(results: SimResult[]): string {
  return renderTable(
    ['mode', 'min reach', 'mean reach', 'min reach (all live)', 'mean reach (all live)', 'lost with origin', 'min reach, txs 10 s+ after crash', 'copies/node/tx, 10 s after crash', 'copies/node/item', 'msgs/node/item', 'bytes/node/item', 'of which blocks', 'to 100% p50 ms', 'to 100% p99 ms', 'to 95% p95 ms', 'blocks', 'block to 95% p50 ms', 'block to 95% max ms', 'control kB/node', 'control B/node/epoch', 'wall s'],
    results.map((r) => [
      r.scenario.mode,
      fixed(r.minReach, 4),
      fixed(r.meanReach, 4),
      fixed(r.minReachAllLive, 4),
      fixed(r.meanReachAllLive, 4),
      String(r.lostWithOrigin),
      r.afterCrash === undefined || r.afterCrash.later.judged === 0 ? '-' : fixed(r.afterCrash.later.minReach, 4),
      r.afterCrash === undefined || r.afterCrash.inWindow.judged === 0 ? '-' : fixed(r.afterCrash.inWindow.copiesPerNodePerItem),
      fixed(r.receiptsPerNodePerItem),
      fixed(r.msgsPerNodePerItem),
      fixed(r.bytesPerNodePerItem, 0),
      r.blocks === undefined ? '-' : fixed(r.blockBytesPerNodePerItem, 0),
      fixed(r.latency.to100.p50, 0),
      fixed(r.latency.to100.p99, 0),
      fixed(r.latency.to95.p95, 0),
      r.blocks === undefined ? '-' : String(r.blocks.sealed),
      r.blocks === undefined ? '-' : fixed(r.blocks.to95.p50, 0),
      r.blocks === undefined ? '-' : fixed(r.blocks.to95.max, 0),
      fixed(r.controlBytesPerNode / 1000, 0),
      fixed(r.steadyControlBytesPerNodePerEpoch, 0),
      fixed(r.wallMs / 1000, 1),
    ]),
  )
}

/** A line on stderr at most every `intervalMs` of wall time: a run of thousands of nodes takes minutes. */
export function progressLine(mode: string, write: (line: string) => void, intervalMs = 15_000, clock = () => performance.now()): (p: SimProgress) => void {
  const t0 = clock()
  let last = t0
  return (p) => {
    const now = clock()
    if (now - last < intervalMs) return
    last = now
    write(`  ${mode}: ${(p.virtualMs / 1000).toFixed(0)} of ${(p.endMs / 1000).toFixed(0)} virtual s, ${(p.events / 1e6).toFixed(1)} M events, ${((now - t0) / 1000).toFixed(0)} s\n`)
  }
}

/** `--nodes`: one count or a comma-separated list, each an integer in 3..MAX_SIM_NODES. */
export function parseNodes(v: string): number[] {
  const xs = v.split(',').map((x) => x.trim())
  for (const x of xs) {
    const n = /^\d+$/.test(x) ? Number(x) : NaN
    if (!(n >= 3 && n <= MAX_SIM_NODES)) throw badInput(`--nodes must be an integer in 3..${MAX_SIM_NODES} (or, with --preset, a list of them), got "${v}"`)
  }
  return xs.map(Number)
}

/** `--preset fring`: every run of bench/sim-fring.ts, progress on stderr, the three files in --out. */
async function runPreset(a: SimArgs): Promise<void> {
  if (a.preset !== 'fring') throw badInput(`--preset must be fring, got "${a.preset}"`)
  const nodes = a.nodes === undefined ? [...FRING_NODES] : parseNodes(a.nodes)
  // The preset's graph is 8-regular (FRing's and the testnets' degree).
  for (const n of nodes) if (n <= 8) throw badInput(`--preset fring: every --nodes count must be above 8 (degree 8), got ${n}`)
  if (!(Number.isInteger(a.items) && a.items >= 1)) throw badInput(`--items must be an integer >= 1, got ${a.items}`)
  if (!(a.epoch >= 2)) throw badInput(`--epoch must be at least 2 s, got ${a.epoch}`)
  if (a.out === '') throw badInput('--out must name a directory')
  const o = { nodes, seed: a.seed, items: a.items, epochMs: a.epoch * 1000, detectMs: parseDetectMs(a['detect-ms']), progress: (l: string) => void process.stderr.write(`${l}\n`) }
  const rows = runFring(o)
  const files = await writeFringReport(rows, o, a.out)
  process.stdout.write(`${files.join('\n')}\n`)
}

/** `--detect-ms`: a fixed delay, a per-link range MIN-MAX, or never. */
export function parseDetectMs(v: string): number | [number, number] {
  if (v === 'never') return Infinity
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(v)
  if (m === null || (m[2] !== undefined && Number(m[1]) > Number(m[2]))) throw badInput(`--detect-ms must be N, MIN-MAX (ms) or never, got "${v}"`)
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])]
}

/** `--upload-mbps`: Mbit/s per node (> 0), or unlimited. */
export function parseUploadMbps(v: string): number {
  if (v === 'unlimited') return Infinity
  const x = /^\d+(?:\.\d+)?$/.test(v) ? Number(v) : NaN
  if (!(x > 0)) throw badInput(`--upload-mbps must be a rate in Mbit/s above 0, or unlimited, got "${v}"`)
  return x
}

export const simCommand: CommandModule<object, SimArgs> = {
  command: 'sim',
  describe: SUMMARIES.sim,
  builder: (y) =>
    y
      .option('nodes', { type: 'string', describe: 'Nodes (default 500); with --preset a comma-separated list (fring: 2000,8000)' })
      .option('preset', { type: 'string', describe: 'fring: FRing\'s table (flood, stock, geth, tee; FRing\'s RTT tiers; 0/30/50/60 % failed), written as JSON, Markdown and HTML to --out' })
      .option('out', { type: 'string', default: 'results/sim-fring', describe: 'With --preset: the directory for fring.json, fring.md and fring.html' })
      .option('degree', { type: 'number', default: 8 })
      .option('seed', { type: 'string', default: 'sim' })
      .option('modes', { type: 'string', default: 'tee,stock', describe: `Comma-separated: tee,${PROPAGATION_MODES.filter((m) => m !== 'tee').join(',')}` })
      .option('items', { type: 'number', default: 300, describe: 'Txs published, from random live nodes' })
      .option('rate', { type: 'number', default: 50, describe: 'Txs per second (virtual time)' })
      .option('crash', { type: 'number', default: 0, describe: 'Share of nodes that crash at once' })
      .option('crash-at', { type: 'number', default: 5, describe: 'When they crash, seconds (the workload starts at 3 s)' })
      .option('detect-ms', { type: 'string', default: '0', describe: 'How long peers take to notice a crash, ms: N, MIN-MAX (per link), or never (a silent crash; 0 = TCP reset)' })
      .option('drop', { type: 'number', default: 0, describe: 'Per-message loss probability' })
      .option('omit', { type: 'number', default: 0, describe: 'Share of nodes that relay nothing (omission fault)' })
      .option('tee-fraction', { type: 'number', default: 1, describe: 'Share of nodes with an enclave' })
      .option('epoch', { type: 'number', default: 60, describe: 'tee epoch, seconds' })
      .option('latency', { type: 'string', default: '10-100', describe: 'One-way link latency range, ms (MIN-MAX)' })
      .option('block-interval', { type: 'number', default: 12, describe: 'Seconds between blocks (one proposer per slot, from the seed); 0: no blocks, txs only' })
      .option('block-gas', { type: 'number', default: 30_000_000, describe: 'Gas limit of a block (each simulated tx is a 21,000-gas transfer)' })
      .option('after-plan', { type: 'boolean', default: false, describe: 'tee: start the scenario once every node holds a plan naming every node (as testnet up waits), and count from the workload start' })
      .option('upload-mbps', { type: 'string', default: 'unlimited', describe: "Each node's upload rate, Mbit/s, or unlimited; sends queue behind the node's uplink" })
      .option('pool-add-ms', { type: 'number', default: 0, describe: `eth modes: how long a node's pool takes to add a received tx, ms; the node handles other messages meanwhile (${TESTNET_CALIBRATION.poolAddMs} on a testnet of 16 nodes on 2 cores)` })
      .option('handle-ms', { type: 'number', default: 0, describe: `How long a node takes to handle each received message, one at a time, ms (the testnet's 16 processes on 2 cores: ${TESTNET_CALIBRATION.handleMs})` })
      .option('json', { type: 'string', describe: 'Also write the results as JSON here' }) as never,
  handler: async (a) => {
    if (a.preset !== undefined) return runPreset(a)
    const nodes = parseNodes(a.nodes ?? '500')
    if (nodes.length !== 1) throw badInput(`--nodes takes one count without --preset, got "${a.nodes}"`)
    const modes = a.modes.split(',').map((m) => m.trim())
    for (const m of modes) if (m !== 'tee' && !(PROPAGATION_MODES as readonly string[]).includes(m)) throw badInput(`--modes: "${m}" is not a mode`)
    const lat = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(a.latency)
    if (lat === null || Number(lat[1]) > Number(lat[2])) throw badInput(`--latency must look like 10-100 (ms), got "${a.latency}"`)
    const detectMs = parseDetectMs(a['detect-ms'])
    if ((nodes[0]! * a.degree) % 2 !== 0 || a.degree < 2 || a.degree >= nodes[0]!) throw badInput('--degree must be >= 2, < nodes, and nodes x degree even')
    for (const [k, v] of [['crash', a.crash], ['drop', a.drop], ['omit', a.omit], ['tee-fraction', a['tee-fraction']]] as const) if (!(v >= 0 && v <= 1)) throw badInput(`--${k} must be in [0, 1]`)
    if (!(a.items >= 1 && a.rate > 0 && a.epoch >= 2)) throw badInput('--items >= 1, --rate > 0 and --epoch >= 2 are required')
    if (!(a['block-interval'] === 0 || a['block-interval'] >= 0.1)) throw badInput(`--block-interval must be 0 (no blocks) or at least 0.1 s, got ${a['block-interval']}`)
    if (!(Number.isInteger(a['block-gas']) && a['block-gas'] >= 21_000)) throw badInput(`--block-gas must be an integer >= 21000 (one transfer), got ${a['block-gas']}`)
    const uploadMbps = parseUploadMbps(a['upload-mbps'])
    for (const k of ['pool-add-ms', 'handle-ms'] as const) if (!(a[k] >= 0 && Number.isFinite(a[k]))) throw badInput(`--${k} must be a number of ms >= 0, got ${a[k]}`)
    const results: SimResult[] = []
    for (const mode of modes) {
      process.stderr.write(`simulating ${mode}: ${nodes[0]} nodes, degree ${a.degree}, ${a.items} items...\n`)
      results.push(
        runExperiment({
          mode: mode as SimMode,
          nodes: nodes[0]!,
          degree: a.degree,
          seed: a.seed,
          items: a.items,
          rateTps: a.rate,
          crashFraction: a.crash,
          crashAtMs: a['crash-at'] * 1000,
          detectMs,
          dropRate: a.drop,
          omittingFraction: a.omit,
          teeFraction: a['tee-fraction'],
          latencyMs: [Number(lat[1]), Number(lat[2])],
          blockIntervalMs: a['block-interval'] * 1000,
          blockGasLimit: a['block-gas'],
          uploadMbps,
          poolAddMs: a['pool-add-ms'],
          handleMs: a['handle-ms'],
          afterPlan: a['after-plan'],
          tee: paramsForEpoch(a.epoch * 1000),
          progress: progressLine(mode, (l) => void process.stderr.write(l)),
        }),
      )
    }
    process.stdout.write(`${simTable(results)}\n`)
    if (a.json !== undefined) writeFileSync(a.json, `${JSON.stringify(results, null, 2)}\n`)
  },
}
