/**
 * Liveness: failure detection that needs no TCP reset. A hung host or a dropped route closes no socket; its peers
 * would keep it in their trees for good. Here every message from a peer is a sign of life, and a link on which this
 * node has sent nothing for params.keepaliveIdleMs gets a `keepalive`, so a live peer is heard at least that often.
 * A peer heard nothing from for params.silenceMs is judged gone: the relay treats it as down and asks its driver to
 * disconnect it (action `disconnect`).
 *
 * Only the peer's own silence counts. Digests from third parties (naming items the peer "should" have sent) are not
 * evidence: any peer, attested or not, can send any digest, and a liar could so cut honest tree links. Silence can be
 * faked only by whoever holds the link itself (the network path), and that party can cut the link anyway.
 *
 * A stall of this node (its timers fire late: GC, a long import, a loaded host) is not blamed on its peers: while it
 * has peers the relay asks to be woken at least every keepaliveIdleMs, so a gap between two calls well beyond that
 * means this node did not run, and every peer's silence clock is moved on by the excess (`touch`).
 *
 * Stages of a peer: live (`heardAt`, `sentAt`) from peerUp; gone at peerDown, or at silence (`silent` returns it and
 * the relay takes it down the same way).
 *
 * Invariants:
 * - `heardAt` and `sentAt` hold exactly the live peers;
 * - no peer was heard or sent to after the current time.
 */
import type { InvariantViolations, RelayContext, TeeAction } from './interface.ts'

/** A gap between two calls longer than keepaliveIdleMs by this much (ms) is a stall of this node, not of its peers. */
export const SELF_STALL_SLACK_MS = 1_000

export class Liveness {
  private readonly heardAt = new Map<string, number>()
  private readonly sentAt = new Map<string, number>()
  private lastCallAt = -Infinity

  constructor(private readonly ctx: RelayContext) {}

  private get on(): boolean {
    return this.ctx.params.silenceMs > 0
  }

  /** Every call into the relay: a long gap since the last one is this node's own stall (see the header). */
  touch(now: number): void {
    const gap = now - this.lastCallAt
    this.lastCallAt = now
    const excess = gap - this.ctx.params.keepaliveIdleMs - SELF_STALL_SLACK_MS
    if (!Number.isFinite(gap) || excess <= 0) return
    for (const [p, t] of this.heardAt) this.heardAt.set(p, Math.min(now, t + excess))
  }

  peerUp(peer: string, now: number): void {
    this.heardAt.set(peer, now)
    this.sentAt.set(peer, now)
  }

  peerDown(peer: string): void {
    this.heardAt.delete(peer)
    this.sentAt.delete(peer)
  }

  heard(peer: string, now: number): void {
    if (this.heardAt.has(peer)) this.heardAt.set(peer, now)
  }

  /** Marks the sends among `actions` (the relay's output of one event). */
  sent(actions: readonly TeeAction[], now: number): void {
    for (const a of actions) if (a.t === 'send' && this.sentAt.has(a.to)) this.sentAt.set(a.to, now)
  }

  /** Heard from `peer` within `ms` before `now` (a live peer, and a fresh sign of life). */
  heardWithin(peer: string, now: number, ms: number): boolean {
    const t = this.heardAt.get(peer)
    return t !== undefined && now - t <= ms
  }

  /** Keepalives for the links idle for keepaliveIdleMs (call after the other sends of the event were marked). */
  keepalives(out: TeeAction[], now: number): void {
    if (!this.on) return
    const idle = this.ctx.params.keepaliveIdleMs
    for (const [p, t] of this.sentAt) {
      // The same sum as nextTimeout's (a difference can round below it, and a deadline would never clear).
      if (t + idle > now) continue
      this.sentAt.set(p, now)
      out.push({ t: 'send', to: p, msg: { t: 'keepalive' } })
    }
  }

  /** The peers silent for silenceMs at `now`, with how long each was silent. */
  silent(now: number): { peer: string; silentMs: number }[] {
    if (!this.on) return []
    const out: { peer: string; silentMs: number }[] = []
    for (const [p, t] of this.heardAt) if (t + this.ctx.params.silenceMs <= now) out.push({ peer: p, silentMs: now - t })
    return out
  }

  nextTimeout(): number | undefined {
    if (!this.on || this.heardAt.size === 0) return undefined
    let t = Infinity
    const { keepaliveIdleMs, silenceMs } = this.ctx.params
    for (const s of this.sentAt.values()) t = Math.min(t, s + keepaliveIdleMs)
    for (const h of this.heardAt.values()) t = Math.min(t, h + silenceMs)
    return t
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    const now = this.ctx.now()
    for (const p of this.ctx.peers.keys()) if (!this.heardAt.has(p) || !this.sentAt.has(p)) bad.push(`liveness: live peer ${p.slice(0, 8)} is not watched`)
    for (const [p, t] of this.heardAt) {
      if (!this.ctx.peers.has(p)) bad.push(`liveness: watches ${p.slice(0, 8)}, not a live peer`)
      if (t > now) bad.push(`liveness: ${p.slice(0, 8)} heard at ${t}, after now (${now})`)
    }
    for (const [p, t] of this.sentAt) if (t > now) bad.push(`liveness: ${p.slice(0, 8)} sent to at ${t}, after now (${now})`)
    if (this.sentAt.size !== this.heardAt.size) bad.push('liveness: heard and sent maps disagree')
    return bad
  }
}
