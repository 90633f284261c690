/**
 * Static peering without discovery. Both ends of a link list each other, so to avoid simultaneous dials (which end
 * in ALREADY_CONNECTED on both sides) only the end with the smaller node id dials; the other waits. A dropped link
 * is redialled by the same end with capped exponential backoff, which is what brings a restarted peer back.
 *
 * Pure: `due(now, connected)` says whom to dial; the adapter dials and reports the outcome.
 */
import type { EnodeAddress } from '../shared/enode.ts'

export const REDIAL_MIN_MS = 250
export const REDIAL_MAX_MS = 4_000

interface DialState {
  peer: EnodeAddress
  nextAt: number
  backoff: number
  dialing: boolean
}

export class StaticDialer {
  private readonly peers = new Map<string, DialState>()

  constructor(selfId: string, peers: readonly EnodeAddress[], now: number) {
    for (const p of peers) {
      if (p.id === selfId) continue
      if (selfId < p.id) this.peers.set(p.id, { peer: p, nextAt: now, backoff: REDIAL_MIN_MS, dialing: false })
    }
  }

  /** Peers this node should dial now: its responsibility, not connected, not mid-dial, backoff elapsed. */
  due(now: number, connected: ReadonlySet<string>): EnodeAddress[] {
    const out: EnodeAddress[] = []
    for (const s of this.peers.values()) {
      if (connected.has(s.peer.id) || s.dialing || now < s.nextAt) continue
      s.dialing = true
      out.push(s.peer)
    }
    return out
  }

  dialed(id: string, ok: boolean, now: number): void {
    const s = this.peers.get(id)
    if (s === undefined) return
    s.dialing = false
    if (ok) {
      s.backoff = REDIAL_MIN_MS
      s.nextAt = now
    } else {
      s.nextAt = now + s.backoff
      s.backoff = Math.min(REDIAL_MAX_MS, s.backoff * 2)
    }
  }

  /** A link went down: redial soon, not at once (the remote may be restarting). */
  disconnected(id: string, now: number): void {
    const s = this.peers.get(id)
    if (s === undefined) return
    s.nextAt = now + REDIAL_MIN_MS
  }

  get dialTargets(): number {
    return this.peers.size
  }
}
