/**
 * Repetitions aggregated for the report and `bench compare`: per mode and figure, the mean over the repetitions and
 * its 95 % confidence interval (Student's t on the sample standard deviation; simple-statistics), modes ordered with
 * the baseline first, and each mode's ratio to the baseline's mean.
 */
import { mean, probit, sampleStandardDeviation } from 'simple-statistics'
import type { ModeResult, Summary } from './summary.ts'

/** Two-sided 95 % critical values of Student's t for 1..30 degrees of freedom; above that the normal's 1.96. */
const T_95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042]

export interface Estimate {
  /** Repetitions with a value. */
  n: number
  mean: number | null
  /** 95 % CI of the mean; null with fewer than 2 values. */
  lo: number | null
  hi: number | null
}

export function estimate(values: readonly (number | null | undefined)[]): Estimate {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  if (xs.length === 0) return { n: 0, mean: null, lo: null, hi: null }
  const m = mean(xs)
  if (xs.length < 2) return { n: 1, mean: m, lo: null, hi: null }
  const t = T_95[xs.length - 2] ?? probit(0.975)
  const half = (t * sampleStandardDeviation(xs)) / Math.sqrt(xs.length)
  return { n: xs.length, mean: m, lo: m - half, hi: m + half }
}

/** Every repetition of a mode (a single run is its own only repetition). */
export const repetitionsOf = (m: ModeResult): ModeResult[] => (m.repetitions as ModeResult[] | undefined) ?? [m]

/** The baseline: stock when the run has it (the client's own rules), else the scenario's first mode. */
export function baselineMode(s: Summary): string | undefined {
  return s.modes.some((m) => m.mode === 'stock') ? 'stock' : s.modes[0]?.mode
}

/** Modes with the baseline first, the rest in scenario order. */
export function orderedModes(s: Summary): ModeResult[] {
  const base = baselineMode(s)
  return [...s.modes.filter((m) => m.mode === base), ...s.modes.filter((m) => m.mode !== base)]
}

export interface Figure {
  key: string
  label: string
  digits: number
  get(m: ModeResult): number | null
}

export const FIGURES: Figure[] = [
  { key: 'committedTxPerS', label: 'committed tx/s', digits: 1, get: (m) => m.committedTxPerS },
  { key: 'txMsgsIn', label: 'tx messages in / tx / node', digits: 2, get: (m) => m.perTxPerNode.txMsgsIn },
  { key: 'txBytesIn', label: 'tx bytes in / tx / node', digits: 0, get: (m) => m.perTxPerNode.txBytesIn },
  { key: 'blockBytesIn', label: 'block bytes in / tx / node', digits: 0, get: (m) => m.perTxPerNode.blockBytesIn },
  { key: 'duplicateTxs', label: 'duplicate txs / tx / node', digits: 2, get: (m) => m.perTxPerNode.duplicateTxs },
  { key: 'toAllP50', label: 'tx to every node p50, ms', digits: 0, get: (m) => m.propagationMs.to100.p50 },
  { key: 'toAllP99', label: 'tx to every node p99, ms', digits: 0, get: (m) => m.propagationMs.to100.p99 },
  { key: 'blockToAllP50', label: 'block to every node p50, ms', digits: 0, get: (m) => m.blockPropagationMs?.to100.p50 ?? null },
  { key: 'inclusionP50', label: 'inclusion p50, ms', digits: 0, get: (m) => m.inclusionLatencyMs.p50 },
  { key: 'inclusionP99', label: 'inclusion p99, ms', digits: 0, get: (m) => m.inclusionLatencyMs.p99 },
  { key: 'blockBytesPerBlock', label: 'block bytes in / block / node', digits: 0, get: (m) => m.blockBytesInPerBlockPerNode },
  { key: 'cpuSecondsPerNode', label: 'CPU s / node', digits: 2, get: (m) => m.cpuSecondsPerNode },
  { key: 'peakRssMBMax', label: 'peak RSS MB (max node)', digits: 0, get: (m) => m.peakRssMBMax },
]

export interface ModeAggregate {
  mode: string
  repetitions: number
  committed: string
  figures: Record<string, Estimate>
  /** Mean over the baseline's mean; null for the baseline itself or where either is missing or 0. */
  ratio: Record<string, number | null>
}

export function aggregate(s: Summary): ModeAggregate[] {
  const modes = orderedModes(s)
  const out = modes.map((m) => {
    const reps = repetitionsOf(m)
    const figures: Record<string, Estimate> = {}
    for (const f of FIGURES) figures[f.key] = estimate(reps.map((r) => f.get(r)))
    return { mode: m.mode, repetitions: reps.length, committed: reps.map((r) => `${r.committed}/${r.txs}`).join(', '), figures, ratio: {} as Record<string, number | null> }
  })
  const base = out[0]
  for (const a of out) {
    for (const f of FIGURES) {
      const [x, y] = [base?.figures[f.key]?.mean ?? null, a.figures[f.key]?.mean ?? null]
      a.ratio[f.key] = a === base || x === null || y === null || x === 0 ? null : y / x
    }
  }
  return out
}
