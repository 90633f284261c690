/**
 * report.html: self-contained (inline SVG, no scripts, no external resources). Top to bottom: the run's config and
 * environment, the headline table (mean and 95 % CI per mode, baseline first, ratios to it), the per-repetition
 * table, then the charts: cost per tx (with the breakdown by message type), latency CDFs, time series, per-node
 * spread, throughput.
 */
import type { NodeResult, Summary } from './summary.ts'
import { aggregate, baselineMode, FIGURES, orderedModes, repetitionsOf, type Estimate } from './aggregate.ts'
import { byMessageChart, cdfChart, figureChart, nodeBoxChart, rampChart, throughputChart, timeSeriesChart } from './charts.ts'

export const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
const num = (v: number | null | undefined, d: number): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d))

export function describeWorkload(w: Summary['scenario']['workload']): string {
  const mix = Object.entries(w.mix).filter(([, v]) => v > 0)
  const what = mix.length === 1 && mix[0]![0] === 'transfer' ? 'transfers' : `txs (mix ${mix.map(([k, v]) => `${k} ${v}`).join(', ')})`
  const warm = w.warmupSec > 0 ? ` after ${w.warmupSec} s of warm-up` : ''
  if (w.kind === 'fixed-rate') return `${w.count} ${what} at ${w.rate} tx/s${warm}`
  if (w.kind === 'fixed-load') return `${w.count} ${what} with ${w.inFlight} in flight${warm}`
  return `${what} ramped from ${w.start} to ${w.end} tx/s in ${w.steps} steps of ${w.stepSec !== undefined ? `${w.stepSec} s` : `${w.countPerStep} txs`}${warm}`
}

/** The report pages' style sheet (bench and simulator reports). */
export const REPORT_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:13px;max-width:100%}
.grid th,.grid td{border:1px solid #ddd;padding:.3em .55em;text-align:right;white-space:nowrap}
.grid thead th{background:#f3f3f3;text-align:center;white-space:normal}
.grid tbody th{text-align:left;font-weight:normal;white-space:normal}
.kv th{text-align:left;padding:.2em 1em .2em 0;vertical-align:top;white-space:nowrap;font-weight:600}.kv td{padding:.2em 0}
.ratio{color:#555;background:#fafafa}.ci{color:#777;font-size:.9em}
.wrap{overflow-x:auto}.note{color:#555;max-width:75em}
.charts{display:flex;flex-wrap:wrap;gap:1em 1.5em}figure{margin:0}
.failed{color:#b00}
`

const cell = (e: Estimate, d: number): string =>
  e.mean === null ? '–' : e.lo === null ? num(e.mean, d) : `${num(e.mean, d)} <span class="ci">± ${num((e.hi! - e.lo) / 2, d)}</span>`

function configTable(s: Summary): string {
  const n = s.scenario.network
  const env = s.environment
  const links = n.regions !== undefined ? `regions ${JSON.stringify(n.regions.regions)}, RTTs ${JSON.stringify(n.regions.rtt)}` : n.link !== undefined ? JSON.stringify(n.link) : 'none (loopback)'
  const rows: [string, string][] = [
    ['scenario', s.scenario.name],
    ['modes', orderedModes(s).map((m) => m.mode).join(', ') + ` (baseline: ${baselineMode(s) ?? '–'})`],
    ['repetitions', `${s.scenario.repetitions} per mode, each on a fresh testnet`],
    ['network', `${n.nodes} nodes, degree ${n.degree}, ${n.signers} Clique signer${n.signers === 1 ? '' : 's'}, period ${n.period} s, ${n.accounts} accounts, seed "${n.seed}"`],
    ['links', links],
    ['tee parameters', `epoch ${n.teeEpochSec} s`],
    ['workload', describeWorkload(s.scenario.workload) + `, inclusion timeout ${s.scenario.workload.timeoutSec} s`],
    ['git commit', `${s.gitCommit}${env?.gitDirty === true ? ' (dirty: uncommitted changes)' : env?.gitDirty === false ? ' (clean)' : ''}`],
    ['time', `${s.startedAt} to ${s.finishedAt}`],
  ]
  if (env !== undefined) {
    rows.push(['Node.js', env.nodeVersion], ['machine', `${env.cpuModel}, ${env.cpus} CPUs, ${env.platform}`], ['load average (1, 5, 15 min)', `${env.loadAverageStart.join(', ')} at the start; ${env.loadAverageEnd.join(', ')} at the end`])
  }
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`
}

function headlineTable(s: Summary): string {
  const aggs = aggregate(s)
  const head = `<tr><th scope="col">figure</th>${aggs.map((a, i) => `<th scope="col">${esc(a.mode)}${i === 0 ? ' (baseline)' : ''}<br><span class="ci">n = ${a.repetitions}</span></th>${i > 0 ? `<th scope="col" class="ratio">${esc(a.mode)} / ${esc(aggs[0]!.mode)}</th>` : ''}`).join('')}</tr>`
  const committed = `<tr><th scope="row">committed / sent</th>${aggs.map((a, i) => `<td>${esc(a.committed)}</td>${i > 0 ? '<td class="ratio"></td>' : ''}`).join('')}</tr>`
  const rows = FIGURES.map((f) => `<tr><th scope="row">${esc(f.label)}</th>${aggs.map((a, i) => `<td>${cell(a.figures[f.key]!, f.digits)}</td>${i > 0 ? `<td class="ratio">${a.ratio[f.key] === null ? '–' : `×${num(a.ratio[f.key], 2)}`}</td>` : ''}`).join('')}</tr>`)
  return `<table class="grid"><thead>${head}</thead><tbody>${committed}${rows.join('')}</tbody></table>`
}

function repetitionTable(s: Summary): string {
  const cols = FIGURES.filter((f) => ['committedTxPerS', 'txMsgsIn', 'txBytesIn', 'toAllP50', 'blockToAllP50', 'inclusionP50', 'cpuSecondsPerNode'].includes(f.key))
  const rows = orderedModes(s).flatMap((m) => repetitionsOf(m).map((r) => `<tr><th scope="row">${esc(m.mode)} #${r.repetition}</th><td>${r.committed}/${r.txs}</td>${cols.map((f) => `<td>${num(f.get(r), f.digits)}</td>`).join('')}</tr>`))
  return `<table class="grid"><thead><tr><th scope="col">run</th><th scope="col">committed</th>${cols.map((f) => `<th scope="col">${esc(f.label)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function rampTable(s: Summary): string {
  const rows = orderedModes(s).flatMap((m) => repetitionsOf(m).flatMap((r) => (r.steps ?? []).map((st) => `<tr><th scope="row">${esc(m.mode)} #${r.repetition}</th><td>${num(st.offeredTxPerS, 1)}</td><td>${st.txs}</td><td>${(st.committedShare * 100).toFixed(0)} %</td><td>${num(st.committedTxPerS, 1)}</td><td>${num(st.inclusionLatencyMs.p50, 0)} / ${num(st.inclusionLatencyMs.p99, 0)}</td></tr>`)))
  return `<table class="grid"><thead><tr><th scope="col">run</th><th scope="col">offered tx/s</th><th scope="col">txs</th><th scope="col">committed</th><th scope="col">committed tx/s</th><th scope="col">inclusion p50 / p99 ms</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

const section = (title: string, note: string, charts: string[]): string => `<section><h2>${esc(title)}</h2><p class="note">${esc(note)}</p><div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('\n')}</div></section>`

export async function renderHtml(s: Summary, nodes: NodeResult[] = []): Promise<string> {
  const aggs = aggregate(s)
  const reps = s.scenario.repetitions
  const ci = reps > 1 ? `Error bars: 95 % confidence interval of the mean over the ${reps} repetitions.` : 'One repetition: no confidence interval, the error bars collapse to the value.'
  const clip = ' Lower bounds below 0 are drawn at 0.'
  const hasRamp = s.modes.some((m) => m.steps !== undefined)
  const sections = [
    section('Cost per committed tx', `Received per node per committed tx. ${ci}${clip}`, [
      await figureChart(aggs, 'txBytesIn'),
      await figureChart(aggs, 'txMsgsIn'),
      await figureChart(aggs, 'blockBytesIn'),
      await byMessageChart(s, 'bytesIn', 'bytes in / tx / node by message'),
      await byMessageChart(s, 'msgsIn', 'messages in / tx / node by message'),
    ]),
    section('Latency', `CDFs: one line per repetition; the bar at share 0.5 is the mean of the repetitions' medians with its 95 % CI. Tx: RPC acceptance to the last node's first sighting. Block: first sighting (at its sealer) to the last node's. Inclusion: RPC call returned to the poller seeing the tx in a block.`, [
      await cdfChart(s, 'latencyCdfMs', 'tx to every node (CDF)', 'ms after RPC acceptance'),
      await cdfChart(s, 'blockCdfMs', 'block to every node (CDF)', 'ms after first sighting'),
      await cdfChart(s, 'inclusionCdfMs', 'tx inclusion (CDF)', 'ms after RPC acceptance'),
      await figureChart(aggs, 'toAllP50'),
      await figureChart(aggs, 'blockToAllP50'),
    ]),
    section('Over time', `2 s bins from the first measured send: mean over repetitions, band = 95 % CI. Bytes/s are all bytes received by all nodes (sampled every 2 s).`, [
      await timeSeriesChart(s, 'committedTxPerS', 'committed tx/s'),
      await timeSeriesChart(s, 'bytesInPerS', 'bytes/s received, all nodes'),
      await throughputChart(s, aggs),
      ...(hasRamp ? [await rampChart(s)] : []),
    ]),
    ...(nodes.length > 0
      ? [section('Per-node spread', 'nodes.csv: one box per mode over every node of every repetition (whiskers: min and max).', [
          await nodeBoxChart(s, nodes, 'txBytesIn', 'tx bytes in per node (whole run)'),
          await nodeBoxChart(s, nodes, 'cpuSeconds', 'CPU s per node'),
          await nodeBoxChart(s, nodes, 'peakRssMB', 'peak RSS MB per node'),
        ])]
      : []),
  ]
  const failed = (s.failed ?? []).map((x) => `<li>${esc(x.mode)} #${x.repetition}: ${esc(x.error)}</li>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>teecast bench: ${esc(s.scenario.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
${REPORT_CSS}</style>
</head><body>
<h1>teecast bench: ${esc(s.scenario.name)}</h1>
<p>${s.scenario.network.nodes} nodes, ${esc(describeWorkload(s.scenario.workload))}; modes ${esc(orderedModes(s).map((m) => m.mode).join(', '))}${reps > 1 ? `, ${reps} repetitions each` : ''}.</p>
${failed !== '' ? `<p class="failed">Failed runs (in no figure):</p><ul class="failed">${failed}</ul>` : ''}
<h2>Config and environment</h2>
${configTable(s)}
<h2>Headline figures</h2>
<p class="note">Mean over the repetitions ± half the 95 % confidence interval (Student's t); the baseline first, each other mode's ratio to it beside it.</p>
<div class="wrap">${headlineTable(s)}</div>
<h2>Every repetition</h2>
<div class="wrap">${repetitionTable(s)}</div>
${hasRamp ? `<h2>Ramp steps</h2><div class="wrap">${rampTable(s)}</div>` : ''}
${sections.join('\n')}
</body></html>
`
}
