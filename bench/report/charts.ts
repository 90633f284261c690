/**
 * Static SVG charts rendered in Node (vega-lite -> vega, renderer 'none'): no browser involved. Modes sit in the
 * report's order (baseline first) with one colour each throughout. Error bars are 95 % CIs over the repetitions
 * (bench/report/aggregate.ts); with one repetition they collapse to the mean.
 */
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { NodeResult, Summary } from './summary.ts'
import { estimate, FIGURES, orderedModes, repetitionsOf, type Estimate, type ModeAggregate } from './aggregate.ts'

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json'

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const out = await view.toSVG()
  view.finalize()
  return out
}

/** The CI bounds to draw: every figure here is non-negative, so a lower bound below 0 is drawn at 0. */
const bounds = (e: Estimate): { lo: number; hi: number } => ({ lo: Math.max(0, e.lo ?? e.mean ?? 0), hi: e.hi ?? e.mean ?? 0 })

const modeColor = (order: string[]) => ({ field: 'mode', type: 'nominal' as const, sort: order, scale: { domain: order }, title: 'mode' })

/** One figure per mode: a bar at the mean, an error bar over its 95 % CI. */
export async function figureChart(aggs: ModeAggregate[], key: string): Promise<string> {
  const f = FIGURES.find((x) => x.key === key)!
  const order = aggs.map((a) => a.mode)
  const values = aggs.map((a) => ({ mode: a.mode, mean: a.figures[key]!.mean, ...bounds(a.figures[key]!) }))
  return svg({
    $schema: SCHEMA,
    title: f.label,
    width: 220,
    height: 160,
    data: { values },
    encoding: { x: { field: 'mode', type: 'nominal', sort: order, title: null } },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'mean', type: 'quantitative', title: f.label }, color: { ...modeColor(order), legend: null } } },
      { mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'lo', type: 'quantitative', title: f.label }, y2: { field: 'hi' } } },
    ],
  })
}

/** Bytes or messages received per tx per node, stacked by message type (mean over repetitions; CI of the total). */
export async function byMessageChart(s: Summary, field: 'bytesIn' | 'msgsIn', title: string): Promise<string> {
  const modes = orderedModes(s)
  const order = modes.map((m) => m.mode)
  const values: { mode: string; message: string; value: number }[] = []
  const totals: { mode: string; lo: number; hi: number }[] = []
  for (const m of modes) {
    const reps = repetitionsOf(m)
    const keys = new Set(reps.flatMap((r) => Object.keys(r.perTxPerNode.byMessage)))
    for (const k of keys) {
      const v = estimate(reps.map((r) => r.perTxPerNode.byMessage[k]?.[field] ?? 0)).mean ?? 0
      if (v > 0) values.push({ mode: m.mode, message: k, value: v })
    }
    const total = estimate(reps.map((r) => Object.values(r.perTxPerNode.byMessage).reduce((t, x) => t + x[field], 0)))
    totals.push({ mode: m.mode, ...bounds(total) })
  }
  return svg({
    $schema: SCHEMA,
    title,
    width: 260,
    height: 220,
    encoding: { x: { field: 'mode', type: 'nominal', sort: order, title: null } },
    layer: [
      { data: { values }, mark: 'bar', encoding: { y: { field: 'value', type: 'quantitative', aggregate: 'sum', stack: 'zero', title }, color: { field: 'message', type: 'nominal', title: 'message', scale: { scheme: 'tableau20' } }, order: { field: 'message' } } },
      { data: { values: totals }, mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'lo', type: 'quantitative', title }, y2: { field: 'hi' } } },
    ],
  })
}

type CdfField = 'latencyCdfMs' | 'blockCdfMs' | 'inclusionCdfMs'

/** One thin step line per repetition, and at the median the mean of the repetitions' medians with its 95 % CI. */
export async function cdfChart(s: Summary, field: CdfField, title: string, xTitle: string): Promise<string> {
  const modes = orderedModes(s)
  const order = modes.map((m) => m.mode)
  const lines: { mode: string; rep: number; ms: number; share: number }[] = []
  const medians: { mode: string; mean: number; lo: number; hi: number; share: number }[] = []
  for (const m of modes) {
    const reps = repetitionsOf(m)
    for (const r of reps) (r[field] ?? []).forEach((ms, i, all) => lines.push({ mode: m.mode, rep: r.repetition, ms, share: (i + 1) / all.length }))
    const e = estimate(reps.map((r) => { const xs = r[field] ?? []; return xs.length > 0 ? xs[Math.ceil(xs.length / 2) - 1]! : null }))
    if (e.mean !== null) medians.push({ mode: m.mode, mean: e.mean, ...bounds(e), share: 0.5 })
  }
  return svg({
    $schema: SCHEMA,
    title,
    width: 300,
    height: 200,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.2, opacity: 0.8 },
        encoding: {
          x: { field: 'ms', type: 'quantitative', title: xTitle },
          y: { field: 'share', type: 'quantitative', title: 'share', scale: { domain: [0, 1] } },
          color: modeColor(order),
          detail: { field: 'rep', type: 'nominal' },
        },
      },
      {
        data: { values: medians },
        mark: { type: 'errorbar', ticks: true, thickness: 2 },
        encoding: { x: { field: 'lo', type: 'quantitative', title: xTitle }, x2: { field: 'hi' }, y: { field: 'share', type: 'quantitative', title: 'share' }, color: modeColor(order) },
      },
      { data: { values: medians }, mark: { type: 'point', filled: true, size: 40 }, encoding: { x: { field: 'mean', type: 'quantitative', title: xTitle }, y: { field: 'share', type: 'quantitative', title: 'share' }, color: modeColor(order) } },
    ],
  })
}

/** Per-node spread (nodes.csv): a box per mode over every node of every repetition, whiskers at min and max. */
export async function nodeBoxChart(s: Summary, nodes: NodeResult[], field: 'cpuSeconds' | 'txBytesIn' | 'peakRssMB' | 'txMsgsIn', title: string): Promise<string> {
  const order = orderedModes(s).map((m) => m.mode)
  return svg({
    $schema: SCHEMA,
    title,
    width: 220,
    height: 160,
    data: { values: nodes.filter((n) => order.includes(n.mode)).map((n) => ({ mode: n.mode, value: n[field] })) },
    mark: { type: 'boxplot', extent: 'min-max' },
    encoding: { x: { field: 'mode', type: 'nominal', sort: order, title: null }, y: { field: 'value', type: 'quantitative', title, scale: { zero: false } }, color: { ...modeColor(order), legend: null } },
  })
}

/** Committed tx/s or bytes/s over time: the mean over repetitions per 2 s bin, with its 95 % CI as a band. */
export async function timeSeriesChart(s: Summary, field: 'committedTxPerS' | 'bytesInPerS', title: string): Promise<string> {
  const modes = orderedModes(s)
  const order = modes.map((m) => m.mode)
  const values: { mode: string; t: number; mean: number; lo: number; hi: number }[] = []
  for (const m of modes) {
    const reps = repetitionsOf(m)
    const bins = Math.max(0, ...reps.map((r) => r.timeSeries?.length ?? 0))
    for (let i = 0; i < bins; i++) {
      const e = estimate(reps.map((r) => r.timeSeries?.[i]?.[field] ?? null))
      if (e.mean !== null) values.push({ mode: m.mode, t: reps[0]!.timeSeries?.[i]?.tSec ?? i * 2, mean: e.mean, ...bounds(e) })
    }
  }
  return svg({
    $schema: SCHEMA,
    title,
    width: 300,
    height: 180,
    data: { values },
    encoding: { x: { field: 't', type: 'quantitative', title: 's since the first measured send' }, color: modeColor(order) },
    layer: [
      { mark: { type: 'area', opacity: 0.25 }, encoding: { y: { field: 'lo', type: 'quantitative', title }, y2: { field: 'hi' } } },
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'mean', type: 'quantitative', title } } },
    ],
  })
}

/** Committed vs offered tx/s per mode (means, with the 95 % CI of committed tx/s). */
export async function throughputChart(s: Summary, aggs: ModeAggregate[]): Promise<string> {
  const order = aggs.map((a) => a.mode)
  const byMode = new Map(s.modes.map((m) => [m.mode, m]))
  const values = aggs.map((a) => {
    const c = a.figures.committedTxPerS!
    return { mode: a.mode, offered: estimate(repetitionsOf(byMode.get(a.mode)!).map((r) => r.offeredTxPerS)).mean, committed: c.mean, ...bounds(c) }
  })
  return svg({
    $schema: SCHEMA,
    title: 'committed vs offered tx/s',
    width: 220,
    height: 160,
    data: { values },
    encoding: { x: { field: 'offered', type: 'quantitative', title: 'offered tx/s' }, color: modeColor(order) },
    layer: [
      { mark: { type: 'point', filled: true, size: 80 }, encoding: { y: { field: 'committed', type: 'quantitative', title: 'committed tx/s' } } },
      { mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'committed tx/s' }, y2: { field: 'hi' } } },
    ],
  })
}

/** Ramp: committed vs offered tx/s per step (mean over repetitions, 95 % CI), with the y = x diagonal. */
export async function rampChart(s: Summary): Promise<string> {
  const modes = orderedModes(s)
  const order = modes.map((m) => m.mode)
  const values: { mode: string; offered: number; committed: number; lo: number; hi: number }[] = []
  for (const m of modes) {
    const reps = repetitionsOf(m)
    const steps = reps[0]?.steps ?? []
    steps.forEach((st, i) => {
      const e = estimate(reps.map((r) => r.steps?.[i]?.committedTxPerS ?? null))
      values.push({ mode: m.mode, offered: st.offeredTxPerS, committed: e.mean ?? 0, ...bounds(e) })
    })
  }
  const top = Math.max(1, ...values.map((v) => Math.max(v.offered, v.hi)))
  return svg({
    $schema: SCHEMA,
    title: 'throughput vs offered load (ramp steps)',
    width: 300,
    height: 200,
    layer: [
      { data: { values: [{ x: 0, y: 0 }, { x: top, y: top }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#999' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
      { data: { values }, mark: { type: 'line', point: true }, encoding: { x: { field: 'offered', type: 'quantitative', title: 'offered tx/s' }, y: { field: 'committed', type: 'quantitative', title: 'committed tx/s' }, color: modeColor(order) } },
      { data: { values }, mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: 'offered', type: 'quantitative', title: 'offered tx/s' }, y: { field: 'lo', type: 'quantitative', title: 'committed tx/s' }, y2: { field: 'hi' }, color: modeColor(order) } },
    ],
  })
}


/**
 * Grouped bars outside a bench summary (the simulator's presets): one group per `group`, one bar per `series` in it,
 * in the order given. A value that is not finite (a run that never got there) is left out.
 */
export async function groupedBarChart(values: { group: string; series: string; value: number }[], title: string, yTitle: string, yScale: 'linear' | 'log' = 'linear'): Promise<string> {
  const groups = [...new Set(values.map((v) => v.group))]
  const series = [...new Set(values.map((v) => v.series))]
  return svg({
    $schema: SCHEMA,
    title,
    width: Math.max(220, 40 * groups.length * Math.max(1, series.length / 2)),
    height: 180,
    data: { values: values.filter((v) => Number.isFinite(v.value) && (yScale === 'linear' || v.value > 0)) },
    mark: 'bar',
    encoding: {
      x: { field: 'group', type: 'nominal', sort: groups, title: null },
      xOffset: { field: 'series', type: 'nominal', sort: series },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { type: yScale } },
      color: { field: 'series', type: 'nominal', sort: series, scale: { domain: series }, title: null },
    },
  })
}
