/**
 * `teecast bench compare A B`: per mode, B's means over its repetitions relative to A's. Runs of different scenarios
 * or node counts measure different things: `comparability` says so, and the command refuses them unless forced.
 */
import { aggregate, FIGURES } from './aggregate.ts'
import type { Summary } from './summary.ts'

export interface Comparability {
  /** Differences that make the ratios meaningless (scenario name, node count). */
  refusals: string[]
  /** Differences a reader must know of (network, workload, repetitions, links, dirty trees). */
  warnings: string[]
}

const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y)

export function comparability(a: Summary, b: Summary): Comparability {
  const refusals: string[] = []
  const warnings: string[] = []
  const [na, nb] = [a.scenario.network, b.scenario.network]
  if (a.scenario.name !== b.scenario.name) refusals.push(`different scenarios: "${a.scenario.name}" and "${b.scenario.name}"`)
  if (na.nodes !== nb.nodes) refusals.push(`different node counts: ${na.nodes} and ${nb.nodes}`)
  for (const k of ['degree', 'signers', 'period', 'seed', 'accounts', 'teeEpochSec'] as const) {
    if (na[k] !== nb[k]) warnings.push(`network.${k} differs: ${String(na[k])} and ${String(nb[k])}`)
  }
  if (!same(na.link, nb.link) || !same(na.regions, nb.regions)) warnings.push('link emulation differs')
  if (!same(a.scenario.workload, b.scenario.workload)) warnings.push(`workloads differ: ${JSON.stringify(a.scenario.workload)} and ${JSON.stringify(b.scenario.workload)}`)
  if (a.scenario.repetitions !== b.scenario.repetitions) warnings.push(`repetitions differ: ${a.scenario.repetitions} and ${b.scenario.repetitions}`)
  for (const [name, s] of [['A', a], ['B', b]] as const) if (s.environment?.gitDirty === true) warnings.push(`${name} ran on a dirty tree (${s.gitCommit.slice(0, 10)} plus uncommitted changes)`)
  return { refusals, warnings }
}

const COMPARED = ['txMsgsIn', 'txBytesIn', 'blockBytesIn', 'toAllP50', 'blockToAllP50', 'inclusionP50', 'committedTxPerS', 'cpuSecondsPerNode']

/** A Markdown table of B / A per mode present in both (means over each run's repetitions). */
export function compareTable(a: Summary, b: Summary): string {
  const [aa, bb] = [aggregate(a), aggregate(b)]
  const figs = COMPARED.map((k) => FIGURES.find((f) => f.key === k)!)
  const lines = [`| mode | ${figs.map((f) => f.label).join(' | ')} |`, `|---|${figs.map(() => '---').join('|')}|`]
  for (const y of bb) {
    const x = aa.find((m) => m.mode === y.mode)
    if (x === undefined) continue
    const cells = figs.map((f) => {
      const [p, q] = [x.figures[f.key]!.mean, y.figures[f.key]!.mean]
      return p === null || q === null || p === 0 ? '-' : `x${(q / p).toFixed(2)}`
    })
    lines.push(`| ${y.mode} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}
