/** Static SVG charts rendered in Node (vega-lite -> vega, renderer 'none'): no browser involved. */
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { Summary } from './summary.ts'

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const out = await view.toSVG()
  view.finalize()
  return out
}

export async function costChart(s: Summary, field: 'txMsgsIn' | 'txBytesIn', title: string): Promise<string> {
  return svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 320,
    height: 180,
    data: { values: s.modes.map((m) => ({ mode: m.mode, value: m.perTxPerNode[field] })) },
    mark: 'bar',
    encoding: { x: { field: 'mode', type: 'nominal', title: null }, y: { field: 'value', type: 'quantitative', title } },
  })
}

export async function latencyCdfChart(s: Summary): Promise<string> {
  const values = s.modes.flatMap((m) => m.latencyCdfMs.map((ms, i, all) => ({ mode: m.mode, ms, share: (i + 1) / all.length })))
  return svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'time for a tx to reach every node (CDF)',
    width: 420,
    height: 220,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: 'ms after RPC acceptance' },
      y: { field: 'share', type: 'quantitative', title: 'share of txs', scale: { domain: [0, 1] } },
      color: { field: 'mode', type: 'nominal' },
    },
  })
}

export async function throughputChart(s: Summary): Promise<string> {
  return svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'committed vs offered tx/s',
    width: 320,
    height: 180,
    data: { values: s.modes.map((m) => ({ mode: m.mode, offered: m.offeredTxPerS, committed: m.committedTxPerS })) },
    mark: { type: 'point', filled: true, size: 80 },
    encoding: {
      x: { field: 'offered', type: 'quantitative', title: 'offered tx/s' },
      y: { field: 'committed', type: 'quantitative', title: 'committed tx/s' },
      color: { field: 'mode', type: 'nominal' },
    },
  })
}

/** Ramp: committed vs offered tx/s per step, one line per mode, with the y = x diagonal for reference. */
export async function rampChart(s: Summary): Promise<string> {
  const values = s.modes.flatMap((m) => (m.steps ?? []).map((st) => ({ mode: m.mode, offered: st.offeredTxPerS, committed: st.committedTxPerS })))
  const top = Math.max(1, ...values.map((v) => Math.max(v.offered, v.committed)))
  return svg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'throughput vs offered load (ramp steps)',
    width: 420,
    height: 240,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: top, y: top }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'offered', type: 'quantitative', title: 'offered tx/s' },
          y: { field: 'committed', type: 'quantitative', title: 'committed tx/s' },
          color: { field: 'mode', type: 'nominal' },
        },
      },
    ],
  })
}
