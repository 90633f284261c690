/**
 * The closed loop (fixed-load, Caliper style): `inFlight` txs outstanding, a new one sent when one is committed or
 * rejected, until `count` measured txs are sent. Txs sent in the first `warmupSec` are warm-up.
 */
import type { WorkloadSession } from './session.ts'
import type { TxFactory } from './tx-factory.ts'

export interface ClosedShape {
  inFlight: number
  count: number
}

/** Sends until `count` measured txs are out; returns when the last is sent (not answered). */
export async function runClosedLoop(
  session: WorkloadSession,
  factory: TxFactory,
  shape: ClosedShape,
  o: { warmupSec: number; timeoutMs: number; onWarmupEnd: () => void; onProgress?: (msg: string) => void },
): Promise<{ startedAt: number }> {
  const follower = session.follower
  let startedAt = Date.now()
  const t0 = Date.now()
  let outstanding: number
  let measured = 0
  let i = 0
  const warmupMs = o.warmupSec * 1000
  while (measured < shape.count) {
    outstanding = session.outstanding()
    while (outstanding >= shape.inFlight) {
      const before = follower.lastInclusion
      const freed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), o.timeoutMs)
        session.onSlotFree = () => {
          clearTimeout(timer)
          resolve(true)
        }
      })
      session.onSlotFree = undefined
      if (!freed && follower.lastInclusion === before) throw new Error(`fixed-load: nothing committed for ${o.timeoutMs / 1000} s with ${outstanding} txs outstanding`)
      outstanding = session.outstanding()
    }
    const warmup = Date.now() - t0 < warmupMs
    if (!warmup && measured === 0) {
      startedAt = Date.now()
      o.onWarmupEnd()
    }
    session.phase = warmup ? 'warm-up' : `${shape.inFlight} in flight`
    session.send(i++, factory.next(), undefined, warmup)
    if (!warmup) measured++
    if (i % 100 === 0) o.onProgress?.(`sent ${i} (${measured}/${shape.count} measured)`)
  }
  return { startedAt }
}
