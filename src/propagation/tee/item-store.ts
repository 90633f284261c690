/**
 * The item store: every item this node holds (published here, received, or repaired), keyed by short id, in
 * first-seen order for digests and eviction.
 *
 * Stages of an item id in the store:
 * 1. absent: never seen, or evicted (the store forgets the oldest beyond `seenCapacity` entries or `byteCapacity`
 *    payload bytes).
 * 2. held: in `entries` under its short id, and in the live part of `log` (`log[logStart..]`).
 *
 * An item enters only after it was checked (the relay's verifier, or published here): a forged payload never
 * occupies its id, so the genuine item with that id is still taken when it comes.
 *
 * Invariants:
 * - `entries` and the live log hold the same entries: `entries.size === log.length - logStart`, and each live log
 *   entry is `entries.get(e.short)`.
 * - The live log is in first-seen order (non-decreasing `firstSeen`).
 * - `entries.size <= seenCapacity`; `bytes` is the live entries' payload bytes, at most `byteCapacity` (or one entry).
 * - An entry the pool rejected holds no payload bytes (`reject`).
 */
import type { ItemKind } from './messages.ts'
import { shortId, shortKey } from './short-id.ts'
import type { InvariantViolations } from './interface.ts'
import { MAX_STORE_BYTES } from './constants.ts'

export interface Entry {
  kind: ItemKind
  id: Uint8Array
  payload: Uint8Array
  short: string
  shortBytes: Uint8Array
  firstSeen: number
  /** Node id of the publisher, when known. */
  origin: string | undefined
  /**
   * Peers known to hold it: they sent it to us, digested it to us, or pulled it from us. A send of ours is not proof
   * (the wire or an omitting host may lose it): those peers are in `sentTo`, are not sent it again, but still get it
   * in digests, so that a lost send is repaired from the sender too. Read and written through `knows` and
   * `markKnown`; undefined until the first.
   */
  known?: string[]
  /**
   * The peers we sent it to, and when we last did (`sentMs`, same index), for re-flooding when that peer dies. Through
   * `sentAtOf` and `markSent`; undefined until the first send.
   */
  sentTo?: string[]
  sentMs?: number[]
  /** The tree neighbour charged an omission when this item came by repair (refunded if its copy arrives late). */
  chargedTo?: string
  /**
   * A tx from a peer under admission before forward (admission.ts): waiting for the pool's verdict, or rejected by
   * it. Either way it is not forwarded, digested or served. Unset: held as any item.
   */
  admission?: 'pending' | 'rejected'
}

/** Held and usable: forwarded, digested and served (not waiting for, or rejected by, the pool). */
export const usable = (e: Entry): boolean => e.admission === undefined

/** The payload of a rejected tx's entry (`reject`). */
const NO_PAYLOAD = new Uint8Array(0)

/** The peer holds the item, or we sent it to them. */
export const told = (e: Entry, p: string): boolean => knows(e, p) || e.sentTo?.includes(p) === true

/*
 * An item is held by a peer or two and sent to a few: small arrays, made on first use, instead of a Set and a Map per
 * entry. Every node holds every recent item, and at 8,000 simulated nodes the empty Set and Map of each entry were
 * half of the store's memory per entry (720 -> 368 B, measured on 200,000 entries).
 */
export const knows = (e: Entry, p: string): boolean => e.known?.includes(p) === true

export function markKnown(e: Entry, p: string): void {
  if (e.known === undefined) e.known = [p]
  else if (!e.known.includes(p)) e.known.push(p)
}

export function sentAtOf(e: Entry, p: string): number | undefined {
  const i = e.sentTo?.indexOf(p) ?? -1
  return i < 0 ? undefined : e.sentMs![i]
}

export function markSent(e: Entry, p: string, now: number): void {
  if (e.sentTo === undefined) {
    e.sentTo = [p]
    e.sentMs = [now]
    return
  }
  const i = e.sentTo.indexOf(p)
  if (i >= 0) e.sentMs![i] = now
  else {
    e.sentTo.push(p)
    e.sentMs!.push(now)
  }
}

export class ItemStore {
  // Stage 2: held.
  private readonly entries = new Map<string, Entry>()
  /** Entries in first-seen order (oldest first), for digests and eviction; `log[logStart..]` is live. */
  private log: Entry[] = []
  private logStart = 0
  /** Payload bytes of the live entries. */
  private bytes = 0

  constructor(
    private readonly capacity: number,
    private readonly byteCapacity: number = MAX_STORE_BYTES,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(short: string): Entry | undefined {
    return this.entries.get(short)
  }

  has(id: Uint8Array): boolean {
    return this.entries.has(shortKey(shortId(id)))
  }

  byId(id: Uint8Array): Entry | undefined {
    return this.entries.get(shortKey(shortId(id)))
  }

  /** Stores a checked item (absent -> held), evicting the oldest beyond capacity. The caller checked it is absent. */
  add(kind: ItemKind, id: Uint8Array, payload: Uint8Array, origin: string | undefined, now: number, shortBytes = shortId(id)): Entry {
    const short = shortKey(shortBytes)
    const e: Entry = { kind, id, payload, short, shortBytes, firstSeen: now, origin }
    this.entries.set(short, e)
    this.log.push(e)
    this.bytes += payload.length
    while (this.entries.size > this.capacity || (this.bytes > this.byteCapacity && this.entries.size > 1)) {
      const old = this.log[this.logStart++]!
      this.entries.delete(old.short)
      this.bytes -= old.payload.length
    }
    if (this.logStart > 4096 && this.logStart > this.log.length / 2) {
      this.log = this.log.slice(this.logStart)
      this.logStart = 0
    }
    return e
  }

  /**
   * A tx the pool rejected (admission.ts, stage 2b) keeps its id (copies are dropped as duplicates) but not its bytes:
   * junk of up to MAX_STORE_BYTES would otherwise sit here until newer items evict it. Its payload becomes empty.
   */
  reject(e: Entry): void {
    e.admission = 'rejected'
    if (this.entries.get(e.short) !== e) return
    this.bytes -= e.payload.length
    e.payload = NO_PAYLOAD
  }

  /** A held tx's payload by short id, to rebuild a compact block from (a rejected tx has no bytes: it is missing). */
  heldTx(short: Uint8Array): Uint8Array | undefined {
    const e = this.entries.get(shortKey(short))
    return e?.kind === 'tx' && e.admission !== 'rejected' ? e.payload : undefined
  }

  /** Live entries first seen after `t`, oldest first. */
  *since(t: number): Generator<Entry> {
    for (let i = this.firstAfter(t); i < this.log.length; i++) yield this.log[i]!
  }

  /** Live entries, newest first. */
  *newestFirst(): Generator<Entry> {
    for (let i = this.log.length - 1; i >= this.logStart; i--) yield this.log[i]!
  }

  /** Index of the first log entry first seen after `t` (binary search; the log is in time order). */
  private firstAfter(t: number): number {
    let lo = this.logStart
    let hi = this.log.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.log[mid]!.firstSeen <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    if (this.entries.size !== this.log.length - this.logStart) bad.push(`store: ${this.entries.size} entries but ${this.log.length - this.logStart} live log entries`)
    if (this.entries.size > this.capacity) bad.push(`store: ${this.entries.size} entries above capacity ${this.capacity}`)
    let last = -Infinity
    let bytes = 0
    for (let i = this.logStart; i < this.log.length; i++) {
      const e = this.log[i]!
      bytes += e.payload.length
      if (this.entries.get(e.short) !== e) bad.push(`store: live log entry ${e.short} is not the entry under its short id`)
      if (e.firstSeen < last) bad.push(`store: log out of first-seen order at ${e.short}`)
      last = e.firstSeen
    }
    for (const e of this.entries.values()) if (e.admission === 'rejected' && e.payload.length > 0) bad.push(`store: rejected ${e.short} still holds ${e.payload.length} payload bytes`)
    if (bytes !== this.bytes) bad.push(`store: counted ${this.bytes} payload bytes, holds ${bytes}`)
    if (this.bytes > this.byteCapacity && this.entries.size > 1) bad.push(`store: ${this.bytes} payload bytes above ${this.byteCapacity}`)
    return bad
  }
}
