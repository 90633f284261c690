/**
 * Per-node wire counters: messages and framed bytes in and out per `<proto>/<Name>`, full-payload duplicates,
 * and the first time each tx and block was seen here. First-seen is bounded (oldest evicted first), so a long run
 * keeps memory flat.
 */

export interface MessageCounter {
  in: number
  out: number
  bytesIn: number
  bytesOut: number
}

export type ItemKind = 'tx' | 'block'

/** What a first sighting tells a listener (the metrics): blocks carry their header timestamp and tx hashes. */
export interface FirstSeen {
  kind: ItemKind
  hash: string
  at: number
  /** Came over the wire (false: submitted over RPC or sealed here). */
  received: boolean
  /** Blocks: header timestamp, seconds, and the hashes of the txs in it (0x-prefixed). */
  block?: { timestampSec: number; txHashes: () => string[] }
}

/** Peers with a label of their own in the per-peer counters; the rest are summed under PEER_OTHER. */
export const PEER_LABEL_LIMIT = 64
export const PEER_OTHER = 'other'

/** How many first-seen entries are kept per kind; older ones are evicted. */
export const FIRST_SEEN_LIMIT = 100_000

export class WireStats {
  readonly messages = new Map<string, MessageCounter>()
  readonly duplicates: Record<ItemKind, number> = { tx: 0, block: 0 }
  /** Distinct items seen since start, side blocks included; not bounded like first-seen (an item seen again after its eviction counts again). */
  readonly distinct: Record<ItemKind, number> = { tx: 0, block: 0 }
  /** Framed bytes in and out per peer (short id), at most PEER_LABEL_LIMIT peers plus PEER_OTHER. */
  readonly peerBytes = new Map<string, { in: number; out: number }>()
  private readonly firstSeen: Record<ItemKind, Map<string, number>> = { tx: new Map(), block: new Map() }
  private readonly listeners: ((e: FirstSeen) => void)[] = []

  constructor(private readonly firstSeenLimit = FIRST_SEEN_LIMIT) {}

  /** Calls `fn` on every first sighting (not on duplicates). */
  onFirstSeen(fn: (e: FirstSeen) => void): void {
    this.listeners.push(fn)
  }

  countPeer(peer: string, direction: 'in' | 'out', bytes: number): void {
    let c = this.peerBytes.get(peer)
    if (c === undefined) {
      const label = this.peerBytes.size < PEER_LABEL_LIMIT ? peer : PEER_OTHER
      c = this.peerBytes.get(label) ?? { in: 0, out: 0 }
      this.peerBytes.set(label, c)
    }
    c[direction] += bytes
  }

  count(key: string, direction: 'in' | 'out', bytes: number): void {
    let c = this.messages.get(key)
    if (c === undefined) {
      c = { in: 0, out: 0, bytesIn: 0, bytesOut: 0 }
      this.messages.set(key, c)
    }
    if (direction === 'in') {
      c.in++
      c.bytesIn += bytes
    } else {
      c.out++
      c.bytesOut += bytes
    }
  }

  /**
   * Records that this node now holds the full item. `received` marks a payload that came over the wire: if the item
   * was already here, that receipt was a duplicate. Returns true when the item is new.
   */
  sawItem(kind: ItemKind, hash: string, now: number, received: boolean, block?: FirstSeen['block']): boolean {
    const key = hash.toLowerCase()
    const seen = this.firstSeen[kind]
    if (seen.has(key)) {
      if (received) this.duplicates[kind]++
      return false
    }
    seen.set(key, now)
    this.distinct[kind]++
    if (seen.size > this.firstSeenLimit) {
      const oldest = seen.keys().next().value
      if (oldest !== undefined) seen.delete(oldest)
    }
    for (const fn of this.listeners) fn({ kind, hash: key, at: now, received, ...(block !== undefined ? { block } : {}) })
    return true
  }

  firstSeenAt(kind: ItemKind, hash: string): number | undefined {
    return this.firstSeen[kind].get(hash.toLowerCase())
  }

  /** Looks a hash up as a tx, then as a block. */
  firstSeenAny(hash: string): number | null {
    return this.firstSeenAt('tx', hash) ?? this.firstSeenAt('block', hash) ?? null
  }

  messagesSnapshot(): Record<string, MessageCounter> {
    const out: Record<string, MessageCounter> = {}
    for (const [k, v] of [...this.messages.entries()].sort(([a], [b]) => a.localeCompare(b))) out[k] = { ...v }
    return out
  }
}
