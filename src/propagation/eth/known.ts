/**
 * Per peer: the hashes this node knows the peer has (it sent or announced them to us, or we to it). The client's
 * txpool `knownByPeer` and fullsync's `newBlocksKnownByPeer`, with the same lifetime: entries outlive a disconnect
 * (a peer that reconnects is not offered what it was already sent) and are dropped by age at each cleanup.
 */
import type { Hex, PeerId } from '../interface.ts'

export class KnownByPeer {
  /** peer -> hash -> when it became known (ms). Insertion order is age order. */
  private readonly byPeer = new Map<PeerId, Map<Hex, number>>()

  has(peer: PeerId, hash: Hex): boolean {
    return this.byPeer.get(peer)?.has(hash) === true
  }

  /** Marks `hash` known to `peer`; true when it was not known before. */
  add(peer: PeerId, hash: Hex, now: number): boolean {
    let m = this.byPeer.get(peer)
    if (m === undefined) {
      m = new Map()
      this.byPeer.set(peer, m)
    }
    if (m.has(hash)) return false
    m.set(hash, now)
    return true
  }

  /** Marks every hash known and returns the ones that were new, in order. */
  addNew<T extends { hash: Hex }>(peer: PeerId, items: readonly T[], now: number): T[] {
    return items.filter((x) => this.add(peer, x.hash, now))
  }

  /** Drops entries that became known before `cutoff` (the client's cleanup()). */
  prune(cutoff: number): void {
    for (const [peer, m] of this.byPeer) {
      for (const [h, at] of m) {
        if (at >= cutoff) break
        m.delete(h)
      }
      if (m.size === 0) this.byPeer.delete(peer)
    }
  }

  get size(): number {
    let n = 0
    for (const m of this.byPeer.values()) n += m.size
    return n
  }
}
