/**
 * The fetch stage of the eth/68 core: which announced hashes were asked of whom, until when. It is the client's
 * txpool `pending` list plus the request timeout of its BoundProtocol, kept as data:
 * - a request holds every hash picked from one announcement; only the first `TX_RETRIEVAL_LIMIT` are asked for, but
 *   all of them stay pending until the request ends (a client quirk: the rest are dropped, not asked later);
 * - a request ends when its answer comes (matched by request id, else the oldest open request to that peer, as
 *   patch client 010 matches responses) or when its deadline passes. Either way its hashes leave the stage: nothing
 *   is retried (see core.ts for why).
 *
 * Invariants: a hash is pending in at most one request (`pendingHash` names it, and that request lists the hash);
 * requests are kept in deadline order.
 */
import type { Hex, PeerId } from '../interface.ts'

export interface FetchRequest {
  reqId: number
  peer: PeerId
  /** Every hash this request keeps pending. */
  hashes: Hex[]
  /** The ones actually asked for (GetPooledTransactions). */
  asked: Hex[]
  deadline: number
}

export class FetchStage {
  /** Open requests by id; insertion order is deadline order (constant timeout, clock never decreasing). */
  private readonly requests = new Map<number, FetchRequest>()
  /** hash -> the id of the open request that holds it. */
  private readonly pendingHash = new Map<Hex, number>()
  private lastReqId = 0

  constructor(
    private readonly timeoutMs: number,
    private readonly retrievalLimit: number,
  ) {}

  isPending(hash: Hex): boolean {
    return this.pendingHash.has(hash)
  }

  start(peer: PeerId, hashes: readonly Hex[], now: number): FetchRequest {
    const unique = (hashes.length === 1 ? hashes : [...new Set(hashes)]).filter((h) => !this.pendingHash.has(h))
    const r: FetchRequest = { reqId: ++this.lastReqId, peer, hashes: unique, asked: unique.slice(0, this.retrievalLimit), deadline: now + this.timeoutMs }
    this.requests.set(r.reqId, r)
    for (const h of unique) this.pendingHash.set(h, r.reqId)
    return r
  }

  /** An answer from `peer`: ends the request it answers, if one is open. */
  answer(peer: PeerId, reqId: number | undefined): FetchRequest | undefined {
    let r: FetchRequest | undefined
    if (reqId !== undefined) {
      r = this.requests.get(reqId)
      if (r?.peer !== peer) return undefined
    } else {
      for (const x of this.requests.values()) if (x.peer === peer) {
        r = x
        break
      }
    }
    if (r !== undefined) this.end(r)
    return r
  }

  /** Ends every request whose deadline has passed. */
  expire(now: number): FetchRequest[] {
    const out: FetchRequest[] = []
    for (const r of this.requests.values()) {
      if (r.deadline > now) break
      out.push(r)
    }
    for (const r of out) this.end(r)
    return out
  }

  nextDeadline(): number | undefined {
    for (const r of this.requests.values()) return r.deadline
    return undefined
  }

  /** Open requests, oldest first (for tests and invariant checks). */
  open(): readonly FetchRequest[] {
    return [...this.requests.values()]
  }

  pendingOf(hash: Hex): number | undefined {
    return this.pendingHash.get(hash)
  }

  private end(r: FetchRequest): void {
    this.requests.delete(r.reqId)
    for (const h of r.hashes) if (this.pendingHash.get(h) === r.reqId) this.pendingHash.delete(h)
  }
}
