/**
 * One direction of an emulated link, sans-IO: chunks go in with the time they arrived, and the shaper says when each
 * is delivered. It models a FIFO link:
 * - rate: a chunk is serialised after the previous one, taking bytes * 8 / rate;
 * - delay + jitter: propagation after serialisation; a TCP stream stays in order, so a chunk is never delivered
 *   before the one ahead of it (jitter shows up as bursts, as on a real queue);
 * - loss: TCP cannot lose bytes in user space, so a lost segment (one per SEGMENT_BYTES, with probability `loss`)
 *   costs what TCP pays for it: a retransmission timeout, RTO = max(MIN_RTO_MS, 2 x one-way delay), during which
 *   everything behind it waits (head-of-line blocking).
 * - pieces: a real link delivers a big write segment by segment, not all at once when its last byte is through. A
 *   chunk longer than one piece (piecesOf) is shaped piece by piece, so at 32 kbit/s the first bytes of a 64 KB
 *   chunk arrive after 0.4 s, not 16 s (a receiver that watches its socket for signs of life saw 16 s of silence).
 * Deterministic for a given seed. Invariant: delivery times never decrease.
 */
import type { LinkSpec } from './spec.ts'

/** Linux's minimum retransmission timeout. */
export const MIN_RTO_MS = 200
/** Segment size used to apply loss (a typical MSS). */
export const SEGMENT_BYTES = 1448
/**
 * A piece takes at most this long to serialise, and is at least one segment: pieces stay few on a fast link (a 64 KB
 * chunk is one piece at 11 Mbit/s and above) and are one segment each on a slow one.
 */
export const PIECE_MS = 50

/** The byte lengths, in order, that a chunk of `bytes` is shaped and delivered as on a link of `spec`. */
export function piecesOf(spec: LinkSpec, bytes: number): number[] {
  const size = Number.isFinite(spec.rateBps) ? Math.max(SEGMENT_BYTES, Math.ceil((spec.rateBps / 8) * (PIECE_MS / 1000))) : Infinity
  if (bytes <= size) return [bytes]
  const out: number[] = []
  for (let left = bytes; left > 0; left -= size) out.push(Math.min(size, left))
  return out
}

export class LinkShaper {
  private serialisedUntil = 0
  private lastDelivery = 0
  private state: number

  constructor(
    private spec: LinkSpec,
    seed = 1,
  ) {
    this.state = seed >>> 0 || 1
  }

  /** A link whose quality changes (a fault injected, then healed): later chunks are shaped by the new spec. */
  setSpec(spec: LinkSpec): void {
    this.spec = spec
  }

  /** xorshift32: a cheap deterministic stream for jitter and loss. */
  private random(): number {
    let x = this.state
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.state = x >>> 0
    return this.state / 4294967296
  }

  /** The pieces a chunk of `bytes` is delivered as, under the current spec (piecesOf). */
  pieces(bytes: number): number[] {
    return piecesOf(this.spec, bytes)
  }

  /** When a chunk (or piece) of `bytes` that arrived at `now` (ms) leaves the far end. */
  deliveryTime(now: number, bytes: number): number {
    const { rateBps, delayMs, jitterMs, loss } = this.spec
    const txMs = Number.isFinite(rateBps) ? (bytes * 8 * 1000) / rateBps : 0
    this.serialisedUntil = Math.max(now, this.serialisedUntil) + txMs
    let at = this.serialisedUntil + delayMs + (jitterMs > 0 ? this.random() * jitterMs : 0)
    if (loss > 0) {
      const segments = Math.max(1, Math.ceil(bytes / SEGMENT_BYTES))
      for (let i = 0; i < segments; i++) if (this.random() < loss) at += Math.max(MIN_RTO_MS, 2 * delayMs)
    }
    at = Math.max(at, this.lastDelivery)
    this.lastDelivery = at
    return at
  }
}
