/** report.html: self-contained (inline SVG, no scripts, no external resources). */
import type { Summary } from './summary.ts'
import { markdownTable } from './summary.ts'
import { costChart, latencyCdfChart, rampChart, throughputChart } from './charts.ts'

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

export function describeWorkload(w: Summary['scenario']['workload']): string {
  const mix = Object.entries(w.mix).filter(([, v]) => v > 0)
  const what = mix.length === 1 && mix[0]![0] === 'transfer' ? 'transfers' : `txs (mix ${mix.map(([k, v]) => `${k} ${v}`).join(', ')})`
  const warm = w.warmupSec > 0 ? ` after ${w.warmupSec} s of warm-up` : ''
  if (w.kind === 'fixed-rate') return `${w.count} ${what} at ${w.rate} tx/s${warm}`
  if (w.kind === 'fixed-load') return `${w.count} ${what} with ${w.inFlight} in flight${warm}`
  return `${what} ramped from ${w.start} to ${w.end} tx/s in ${w.steps} steps of ${w.stepSec !== undefined ? `${w.stepSec} s` : `${w.countPerStep} txs`}${warm}`
}

export async function renderHtml(s: Summary): Promise<string> {
  const charts = [
    await costChart(s, 'txMsgsIn', 'tx messages received per tx per node'),
    await costChart(s, 'txBytesIn', 'tx bytes received per tx per node'),
    await latencyCdfChart(s),
    await throughputChart(s),
    ...(s.modes.some((m) => m.steps !== undefined) ? [await rampChart(s)] : []),
  ]
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>teecast bench: ${esc(s.scenario.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}pre{background:#f5f5f5;padding:1em;overflow:auto}.charts{display:flex;flex-wrap:wrap;gap:1.5em}</style>
</head><body>
<h1>teecast bench: ${esc(s.scenario.name)}</h1>
<p>commit ${esc(s.gitCommit)}, ${esc(s.startedAt)} to ${esc(s.finishedAt)}; ${s.scenario.network.nodes} nodes, degree ${s.scenario.network.degree},
${esc(describeWorkload(s.scenario.workload))}${s.scenario.repetitions > 1 ? `, ${s.scenario.repetitions} repetitions per mode` : ''}${s.scenario.network.regions !== undefined ? `, regions ${esc(JSON.stringify(s.scenario.network.regions.regions))} with RTTs ${esc(JSON.stringify(s.scenario.network.regions.rtt))}` : ''}${s.scenario.network.link !== undefined ? `, links ${esc(JSON.stringify(s.scenario.network.link))}` : ''}.</p>
<pre>${esc(markdownTable(s))}</pre>
<div class="charts">${charts.join('\n')}</div>
</body></html>
`
}
