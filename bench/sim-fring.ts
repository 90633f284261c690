/**
 * `teecast sim --preset fring`: FRing's table reproduced on the simulator and extended. For each network size, each
 * mode (flood = gossip, stock, geth, tee) runs once without failures (messages, 95 % convergence, bytes) and once per
 * failed share (30/50/60 % of nodes crash at the workload's start; reach counted of all live nodes, as FRing counts,
 * and of the live nodes still connected to the origin). Links follow FRing's RTT tiers (FRING_REGIONS: one-way =
 * RTT / 2). FRing's published figures sit in the same table, marked `published`.
 *
 * Stages: runs (one at a time, a progress line before and after each) -> rows -> the three files (JSON, Markdown,
 * HTML with SVG charts). Invariant: every (size, mode, failed share) asked for has exactly one simulated row.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FRING_REGIONS, runExperiment, type SimMode, type SimResult, type SimScenario } from '../src/sim/experiment.ts'
import { paramsForEpoch } from '../src/propagation/tee/params.ts'
import { groupedBarChart } from './report/charts.ts'
import { esc, REPORT_CSS } from './report/html.ts'

export const FRING_MODES: readonly SimMode[] = ['flood', 'stock', 'geth', 'tee']
export const FRING_FAILED = [0.3, 0.5, 0.6] as const
export const FRING_NODES = [2000, 8000] as const

/** A row of the table: one simulated run, or one of FRing's published figures (null: not published). */
export interface FringRow {
  source: 'simulated' | 'published'
  /** flood, stock, geth, tee; published rows: fring or gossip. */
  mode: string
  nodes: number
  /** Share of nodes failed (0: the failure-free run). */
  failed: number
  /** Messages received per live node per tx, control and block messages included. */
  msgsPerNodePerTx: number | null
  /** Time from publication to 95 % of the eligible nodes, ms: median over txs. */
  to95Ms: number | null
  /** Bytes received per live node per tx, control and blocks included. */
  bytesPerNodePerTx: number | null
  /** Mean reach over txs, of all live nodes (FRing's count). */
  reachAllLive: number | null
  /** Mean reach over txs, of the live nodes still connected to the origin. */
  reachConnected: number | null
  /** Simulated rows: wall time of the run, s. */
  wallSec?: number
}

/** FRing's figures as published (95 % convergence at 2K and 8K; reach of live nodes at 30/50/60 % failed). */
export const FRING_PUBLISHED: readonly FringRow[] = [
  ...(['fring', 'gossip'] as const).flatMap((mode) =>
    ([[2000, mode === 'fring' ? 1660 : 15_400], [8000, mode === 'fring' ? 3590 : 63_900]] as const).map(([nodes, ms]) => pub(mode, nodes, 0, { to95Ms: ms })),
  ),
  ...([[0.3, 0.898, 0.94], [0.5, 0.68, 0.736], [0.6, 0.32, 0.512]] as const).flatMap(([failed, fring, gossip]) => [pub('fring', null, failed, { reachAllLive: fring }), pub('gossip', null, failed, { reachAllLive: gossip })]),
]

function pub(mode: string, nodes: number | null, failed: number, x: Partial<FringRow>): FringRow {
  // FRing publishes its failure figures without a size: nodes 0 marks "as published, size not ours".
  return { source: 'published', mode, nodes: nodes ?? 0, failed, msgsPerNodePerTx: null, to95Ms: null, bytesPerNodePerTx: null, reachAllLive: null, reachConnected: null, ...x }
}

export interface FringOptions {
  nodes: readonly number[]
  seed: string
  items: number
  /** tee epoch, ms. */
  epochMs: number
  detectMs: SimScenario['detectMs']
  modes?: readonly SimMode[]
  failed?: readonly number[]
  progress?: (line: string) => void
  /** The simulator (tests may pass a smaller one). */
  run?: (s: Partial<SimScenario>) => SimResult
}

/** The scenario of one run of the preset. */
export function fringScenario(o: FringOptions, mode: SimMode, nodes: number, failed: number): Partial<SimScenario> {
  return {
    mode,
    nodes,
    degree: 8,
    seed: o.seed,
    items: o.items,
    rateTps: 50,
    regions: FRING_REGIONS,
    jitterMs: 0,
    blockIntervalMs: 12_000,
    // tee runs on its plan, as a testnet does once `testnet up` returns; its later control traffic is counted.
    afterPlan: true,
    startMs: 3_000,
    // At the workload's start: every tx is published into the failed network.
    crashFraction: failed,
    crashAtMs: 3_000,
    detectMs: o.detectMs,
    tee: paramsForEpoch(o.epochMs),
  }
}

export function fringRow(r: SimResult, failed: number): FringRow {
  const perNodeTx = Math.max(1, r.liveNodes * r.items)
  const types = Object.values(r.byType)
  return {
    source: 'simulated',
    mode: r.scenario.mode,
    nodes: r.scenario.nodes,
    failed,
    msgsPerNodePerTx: types.reduce((a, x) => a + x.msgs, 0) / perNodeTx,
    to95Ms: r.latency.to95.p50,
    bytesPerNodePerTx: types.reduce((a, x) => a + x.bytes, 0) / perNodeTx,
    reachAllLive: r.meanReachAllLive,
    reachConnected: r.meanReach,
    wallSec: r.wallMs / 1000,
  }
}

/** Runs every (size, mode, failed share), one at a time, with a progress line before and after each. */
export function runFring(o: FringOptions): FringRow[] {
  const run = o.run ?? runExperiment
  const modes = o.modes ?? FRING_MODES
  const failed = [0, ...(o.failed ?? FRING_FAILED)]
  const total = o.nodes.length * modes.length * failed.length
  const rows: FringRow[] = []
  for (const nodes of o.nodes) for (const mode of modes) for (const f of failed) {
    const tag = `[fring ${rows.length + 1}/${total}] ${nodes} nodes, ${mode}, ${Math.round(f * 100)} % failed`
    o.progress?.(`${tag}...`)
    const row = fringRow(run(fringScenario(o, mode, nodes, f)), f)
    o.progress?.(`${tag}: done in ${row.wallSec!.toFixed(1)} s; 95 % in ${fmt(row.to95Ms, 0)} ms, reach ${fmt(row.reachAllLive, 3)} of live nodes`)
    rows.push(row)
  }
  return rows
}

const fmt = (x: number | null | undefined, d: number): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))
const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)} %`)
const sizeOf = (n: number): string => (n === 0 ? 'as published' : String(n))

/** A row's mode as the tables and charts show it: published rows carry "(published)". */
const rowLabel = (r: FringRow): string => (r.source === 'published' ? `${r.mode} (published)` : r.mode)

/** Two tables: cost and convergence without failures; reach with failures. */
export function fringTables(rows: readonly FringRow[]): { cost: string[][]; reach: string[][] } {
  const cost = [
    ['source', 'nodes', 'mode', 'msgs/node/tx', '95 % convergence s', 'bytes/node/tx'],
    ...rows.filter((r) => r.failed === 0).map((r) => [r.source, sizeOf(r.nodes), rowLabel(r), fmt(r.msgsPerNodePerTx, 2), fmt(r.to95Ms === null ? null : r.to95Ms / 1000, 2), fmt(r.bytesPerNodePerTx, 0)]),
  ]
  const reach = [
    ['source', 'nodes', 'mode', 'failed', 'reach of live nodes', 'reach of connected live nodes'],
    ...rows.filter((r) => r.failed > 0).map((r) => [r.source, sizeOf(r.nodes), rowLabel(r), `${Math.round(r.failed * 100)} %`, pct(r.reachAllLive), pct(r.reachConnected)]),
  ]
  return { cost, reach }
}

const mdTable = (t: string[][]): string => [t[0]!, t[0]!.map(() => '---'), ...t.slice(1)].map((r) => `| ${r.join(' | ')} |`).join('\n')

export function fringMarkdown(rows: readonly FringRow[], o: Pick<FringOptions, 'seed' | 'items'>): string {
  const t = fringTables(rows)
  return `# FRing's table on the simulator

Regions eu, us, asia (nodes assigned by seed), RTT 20 ms inside a region, 80 ms eu-us, 200 ms to asia (one-way = RTT / 2);
degree 8, ${o.items} txs at 50 tx/s, blocks every 12 s, seed "${o.seed}". Failures: the share of nodes crashes at the
workload's start. Rows marked \`published\` are FRing's own figures, not runs of ours.

## Cost and convergence, no failures

Messages and bytes received per live node per tx, control and blocks included; 95 % convergence: median over txs of the
time to 95 % of the nodes.

${mdTable(t.cost)}

## Reach with failed nodes

Mean over txs: of all live nodes (as FRing counts), and of the live nodes still connected to the tx's origin.

${mdTable(t.reach)}
`
}

const htmlTable = (t: string[][]): string =>
  `<table class="grid"><thead><tr>${t[0]!.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${t
    .slice(1)
    .map((r) => `<tr${r[0] === 'published' ? ' class="published"' : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`

export async function fringHtml(rows: readonly FringRow[], o: Pick<FringOptions, 'seed' | 'items'>): Promise<string> {
  const t = fringTables(rows)
  const clean = rows.filter((r) => r.failed === 0 && r.nodes > 0)
  const failed = rows.filter((r) => r.failed > 0)
  const charts = [
    await groupedBarChart(clean.map((r) => ({ group: `${r.nodes} nodes`, series: rowLabel(r), value: (r.to95Ms ?? NaN) / 1000 })), '95 % convergence (median tx)', 's', 'log'),
    await groupedBarChart(clean.filter((r) => r.source === 'simulated').map((r) => ({ group: `${r.nodes} nodes`, series: r.mode, value: r.msgsPerNodePerTx! })), 'messages per node per tx', 'msgs'),
    await groupedBarChart(clean.filter((r) => r.source === 'simulated').map((r) => ({ group: `${r.nodes} nodes`, series: r.mode, value: r.bytesPerNodePerTx! })), 'bytes per node per tx', 'bytes', 'log'),
    await groupedBarChart(failed.map((r) => ({ group: `${Math.round(r.failed * 100)} % failed`, series: r.source === 'published' ? rowLabel(r) : `${r.mode} ${r.nodes}`, value: (r.reachAllLive ?? NaN) * 100 })), 'reach of live nodes', '%'),
    await groupedBarChart(failed.filter((r) => r.source === 'simulated').map((r) => ({ group: `${Math.round(r.failed * 100)} % failed`, series: `${r.mode} ${r.nodes}`, value: (r.reachConnected ?? NaN) * 100 })), 'reach of connected live nodes', '%'),
  ]
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>teecast sim: FRing's table</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
${REPORT_CSS}.published td{font-style:italic;background:#f7f7ee}
</style>
</head><body>
<h1>teecast sim: FRing's table</h1>
<p class="note">Regions eu, us, asia (nodes assigned by seed), RTT 20 ms inside a region, 80 ms eu-us, 200 ms to asia;
degree 8, ${o.items} txs at 50 tx/s, blocks every 12 s, seed "${esc(o.seed)}". Failures crash at the workload's start.
Italic rows marked <em>published</em> are FRing's own figures, not runs of ours.</p>
<h2>Cost and convergence, no failures</h2>
<div class="wrap">${htmlTable(t.cost)}</div>
<h2>Reach with failed nodes</h2>
<div class="wrap">${htmlTable(t.reach)}</div>
<h2>Charts</h2>
<div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('\n')}</div>
</body></html>
`
}

/** The rows (simulated, then published) and the three files in `outDir`: fring.json, fring.md, fring.html. */
export async function writeFringReport(rows: readonly FringRow[], o: Pick<FringOptions, 'seed' | 'items' | 'nodes'>, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true })
  const all = [...rows, ...FRING_PUBLISHED]
  const files = [join(outDir, 'fring.json'), join(outDir, 'fring.md'), join(outDir, 'fring.html')]
  writeFileSync(files[0]!, `${JSON.stringify({ preset: 'fring', seed: o.seed, items: o.items, nodes: o.nodes, regions: FRING_REGIONS, rows: all }, null, 2)}\n`)
  writeFileSync(files[1]!, fringMarkdown(all, o))
  writeFileSync(files[2]!, await fringHtml(all, o))
  return files
}
