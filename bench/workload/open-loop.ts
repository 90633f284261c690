/**
 * The open loop: a list of steps, each `count` txs at `rate` tx/s, back to back (fixed-rate is one step; a ramp is
 * several). The send times are fixed in advance (`openLoopPlan`), whatever the testnet does. A warm-up runs first
 * at the first step's rate.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { WorkloadSession } from './session.ts'
import type { SignedTx, TxFactory } from './tx-factory.ts'

export interface OpenStep {
  /** Offered tx/s. */
  rate: number
  count: number
}

/** A step and its planned window, ms since epoch. */
export type StepWindow = OpenStep & { startAt: number; endAt: number }

/** Send offsets of an open-loop run: warm-up at the first step's rate (step -1), then each step back to back. */
export function openLoopPlan(steps: readonly OpenStep[], warmupSec = 0): { atMs: number; step: number; warmup: boolean }[] {
  const out: { atMs: number; step: number; warmup: boolean }[] = []
  let t = 0
  const first = steps[0]
  if (first !== undefined && warmupSec > 0) {
    const n = Math.round(first.rate * warmupSec)
    for (let i = 0; i < n; i++) out.push({ atMs: t + (i * 1000) / first.rate, step: -1, warmup: true })
    t += (n * 1000) / first.rate
  }
  for (const [k, s] of steps.entries()) {
    for (let i = 0; i < s.count; i++) out.push({ atMs: t + (i * 1000) / s.rate, step: k, warmup: false })
    t += (s.count * 1000) / s.rate
  }
  return out
}

/** Ramp steps: `steps` rates evenly from start to end, each lasting stepSec (count = rate x stepSec) or countPerStep txs. */
export function rampSteps(r: { start: number; end: number; steps: number; stepSec?: number; countPerStep?: number }): OpenStep[] {
  return Array.from({ length: r.steps }, (_, k) => {
    const rate = r.steps === 1 ? r.start : r.start + ((r.end - r.start) * k) / (r.steps - 1)
    return { rate, count: r.countPerStep ?? Math.max(1, Math.round(rate * r.stepSec!)) }
  })
}

/** Sends the plan; returns when the last tx is sent (not answered). `startedAt` is the first measured send. */
export async function runOpenLoop(
  session: WorkloadSession,
  factory: TxFactory,
  steps: readonly OpenStep[],
  o: { warmupSec: number; onWarmupEnd: () => void; onProgress?: (msg: string) => void },
): Promise<{ startedAt: number; windows: StepWindow[] }> {
  const plan = openLoopPlan(steps, o.warmupSec)
  session.total = plan.length
  session.phase = 'signing'
  // Every tx is signed before the clock starts (signing is CPU the nodes would otherwise lose mid-run).
  const presigned: SignedTx[] = []
  for (let i = 0; i < plan.length; i++) presigned.push(factory.next())
  const t0 = Date.now()
  const firstMeasured = plan.findIndex((p) => !p.warmup)
  const offset0 = plan[firstMeasured]?.atMs ?? 0
  let t = offset0
  const windows = steps.map((s) => {
    const w = { ...s, startAt: t0 + t, endAt: t0 + t + (s.count * 1000) / s.rate }
    t += (s.count * 1000) / s.rate
    return w
  })
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i]!
    const wait = t0 + p.atMs - Date.now()
    if (wait > 0) await sleep(wait)
    if (!p.warmup) o.onWarmupEnd()
    session.phase = p.warmup ? 'warm-up' : steps.length > 1 ? `step ${p.step + 1}/${steps.length} at ${+steps[p.step]!.rate.toFixed(1)} tx/s` : `${+steps[0]!.rate.toFixed(1)} tx/s`
    session.send(i, presigned[i]!, steps.length > 1 || p.warmup ? p.step : undefined, p.warmup)
    if (i > 0 && i % 100 === 0) o.onProgress?.(`sent ${i}/${plan.length}`)
  }
  return { startedAt: t0 + offset0, windows }
}
