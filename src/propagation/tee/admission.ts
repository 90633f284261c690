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
 * Before stage 1, a peer's allowance (`allowance`, UNADMITTED_TX_BYTES_PER_PEER, refilled over time): each tx it
 * sends spends its bytes, an admitted one gives them back. A peer out of allowance has its txs dropped unchecked.
 *
 * Invariants:
 * - Every waiting entry is marked 'pending'; `waiting` holds at most MAX_PENDING_ADMISSIONS.
 * - `waiting` is in arrival order (non-decreasing `at`): expiry takes a prefix.
 * - Every allowance is between 0 and UNADMITTED_TX_BYTES_PER_PEER, for a live peer.
 */
import { MAX_PENDING_ADMISSIONS, UNADMITTED_TX_BYTES_PER_PEER, UNADMITTED_TX_BYTES_REFILL_PER_S } from './constants.ts'
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

/** A peer's allowance of unadmitted tx bytes: what is left, when it was last refilled, and its running pause. */
interface Allowance {
  bytes: number
  at: number
  pausedUntil: number
}

export class Admission {
  // Stage 1: by short id, in arrival order.
  private readonly waiting = new Map<string, Waiting>()
  /** Per peer: bytes of unadmitted txs it may still send, and when that was last refilled. */
  private readonly allowance = new Map<string, Allowance>()

  constructor(private readonly ctx: RelayContext) {}

  get size(): number {
    return this.waiting.size
  }

  /**
   * May `peer` have a tx of `bytes` checked and sent to the pool? Spends the bytes from its allowance; false (the tx
   * is dropped, unstored) when the allowance does not cover them.
   */
  spend(peer: string, bytes: number, now: number): boolean {
    const a = this.refilled(peer, now)
    if (a.bytes < bytes) return false
    a.bytes -= bytes
    return true
  }

  /**
   * Should the driver stop reading from `peer` for `ms` (TCP then holds its sender back, at no cost here)? Asked after
   * `spend` refused that peer; once per pause: true when no pause of that peer is running at `now`.
   */
  pause(peer: string, ms: number, now: number): boolean {
    const a = this.allowance.get(peer)
    if (a === undefined || now < a.pausedUntil) return false
    a.pausedUntil = now + ms
    return true
  }

  /** The pool admitted a tx of `bytes` from `peer`: its allowance gets them back. */
  giveBack(peer: string, bytes: number, now: number): void {
    if (!this.ctx.peers.has(peer)) return
    const a = this.refilled(peer, now)
    a.bytes = Math.min(UNADMITTED_TX_BYTES_PER_PEER, a.bytes + bytes)
  }

  peerDown(peer: string): void {
    this.allowance.delete(peer)
  }

  private refilled(peer: string, now: number): Allowance {
    let a = this.allowance.get(peer)
    if (a === undefined) {
      a = { bytes: UNADMITTED_TX_BYTES_PER_PEER, at: now, pausedUntil: -Infinity }
      this.allowance.set(peer, a)
    }
    a.bytes = Math.min(UNADMITTED_TX_BYTES_PER_PEER, a.bytes + ((now - a.at) / 1000) * UNADMITTED_TX_BYTES_REFILL_PER_S)
    a.at = now
    return a
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
    for (const [peer, a] of this.allowance) {
      if (!this.ctx.peers.has(peer)) bad.push(`admission: allowance for ${peer.slice(0, 8)}, not a live peer`)
      if (!(a.bytes >= 0 && a.bytes <= UNADMITTED_TX_BYTES_PER_PEER)) bad.push(`admission: allowance of ${peer.slice(0, 8)} is ${a.bytes} B`)
    }
    return bad
  }
}
