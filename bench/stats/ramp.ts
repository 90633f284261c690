/**
 * Per-step results of a ramp and the max sustained throughput, from the txs sent (each with its step) and the steps'
 * planned windows.
 */
import { percentiles, type Percentiles } from '../../src/shared/percentile.ts'

export interface StepInput {
  /** Offered tx/s. */
  rate: number
  /** Planned window, ms since epoch. */
  startAt: number
  endAt: number
}

export interface StepTx {
  step?: number
  warmup?: boolean
  acceptedAt: number
  includedSeenAt?: number
}

export interface StepResult {
  step: number
  offeredTxPerS: number
  /** Txs the step tried to send: accepted by RPC + refused. */
  txs: number
  committed: number
  /** committed / txs. */
  committedShare: number
  /** Measured txs (any step) seen in a block during this step's window, per second of the window. */
  committedTxPerS: number
  /** RPC acceptance to seen in a block, ms, over this step's committed txs. */
  inclusionLatencyMs: Percentiles
}

export function stepResults(steps: readonly StepInput[], sent: readonly StepTx[], rejected: readonly { step?: number; warmup?: boolean }[]): StepResult[] {
  const measured = sent.filter((t) => t.warmup !== true)
  return steps.map((w, k) => {
    const mine = measured.filter((t) => t.step === k)
    const refused = rejected.filter((r) => r.warmup !== true && r.step === k).length
    const done = mine.filter((t) => t.includedSeenAt !== undefined)
    const txs = mine.length + refused
    const inWindow = measured.filter((t) => t.includedSeenAt !== undefined && t.includedSeenAt >= w.startAt && t.includedSeenAt < w.endAt).length
    return {
      step: k,
      offeredTxPerS: w.rate,
      txs,
      committed: done.length,
      committedShare: txs === 0 ? 0 : done.length / txs,
      committedTxPerS: inWindow / Math.max(1e-3, (w.endAt - w.startAt) / 1000),
      inclusionLatencyMs: percentiles(done.map((t) => t.includedSeenAt! - t.acceptedAt)),
    }
  })
}

/** Share of a step's txs that must be committed for the step to count as sustained. */
export const MIN_COMMITTED_SHARE = 0.95

/**
 * The highest offered rate among the steps that kept up: >= 95 % of the step's txs committed and p99 inclusion
 * latency <= maxP99Ms. null when no step kept up.
 */
export function maxSustainedTps(steps: readonly StepResult[], maxP99Ms: number, minShare = MIN_COMMITTED_SHARE): number | null {
  let best: number | null = null
  for (const s of steps) {
    const p99 = s.inclusionLatencyMs.p99
    if (s.txs > 0 && s.committedShare >= minShare && p99 !== null && p99 <= maxP99Ms && (best === null || s.offeredTxPerS > best)) best = s.offeredTxPerS
  }
  return best
}

export interface Spread {
  mean: number | null
  min: number | null
  max: number | null
}

/** Mean, min and max of the non-null values (all null when there are none). */
export function spread(values: readonly (number | null)[]): Spread {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (xs.length === 0) return { mean: null, min: null, max: null }
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) }
}
