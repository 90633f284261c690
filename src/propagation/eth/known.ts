/**
 * Per peer: the hashes this node knows the peer has (it sent or announced them to us, or we to it). The client's
 * txpool `knownByPeer` and fullsync's `newBlocksKnownByPeer`, with the same lifetime: entries outlive a disconnect
 * (a peer that reconnects is not offered what it was already sent) and are dropped by age at each cleanup.
 *
 * Kept by hash, not by peer: one entry per hash holds the peers that know it and when each became known. A node
 * learns every hash from, or sends it to, most of its peers, so by-peer maps held about one entry per peer per hash
 * (8 per tx at degree 8), and that was a fifth of the simulator's time at 8,000 nodes; a hash's few peers fit a small
 * array. The set of (peer, hash, time) pairs, and so every answer, is the same.
 * Invariant: within an entry, `at` is in the order the pairs were added, so it never decreases (the core's clock
 * never goes back), and no peer appears twice.
 */
import type { Hex, PeerId } from '../interface.ts'

interface Known {
  peers: PeerId[]
  /** When each of `peers` became known to have the hash (ms), same index. */
  at: number[]
}

export class KnownByPeer {
  private readonly byHash = new Map<Hex, Known>()
  private pairs = 0

  has(peer: PeerId, hash: Hex): boolean {
    const k = this.byHash.get(hash)
    return k !== undefined && k.peers.includes(peer)
  }

  /** Marks `hash` known to `peer`; true when it was not known before. */
  add(peer: PeerId, hash: Hex, now: number): boolean {
    const k = this.byHash.get(hash)
    if (k === undefined) {
      this.byHash.set(hash, { peers: [peer], at: [now] })
    } else {
      if (k.peers.includes(peer)) return false
      k.peers.push(peer)
      k.at.push(now)
    }
    this.pairs++
    return true
  }

  /** Marks every hash known and returns the ones that were new, in order. */
  addNew<T extends { hash: Hex }>(peer: PeerId, items: readonly T[], now: number): T[] {
    return items.filter((x) => this.add(peer, x.hash, now))
  }

  /** Drops the pairs that became known before `cutoff` (the client's cleanup()). */
  prune(cutoff: number): void {
    for (const [h, k] of this.byHash) {
      let old = 0
      while (old < k.at.length && k.at[old]! < cutoff) old++
      if (old === 0) continue
      this.pairs -= old
      if (old === k.at.length) this.byHash.delete(h)
      else {
        k.peers.splice(0, old)
        k.at.splice(0, old)
      }
    }
  }

  /** Known (peer, hash) pairs. */
  get size(): number {
    return this.pairs
  }
}
