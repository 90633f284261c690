/**
 * Admission before forward (params.admitTxs = 1): a tx from a peer is stored and handed to the pool at once, but its
 * omission accounting and its forwards wait for the pool's verdict (`onPoolResult`), as stock relays only what
 * `txPool.add` took. Junk that passes the relay's own check (a well-formed tx of an unfunded key, a random
 * signature) then stops at the first honest node instead of reaching every node.
 *
 * Stages of a tx from a peer, by its store entry's `admission` mark:
 * 1. waiting (`admission: 'pending'`, in `waiting`): stored (a copy is a duplicate, a forged copy is refused),
 *    delivered, usable to rebuild a compact block; not forwarded, digested or served to a pull.
 * 2a. admitted (`admission` cleared): a held item like any other: accounted, forwarded, digested, served.
 * 2b. rejected (`admission: 'rejected'`): kept under its id, so that copies are dropped as duplicates, but never
 *     forwarded, digested or served, and it charges no tree neighbour (a neighbour that did not send junk was right).
 *     No verdict within admitTimeoutMs, or more than MAX_PENDING_ADMISSIONS waiting, counts as rejected (no penalty).
 *
 * Invariants:
 * - Every waiting entry is marked 'pending'; `waiting` holds at most MAX_PENDING_ADMISSIONS.
 * - `waiting` is in arrival order (non-decreasing `at`): expiry takes a prefix.
 */
import { MAX_PENDING_ADMISSIONS } from './constants.ts'
import type { Entry } from './item-store.ts'
import type { ItemMode } from './messages.ts'
import type { InvariantViolations, RelayContext } from './interface.ts'

/** A tx waiting for the pool: what the relay does with it once admitted. */
export interface Waiting {
  e: Entry
  from: string
  at: number
  /** How it arrived (omission accounting), and whether it answered a pull of ours. */
  mode: ItemMode
  pulled: boolean
  /** Where forwarding starts from: the sender, or undefined when this node publishes it on the tree (entry mode). */
  routeFrom: string | undefined
  routeMode: ItemMode
}

export class Admission {
  // Stage 1: by short id, in arrival order.
  private readonly waiting = new Map<string, Waiting>()

  constructor(private readonly ctx: RelayContext) {}

  get size(): number {
    return this.waiting.size
  }

  /** A stored tx goes to the pool: wait for its verdict. Returns the tx given up to make room, if any. */
  wait(w: Waiting): Waiting | undefined {
    w.e.admission = 'pending'
    let out: Waiting | undefined
    if (this.waiting.size >= MAX_PENDING_ADMISSIONS) {
      const [key, oldest] = this.waiting.entries().next().value as [string, Waiting]
      this.waiting.delete(key)
      out = oldest
    }
    // A tx evicted from the store while waiting and received again waits anew, at the end (arrival order).
    this.waiting.delete(w.e.short)
    this.waiting.set(w.e.short, w)
    return out
  }

  /** The verdict on the tx with this short id: its waiting record (undefined: not waiting, e.g. given up). */
  take(short: string): Waiting | undefined {
    const w = this.waiting.get(short)
    if (w !== undefined) this.waiting.delete(short)
    return w
  }

  /** Txs whose verdict is overdue at `now`, oldest first (removed from the wait). */
  expire(now: number): Waiting[] {
    const out: Waiting[] = []
    const limit = this.ctx.params.admitTimeoutMs
    for (const [key, w] of this.waiting) {
      if (now - w.at < limit) break
      this.waiting.delete(key)
      out.push(w)
    }
    return out
  }

  nextTimeout(): number | undefined {
    const first = this.waiting.values().next()
    return first.done === true ? undefined : first.value.at + this.ctx.params.admitTimeoutMs
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    if (this.waiting.size > MAX_PENDING_ADMISSIONS) bad.push(`admission: ${this.waiting.size} txs waiting, above ${MAX_PENDING_ADMISSIONS}`)
    let last = -Infinity
    for (const [key, w] of this.waiting) {
      if (w.e.short !== key) bad.push(`admission: ${key} waits under another id`)
      if (w.e.admission !== 'pending') bad.push(`admission: waiting ${key} is marked ${w.e.admission ?? 'admitted'}`)
      if (w.at < last) bad.push('admission: waiting txs out of arrival order')
      last = w.at
    }
    return bad
  }
}
