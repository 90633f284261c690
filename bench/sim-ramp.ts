/**
 * Where the network binds, in the simulator: each mode at rising tx rates on bandwidth-limited uplinks, with blocks,
 * until tx propagation diverges. Prints one table per mode; a benchmark, not a test.
 *
 *   node --import tsx bench/sim-ramp.ts [--nodes 200] [--degree 8] [--upload-mbps 1] [--modes stock,geth,flood,tee]
 *        [--rates 25,50,100,200,400,800] [--seconds 2 x block interval] [--block-interval 12] [--block-gas 10000000000]
 *        [--bound-ms 5000] [--start 10] [--seed ramp] [--json PATH]
 *
 * Per rate: txs are published for `--seconds` from `--start` s (the workload), blocks every `--block-interval` s. The
 * default workload is two intervals long, so that at least one block holds a whole interval of txs, as at a steady
 * rate (with 10 s of txs and 12 s blocks the largest block held 6-8 s of them, and stock held twice its rate). The
 * start leaves tee's first epoch (every node's report flooded, then the plan: a burst of control bytes that a slow
 * uplink takes seconds to send) out of the data path's figures, in every mode alike.
 * - delivered tx/s: txs that reached 95 % of the live nodes within `--bound-ms` of publication, per workload second;
 * - tx delay: time to 95 % of the live nodes, p50 and p95 over txs (a tx that never got there counts as infinite);
 * - late / early: median delay of the workload's last quarter of txs over its first quarter (1: steady; a queue that
 *   grows makes it grow with the run's length);
 * - diverged: "tx" when the p95 delay is above the bound, or late / early above 2 with the late median above 1 s;
 *   "blocks" when some block took longer than a block interval to reach 95 % of the nodes (or never did): blocks then
 *   pile up faster than they spread, whatever the txs do.
 * A mode stops at its second diverged rate. `--from PATH` prints the tables of an earlier run's JSON again. The block gas limit is high by default so that the network, not the
 * gas limit, binds (30M gas at 12 s holds only ~119 transfers per second).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runExperiment, type SimMode, type SimResult } from '../src/sim/experiment.ts'
import { percentile } from '../src/shared/percentile.ts'

/** A plain-text table (bench may not import the CLI's). */
function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function usage(msg: string): never {
  console.error(`${msg}\nusage: sim-ramp.ts [--start S] [--nodes N] [--degree D] [--upload-mbps X] [--modes LIST] [--rates LIST] [--seconds S] [--block-interval S] [--block-gas G] [--bound-ms MS] [--seed S] [--json PATH]`)
  process.exit(2)
}

const opts = {
  nodes: { type: 'string', default: '200' },
  degree: { type: 'string', default: '8' },
  'upload-mbps': { type: 'string', default: '1' },
  modes: { type: 'string', default: 'stock,geth,flood,tee' },
  rates: { type: 'string', default: '25,50,100,200,400,800' },
  seconds: { type: 'string' },
  'block-interval': { type: 'string', default: '12' },
  'block-gas': { type: 'string', default: '10000000000' },
  'bound-ms': { type: 'string', default: '5000' },
  seed: { type: 'string', default: 'ramp' },
  start: { type: 'string', default: '10' },
  json: { type: 'string' },
  from: { type: 'string' },
} as const
let a: ReturnType<typeof parseArgs<{ options: typeof opts }>>
try {
  a = parseArgs({ options: opts })
} catch (e) {
  usage((e as Error).message)
}
const num = (k: keyof typeof opts, ok: (x: number) => boolean): number => {
  const x = Number(a.values[k])
  if (!ok(x)) usage(`--${k}: bad value "${a.values[k]}"`)
  return x
}
const nodes = num('nodes', (x) => Number.isInteger(x) && x >= 10)
const degree = num('degree', (x) => Number.isInteger(x) && x >= 2 && x < nodes)
const uploadMbps = num('upload-mbps', (x) => x > 0)
const blockIntervalS = num('block-interval', (x) => x >= 0)
// A workload shorter than two intervals never fills a block with a whole interval of txs, as a steady rate does: the
// blocks (stock's full pushes) are then smaller than at that rate for real, and the eth/68 modes look better.
if (a.values.seconds === undefined) a.values.seconds = String(blockIntervalS > 0 ? 2 * blockIntervalS : 12)
const seconds = num('seconds', (x) => x > 0)
if (blockIntervalS > 0 && seconds < 2 * blockIntervalS) process.stderr.write(`sim-ramp: --seconds ${seconds} < 2 block intervals: no block holds a full interval of txs, so blocks are smaller than the rate gives\n`)
const blockGas = num('block-gas', (x) => Number.isInteger(x) && x >= 21_000)
const boundMs = num('bound-ms', (x) => x > 0)
const startS = num('start', (x) => x >= 0)
const rates = a.values.rates!.split(',').map(Number)
if (rates.some((r) => !(r > 0))) usage(`--rates: bad list "${a.values.rates}"`)
const modes = a.values.modes!.split(',') as SimMode[]

interface Row {
  mode: SimMode
  offeredTps: number
  deliveredTps: number
  delayP50Ms: number
  delayP95Ms: number
  lateOverEarly: number
  blockTo95MaxMs: number
  bytesPerNodePerTx: number
  blockBytesPerNodePerTx: number
  maxUplinkBacklogMs: number
  /** Data bytes the busiest live node sent per tx: what binds first when uplinks are the limit. */
  maxSentBytesPerTx: number
  txDiverged: boolean
  blocksLate: boolean
  wallS: number
}

const diverged = (x: Row): boolean => x.txDiverged || x.blocksLate
const divergedText = (x: Row): string => (x.txDiverged && x.blocksLate ? 'tx, blocks' : x.txDiverged ? 'tx' : x.blocksLate ? 'blocks' : 'no')

const median = (xs: number[]): number => percentile(xs, 50) ?? NaN

function row(mode: SimMode, rate: number, r: SimResult): Row {
  const times = r.itemTimes!
  const delivered = times.filter((t) => t.to95 <= boundMs).length
  const q = Math.max(1, Math.floor(times.length / 4))
  const byAt = [...times].sort((x, y) => x.at - y.at)
  const early = median(byAt.slice(0, q).map((t) => t.to95))
  const late = median(byAt.slice(-q).map((t) => t.to95))
  const p95 = percentile(times.map((t) => t.to95), 95) ?? NaN
  const lateOverEarly = late / early
  return {
    mode,
    offeredTps: rate,
    deliveredTps: delivered / seconds,
    delayP50Ms: median(times.map((t) => t.to95)),
    delayP95Ms: p95,
    lateOverEarly,
    blockTo95MaxMs: r.blocks?.to95.max ?? NaN,
    bytesPerNodePerTx: r.bytesPerNodePerItem,
    blockBytesPerNodePerTx: r.blockBytesPerNodePerItem,
    maxUplinkBacklogMs: r.uplink.maxBacklogMs,
    maxSentBytesPerTx: r.uplink.sentBytesPerItem.max,
    txDiverged: !(p95 <= boundMs) || (lateOverEarly > 2 && late > 1_000),
    blocksLate: r.blocks !== undefined && !(r.blocks.to95.max <= blockIntervalS * 1000),
    wallS: r.wallMs / 1000,
  }
}

const f = (x: number | null, d = 0): string => (x === null ? 'inf' : Number.isFinite(x) ? x.toFixed(d) : 'inf')
interface Saved {
  nodes: number
  degree: number
  uploadMbps: number
  blockIntervalS: number
  rows: (Row & { diverged?: boolean })[]
}
const saved = a.values.from === undefined ? undefined : (JSON.parse(readFileSync(a.values.from, 'utf8')) as Saved)
const meta = saved ?? { nodes, degree, uploadMbps, blockIntervalS }
// JSON keeps an infinite time as null. Runs saved before the block criterion kept one `diverged` flag for the txs.
const rows: Row[] = (saved?.rows ?? []).map((x) => ({
  ...x,
  blockTo95MaxMs: x.blockTo95MaxMs ?? Infinity,
  maxSentBytesPerTx: x.maxSentBytesPerTx ?? NaN,
  txDiverged: x.txDiverged ?? x.diverged ?? false,
  blocksLate: x.blocksLate ?? !((x.blockTo95MaxMs ?? Infinity) <= meta.blockIntervalS * 1000),
}))
for (const mode of a.values.from === undefined ? modes : []) {
  let divergedRates = 0
  for (const rate of rates) {
    process.stderr.write(`sim-ramp: ${mode} at ${rate} tx/s, ${nodes} nodes, ${uploadMbps} Mbit/s uplinks...\n`)
    const r = runExperiment({
      mode,
      nodes,
      degree,
      seed: a.values.seed!,
      items: Math.round(rate * seconds),
      rateTps: rate,
      blockIntervalMs: blockIntervalS * 1000,
      blockGasLimit: blockGas,
      uploadMbps,
      keepItemTimes: true,
      startMs: startS * 1000,
    })
    const x = row(mode, rate, r)
    rows.push(x)
    process.stderr.write(`  delivered ${f(x.deliveredTps, 1)} tx/s, p95 delay ${f(x.delayP95Ms)} ms, late/early ${f(x.lateOverEarly, 2)}, ${f(x.wallS, 1)} s wall\n`)
    if (diverged(x) && ++divergedRates >= 2) break
  }
}
for (const mode of [...new Set(rows.map((x) => x.mode))]) {
  const mine = rows.filter((x) => x.mode === mode)
  const knee = mine.find(diverged)
  process.stdout.write(`\n${mode}: ${meta.nodes} nodes, degree ${meta.degree}, ${meta.uploadMbps} Mbit/s uplinks, blocks every ${meta.blockIntervalS} s; diverges at ${knee === undefined ? `> ${mine.at(-1)!.offeredTps}` : knee.offeredTps} tx/s\n`)
  process.stdout.write(
    `${renderTable(
      ['offered tx/s', 'delivered tx/s', 'delay p50 ms', 'delay p95 ms', 'late/early', 'block to 95% max ms', 'B/node/tx', 'of which blocks', 'busiest uplink B/tx', 'max uplink queue ms', 'diverged', 'wall s'],
      mine.map((x) => [String(x.offeredTps), f(x.deliveredTps, 1), f(x.delayP50Ms), f(x.delayP95Ms), f(x.lateOverEarly, 2), f(x.blockTo95MaxMs), f(x.bytesPerNodePerTx), f(x.blockBytesPerNodePerTx), f(x.maxSentBytesPerTx), f(x.maxUplinkBacklogMs), divergedText(x), f(x.wallS, 1)]),
    )}\n`,
  )
}
if (a.values.json !== undefined && a.values.from === undefined) writeFileSync(a.values.json, `${JSON.stringify({ nodes, degree, uploadMbps, seconds, blockIntervalS, blockGas, boundMs, rows }, null, 2)}\n`)
