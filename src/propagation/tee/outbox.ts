/**
 * The outbox: tx item sends to one peer wait up to `batchMs` so that several share one message (an RLPx frame costs
 * ~50 B of header, MAC and padding, half a transfer). The first tx queued for a peer sets the flush deadline, which
 * the relay returns from `nextTimeout()`; nothing else waits.
 *
 * Order per peer is kept: any other message to a peer (a block item, digest, pull, plan, ...) first flushes the txs
 * queued for it, so a compact block never overtakes the txs it names. A batch is flushed at once when it reaches
 * the decoder's item cap or MAX_BATCH_BYTES, and when the epoch tag changes (a message carries one epoch).
 * `batchMs` 0 sends every batch as the event produced it (coalesced per event only, as before).
 *
 * Invariants:
 * - every queue is non-empty, for a live peer, holds tx items of one epoch, at most MAX_TXS_PER_MESSAGE items and
 *   under MAX_BATCH_BYTES of payload;
 * - its deadline is its first item's queue time + batchMs.
 */
import { MAX_BATCH_BYTES, MAX_TXS_PER_MESSAGE } from './constants.ts'
import type { WireItem } from './messages.ts'
import type { InvariantViolations, RelayContext, TeeAction } from './interface.ts'

interface Queue {
  epoch: number
  items: WireItem[]
  bytes: number
  due: number
}

export class Outbox {
  private readonly queues = new Map<string, Queue>()

  constructor(private readonly ctx: RelayContext) {}

  /** Takes the actions of one event (coalesced): tx item sends are queued, the rest pass, flushing what they must. */
  pass(actions: TeeAction[], now: number): TeeAction[] {
    const batchMs = this.ctx.params.batchMs
    if (batchMs <= 0 && this.queues.size === 0) return actions
    const out: TeeAction[] = []
    for (const a of actions) {
      if (a.t !== 'send') {
        out.push(a)
        continue
      }
      const m = a.msg
      if (batchMs <= 0 || m.t !== 'items' || m.items[0]?.kind !== 'tx') {
        this.flush(out, a.to)
        out.push(a)
        continue
      }
      let q = this.queues.get(a.to)
      if (q !== undefined && q.epoch !== m.epoch) {
        this.flush(out, a.to)
        q = undefined
      }
      for (const item of m.items) {
        if (q === undefined) {
          q = { epoch: m.epoch, items: [], bytes: 0, due: now + batchMs }
          this.queues.set(a.to, q)
        }
        q.items.push(item)
        q.bytes += item.payload.length
        if (q.items.length >= MAX_TXS_PER_MESSAGE || q.bytes >= MAX_BATCH_BYTES) {
          this.flush(out, a.to)
          q = undefined
        }
      }
    }
    return out
  }

  /** Flushes every batch due at `now`. */
  onTimeout(out: TeeAction[], now: number): void {
    for (const [peer, q] of this.queues) if (q.due <= now) this.flush(out, peer)
  }

  nextTimeout(): number | undefined {
    let t = Infinity
    for (const q of this.queues.values()) t = Math.min(t, q.due)
    return t === Infinity ? undefined : t
  }

  /** The peer is gone: its queue is dropped (the relay re-floods what was sent to it just before, queued or not). */
  peerDown(peer: string): void {
    this.queues.delete(peer)
  }

  /** Items queued for `peer` (tests). */
  queued(peer: string): number {
    return this.queues.get(peer)?.items.length ?? 0
  }

  private flush(out: TeeAction[], peer: string): void {
    const q = this.queues.get(peer)
    if (q === undefined) return
    this.queues.delete(peer)
    out.push({ t: 'send', to: peer, msg: { t: 'items', epoch: q.epoch, items: q.items } })
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    for (const [peer, q] of this.queues) {
      const p = peer.slice(0, 8)
      if (!this.ctx.peers.has(peer)) bad.push(`outbox: queue for ${p}, not a live peer`)
      if (q.items.length === 0) bad.push(`outbox: empty queue for ${p}`)
      if (q.items.length >= MAX_TXS_PER_MESSAGE || q.bytes >= MAX_BATCH_BYTES) bad.push(`outbox: queue for ${p} at the cap (${q.items.length} items, ${q.bytes} B) was not flushed`)
      if (q.items.some((i) => i.kind !== 'tx')) bad.push(`outbox: a non-tx item queued for ${p}`)
      if (q.due > this.ctx.now() + this.ctx.params.batchMs) bad.push(`outbox: queue for ${p} due at ${q.due}, beyond now + batchMs`)
    }
    return bad
  }
}
