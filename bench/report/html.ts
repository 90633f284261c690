/** report.html: self-contained (inline SVG, no scripts, no external resources). */
import type { Summary } from './summary.ts'
import { markdownTable } from './summary.ts'
import { costChart, latencyCdfChart, throughputChart } from './charts.ts'

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

export async function renderHtml(s: Summary): Promise<string> {
  const charts = [
    await costChart(s, 'txMsgsIn', 'tx messages received per tx per node'),
    await costChart(s, 'txBytesIn', 'tx bytes received per tx per node'),
    await latencyCdfChart(s),
    await throughputChart(s),
  ]
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>teecast bench: ${esc(s.scenario.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}pre{background:#f5f5f5;padding:1em;overflow:auto}.charts{display:flex;flex-wrap:wrap;gap:1.5em}</style>
</head><body>
<h1>teecast bench: ${esc(s.scenario.name)}</h1>
<p>commit ${esc(s.gitCommit)}, ${esc(s.startedAt)} to ${esc(s.finishedAt)}; ${s.scenario.network.nodes} nodes, degree ${s.scenario.network.degree},
${s.scenario.workload.count} transfers at ${s.scenario.workload.rate} tx/s${s.scenario.network.link !== undefined ? `, links ${esc(JSON.stringify(s.scenario.network.link))}` : ''}.</p>
<pre>${esc(markdownTable(s))}</pre>
<div class="charts">${charts.join('\n')}</div>
</body></html>
`
}
