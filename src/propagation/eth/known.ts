/**
 * Per peer: the hashes this node knows the peer has (it sent or announced them to us, or we to it). The client's
 * txpool `knownByPeer` and fullsync's `newBlocksKnownByPeer`, with the same lifetime: entries outlive a disconnect
 * (a peer that reconnects is not offered what it was already sent) and are dropped by age at each cleanup, each
 * (peer, hash) pair by the time it became known.
 *
 * Layout, for the simulator's sake (8,000 nodes x 8 peers x 1,000 txs is 64 M pairs): a peer gets a slot number the
 * first time it is named; a hash maps to a bitmask of the slots 0-30 that know it (one small integer per hash instead
 * of one map entry per pair), and slots from 31 on keep a set of hashes each. Ages live in an insertion log (hash,
 * slot, and the time, stored once per run of pairs added at the same time), which prune walks from the oldest end.
 *
 * Invariants: a pair is in the log exactly while it is known (has() is true), once; the log is in time order, since
 * the clock never goes back (add throws if it does); `size` is the number of pairs in the log.
 */
import type { Hex, PeerId } from '../interface.ts'

/** Slots below this live in the per-hash bitmask (bit 31 is left alone so masks stay non-negative small integers). */
const MASK_SLOTS = 31

export class KnownByPeer {
  private readonly slotOf = new Map<PeerId, number>()
  /** hash -> bitmask of the slots below MASK_SLOTS that know it (never 0: such an entry is deleted). */
  private readonly mask = new Map<Hex, number>()
  /** Slots from MASK_SLOTS on: the hashes each knows (index slot - MASK_SLOTS). */
  private readonly wide: Set<Hex>[] = []
  // The insertion log, oldest first from `head`.
  private logHash: Hex[] = []
  private logSlot = new Uint32Array(1024)
  /** Time runs: the pairs from runStart[i] (log index) to the next run's start became known at runAt[i]. */
  private runStart: number[] = []
  private runAt: number[] = []
  private runHead = 0
  private head = 0

  has(peer: PeerId, hash: Hex): boolean {
    const s = this.slotOf.get(peer)
    return s !== undefined && this.knownAt(s, hash)
  }

  /** Marks `hash` known to `peer`; true when it was not known before. */
  add(peer: PeerId, hash: Hex, now: number): boolean {
    let s = this.slotOf.get(peer)
    if (s === undefined) {
      s = this.slotOf.size
      this.slotOf.set(peer, s)
      if (s >= MASK_SLOTS) this.wide.push(new Set())
    }
    if (s < MASK_SLOTS) {
      // One lookup for the test and the update (this is the hottest line of an eth/68 run).
      const m = this.mask.get(hash) ?? 0
      if ((m & (1 << s)) !== 0) return false
      this.mask.set(hash, m | (1 << s))
    } else {
      const w = this.wide[s - MASK_SLOTS]!
      if (w.has(hash)) return false
      w.add(hash)
    }
    this.log(hash, s, now)
    return true
  }

  /** Marks every hash known and returns the ones that were new, in order. */
  addNew<T extends { hash: Hex }>(peer: PeerId, items: readonly T[], now: number): T[] {
    return items.filter((x) => this.add(peer, x.hash, now))
  }

  /** Drops the pairs that became known before `cutoff` (the client's cleanup()). */
  prune(cutoff: number): void {
    const end = this.logHash.length
    while (this.runHead < this.runAt.length && this.runAt[this.runHead]! < cutoff) {
      const stop = this.runHead + 1 < this.runStart.length ? this.runStart[this.runHead + 1]! : end
      for (let i = this.head; i < stop; i++) this.forget(this.logSlot[i]!, this.logHash[i]!)
      this.head = stop
      this.runHead++
    }
    if (this.head > 4096 && this.head * 2 > end) this.compact()
  }

  get size(): number {
    return this.logHash.length - this.head
  }

  private knownAt(s: number, hash: Hex): boolean {
    if (s < MASK_SLOTS) return ((this.mask.get(hash) ?? 0) & (1 << s)) !== 0
    return this.wide[s - MASK_SLOTS]!.has(hash)
  }

  private forget(s: number, hash: Hex): void {
    if (s >= MASK_SLOTS) {
      this.wide[s - MASK_SLOTS]!.delete(hash)
      return
    }
    const m = (this.mask.get(hash) ?? 0) & ~(1 << s)
    if (m === 0) this.mask.delete(hash)
    else this.mask.set(hash, m)
  }

  private log(hash: Hex, s: number, now: number): void {
    const i = this.logHash.length
    const last = this.runAt.length > this.runHead ? this.runAt[this.runAt.length - 1]! : undefined
    if (last === undefined || now !== last) {
      if (last !== undefined && !(now > last)) throw new Error(`known by peer: clock went backwards (${now} < ${last})`)
      this.runStart.push(i)
      this.runAt.push(now)
    }
    if (i >= this.logSlot.length) {
      const grown = new Uint32Array(this.logSlot.length * 2)
      grown.set(this.logSlot)
      this.logSlot = grown
    }
    this.logSlot[i] = s
    this.logHash.push(hash)
  }

  /** Drops the pruned prefix of the log. */
  private compact(): void {
    const h = this.head
    this.logHash = this.logHash.slice(h)
    this.logSlot = this.logSlot.slice(h, Math.max(h + 1024, this.logSlot.length))
    this.runStart = this.runStart.slice(this.runHead).map((x) => x - h)
    this.runAt = this.runAt.slice(this.runHead)
    this.runHead = 0
    this.head = 0
  }
}
