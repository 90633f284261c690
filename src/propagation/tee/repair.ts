/**
 * Repair: how a node learns what it lacks and fetches it (Plumtree's lazy push). Each digest round, a few peers in
 * rotation get the short ids of items that settled here since their cursor and that they are not known to hold; a
 * peer pulls the ids it lacks; a pull not answered in time goes to the next holder.
 *
 * Stages of an item id, from this node's side:
 * 1. unknown: neither held nor pending.
 * 2. pending (`pending`): a peer digested it.
 *    2a. waiting for the tree (tries 0): some peer's link to us is backlogged (`queueDelay`: its answers to our pulls
 *        came that much slower than its fastest), so the tree copies it queued for us are still on the way; the pull
 *        waits TREE_WAIT_FACTOR x that delay after the first digest, as go-ethereum's tx fetcher waits for a
 *        broadcast before it fetches an announced tx: at most MAX_TREE_WAIT_MS, or up to MAX_BACKLOG_WAIT_MS when the
 *        median peer is that backlogged (`waitCap`). With no backlogged peer, the pull goes at once. The delay is
 *        measured on pull round trips, not on late tree copies: a tree copy is also late when its sender was itself
 *        waiting for a repair, and waits learned from those grew down the subtree (in the simulator, under 30 %
 *        silent crashes, every level waited longer and reach fell to 11 %).
 *    2b. pulled (tries 1..maxPullTries): waits for the item, rotating over its holders, given up after
 *        maxPullTries or when no holder is left. A holder is given pullTimeoutMs plus TREE_WAIT_FACTOR x its own
 *        queueing delay (within the same cap): its answer queues behind what it already sends us, and a 1 s retry
 *        on a link backed up for longer fetched the item from the next holder as well.
 * 3. held (the item store): the item arrived (by any path); it leaves `pending` at once.
 *
 * Per peer: `digestCursor` is the first-seen time up to which that peer has been digested; a peer that goes down
 * keeps its cursor in `downCursor`, so that on reconnecting it is digested what it missed.
 *
 * Who digests what: with a running plan, a peer gets an item's id only from its checker for the item's tree (see
 * `checkerOf`): one digest per item per node, where every peer not known to hold it used to send one (~2.3 per item
 * per node at degree 4, 36-50 B per node per tx when nothing was lost). Without a plan, on a tree broken here, for a
 * node outside the tree or without a checker, and for items that settled before the peer's link came up, every
 * peer not known to hold the item is digested it, as before.
 *
 * Invariants:
 * - An id is in the store or in `pending`, never both.
 * - Every holder of a pending pull is a live peer; tries are 0..maxPullTries, and 0 only while it waits for the tree,
 *   with its first pull due at most MAX_BACKLOG_WAIT_MS after the first digest; a pulled id's next holder is due at
 *   most pullTimeoutMs + MAX_BACKLOG_WAIT_MS after its pull.
 * - `digestCursor` has live peers only; `downCursor` none.
 * - `nextPullAt` is at or before the earliest pending step (`due`: the first pull, or the next holder's).
 * - `queueDelay` and `fastestAnswer` have live peers only; each delay is > 0.
 * - `pendingBy` counts, per peer, exactly the pending pulls its digests started, and is at most
 *   MAX_PENDING_PULLS_PER_PEER for each (a peer's digests cannot make this node track ids without bound).
 * - `unserved` has live peers only, each below MAX_UNSERVED_DIGESTED (at it, the peer is refused and its count cleared).
 */
import { DIGEST_FULL_IDS, MAX_BACKLOG_WAIT_MS, MAX_IDS_PER_MESSAGE, MAX_TREE_WAIT_MS, NEW_PEER_BACKLOG_MS, QUEUE_DELAY_HALF_LIFE_MS, TREE_WAIT_FACTOR } from './constants.ts'
import { percentile } from '../../shared/percentile.ts'
import { knows, markKnown, usable, type ItemStore } from './item-store.ts'
import type { OmissionLedger } from './omission-ledger.ts'
import { ORIGIN_UNKNOWN, type WireItem } from './messages.ts'
import type { RunningPlan } from './running-plan.ts'
import { treeOf, type PlanView } from './plan.ts'
import { shortKey } from './short-id.ts'
import type { InvariantViolations, RelayContext, TeeAction } from './interface.ts'

interface PendingPull {
  /** When a digest first named it here. */
  firstAt: number
  /** When the next step is due: the first pull (tries 0), or the next holder (tries >= 1). */
  due: number
  holders: string[]
  /** Pulls sent: 0 while it waits for the tree. */
  tries: number
  /** The holder the latest pull went to, and when (tries >= 1). */
  pulledFrom: string | undefined
  pulledAt: number
  /** The peer whose digest started this pull (its share of MAX_PENDING_PULLS_PER_PEER). */
  by: string
}

/**
 * Pulls one peer's digests may have in flight here (go-ethereum's tx fetcher keeps 4,096 announcements per peer).
 * One full digest fits, so a new peer's backlog is pulled at once; ids beyond it are not pulled from that peer
 * until its earlier ones arrive or are given up. Without it, a peer that digests 16,384 random ids every 100 ms made
 * a node track 2.1M ids in 20 s (+480 MB RSS, RPC stalled for 3.5 s).
 */
export const MAX_PENDING_PULLS_PER_PEER = MAX_IDS_PER_MESSAGE

/**
 * Ids a peer may digest in a row that are then given up (no one delivered them within maxPullTries), before it is
 * disconnected. An honest peer digests only items it holds and serves them when pulled; its count is reset whenever
 * one of the ids it digested arrives. A quarter of a full digest: a peer digesting random ids every 100 ms (16,384
 * a time) cost a node 4.7 CPU-s and +50-170 MB of heap in 20 s while its pulls were only capped; now it is dropped at
 * its first given-up batch, pullTimeoutMs x maxPullTries (4 s) after its first digest.
 */
export const MAX_UNSERVED_DIGESTED = MAX_IDS_PER_MESSAGE / 4

/** Down peers whose cursors are remembered; beyond this the memory is cleared (bounded state per departed peer). */
const MAX_DOWN_CURSORS = 4096

export class Repair {
  // Stage 2: pending pulls, by short id (hex).
  private readonly pending = new Map<string, PendingPull>()
  /** Pending pulls per peer whose digest started them. */
  private readonly pendingBy = new Map<string, number>()
  /** Per peer: ids its digests started that were given up unserved, since one it digested last arrived. */
  private readonly unserved = new Map<string, number>()
  /** Peers refused for it, until their link goes down (refused once, not once per given-up id). */
  private readonly refusedDigesters = new Set<string>()
  /** At or before the earliest time a pending pull is due (its first pull, or a retry). */
  private nextPullAt = Infinity
  /** Per peer: the latest peak of its link's queueing delay toward us, ms (decaying, see `queueDelayNow`). */
  private readonly queueDelay = new Map<string, { ms: number; at: number }>()
  /** Per peer: its fastest pull answer, ms (the round trip without a queue). */
  private readonly fastestAnswer = new Map<string, number>()
  // Digest rounds.
  private readonly digestCursor = new Map<string, number>()
  /** Digest cursors of peers that went down: a reconnecting peer's digests resume there (it missed the outage). */
  private readonly downCursor = new Map<string, number>()
  /** When each live peer's link came up: what settled before is digested to it by every peer (it may have missed it). */
  private readonly upAt = new Map<string, number>()
  /** Per live peer: when a tree edge to it last rewound its digest cursor (treeEdgeUp). */
  private readonly edgeUpAt = new Map<string, number>()
  private digestRotation = 0
  private nextDigestAt = 0

  constructor(
    private readonly ctx: RelayContext,
    private readonly store: ItemStore,
    private readonly running: RunningPlan,
    private readonly ledger: OmissionLedger,
  ) {}

  peerUp(peer: string, now: number): void {
    // A peer seen before resumes where its digests stopped: items that settled while the link was down never reached
    // it (its own digests only tell us what we lack). A new peer also gets the last NEW_PEER_BACKLOG_MS: an item
    // sent while this link was still coming up reached nobody over it. What the peer holds, it does not pull.
    this.digestCursor.set(peer, this.downCursor.get(peer) ?? now - this.ctx.params.settleMs - NEW_PEER_BACKLOG_MS)
    this.downCursor.delete(peer)
    this.upAt.set(peer, now)
  }

  /**
   * A tree edge to `peer` came up here (a graft or bridge, sent or taken): what settled here in the last
   * NEW_PEER_BACKLOG_MS is digested to it whatever its checker, as to a new peer. The checker rule names plan nodes,
   * and an orphan's checker is often gone with its parent: a fragment head that an orphan grafted onto never heard of
   * what that orphan had pulled from its other peers (under silent crashes with loss, a node lacked 3-12 txs at the
   * end of the run).
   */
  treeEdgeUp(peer: string, now: number): void {
    const cursor = this.digestCursor.get(peer)
    // Once per backlog window per peer: a peer that grafts on and off cannot make this node digest its backlog to it
    // more often than a reconnect would.
    if (cursor === undefined || now - (this.edgeUpAt.get(peer) ?? -Infinity) < NEW_PEER_BACKLOG_MS) return
    this.edgeUpAt.set(peer, now)
    this.digestCursor.set(peer, Math.min(cursor, now - this.ctx.params.settleMs - NEW_PEER_BACKLOG_MS))
    this.upAt.set(peer, now)
  }

  peerDown(peer: string): void {
    const cursor = this.digestCursor.get(peer)
    this.digestCursor.delete(peer)
    this.upAt.delete(peer)
    this.edgeUpAt.delete(peer)
    this.unserved.delete(peer)
    this.refusedDigesters.delete(peer)
    this.queueDelay.delete(peer)
    this.fastestAnswer.delete(peer)
    if (cursor !== undefined) {
      if (this.downCursor.size >= MAX_DOWN_CURSORS) this.downCursor.clear()
      this.downCursor.set(peer, cursor)
    }
    for (const p of this.pending.values()) p.holders = p.holders.filter((h) => h !== peer)
  }

  /**
   * A digest named the item with this short id and it has not arrived: whom this node last pulled it from, and
   * when (`pulledFrom` undefined while it waits for the tree: a repair-mode copy then answers no pull).
   */
  pendingOf(short: string): { pulledFrom: string | undefined; pulledAt: number } | undefined {
    const p = this.pending.get(short)
    return p === undefined ? undefined : { pulledFrom: p.pulledFrom, pulledAt: p.pulledAt }
  }

  /**
   * `peer` answered our pull `rttMs` after we sent it. Beyond its fastest answer, that is its link's queue toward us:
   * what it pushed to us meanwhile is still on the way, and new pulls wait a while for it (stage 2a).
   */
  pullAnswered(peer: string, rttMs: number, now: number): void {
    if (!this.ctx.peers.has(peer) || !(rttMs >= 0)) return
    const fastest = Math.min(this.fastestAnswer.get(peer) ?? Infinity, rttMs)
    this.fastestAnswer.set(peer, fastest)
    const ms = rttMs - fastest
    if (ms > 0 && ms > this.queueDelayNow(peer, now)) this.queueDelay.set(peer, { ms, at: now })
  }

  /** `peer`'s queueing delay now: its latest peak, halved every QUEUE_DELAY_HALF_LIFE_MS since. */
  private queueDelayNow(peer: string, now: number): number {
    const l = this.queueDelay.get(peer)
    return l === undefined ? 0 : l.ms * 0.5 ** ((now - l.at) / QUEUE_DELAY_HALF_LIFE_MS)
  }

  /**
   * The longest a pull may be held for a backlogged link now: MAX_TREE_WAIT_MS, or TREE_WAIT_FACTOR x the median
   * peer's queueing delay when that is longer (most links backed up: the network is at its bandwidth limit), at most
   * MAX_BACKLOG_WAIT_MS. A minority of slow peers cannot move the median.
   */
  private waitCap(now: number): number {
    // Nearest-rank p50: the lower median, so half the peers or fewer cannot raise it.
    const median = percentile([...this.ctx.peers.keys()].map((p) => this.queueDelayNow(p, now)), 50) ?? 0
    return Math.min(MAX_BACKLOG_WAIT_MS, Math.max(MAX_TREE_WAIT_MS, median * TREE_WAIT_FACTOR))
  }

  /**
   * How long a new pull waits for the tree (0: it goes at once). A digest carries short ids, which do not tell the
   * item's tree, so any peer's queueing delay counts.
   */
  private treeWait(now: number): number {
    let ms = 0
    for (const peer of this.queueDelay.keys()) ms = Math.max(ms, this.queueDelayNow(peer, now))
    const wait = Math.min(this.waitCap(now), ms * TREE_WAIT_FACTOR)
    return wait >= 1 ? wait : 0
  }

  /**
   * How long a pull to `holder` is given before the next holder is asked: pullTimeoutMs, plus TREE_WAIT_FACTOR x the
   * holder's queueing delay (its answer queues behind what it already sends us), within the wait cap.
   */
  private pullTimeout(holder: string, now: number, cap = this.waitCap(now)): number {
    return this.ctx.params.pullTimeoutMs + this.backlogWait(holder, now, cap)
  }

  /** Extra time an answer from `peer` may take now: TREE_WAIT_FACTOR x its queueing delay, within the wait cap. */
  backlogWait(peer: string, now: number, cap = this.waitCap(now)): number {
    return Math.min(cap, this.queueDelayNow(peer, now) * TREE_WAIT_FACTOR)
  }

  /** The item with this short id is now held (stage 3): it is no longer pending. */
  held(short: string): void {
    const p = this.pending.get(short)
    // What a peer digested arrived (from it or anyone): its digests name real items.
    if (p !== undefined) this.unserved.delete(p.by)
    this.drop(short)
  }

  private drop(key: string): void {
    const p = this.pending.get(key)
    if (p === undefined) return
    this.pending.delete(key)
    const n = (this.pendingBy.get(p.by) ?? 1) - 1
    if (n > 0) this.pendingBy.set(p.by, n)
    else this.pendingBy.delete(p.by)
  }

  onDigest(out: TeeAction[], from: string, ids: Uint8Array[], now: number): void {
    const want: Uint8Array[] = []
    let started = this.pendingBy.get(from) ?? 0
    const wait = this.treeWait(now)
    for (const id of ids) {
      const key = shortKey(id)
      const e = this.store.get(key)
      if (e !== undefined) {
        markKnown(e, from)
        continue
      }
      const p = this.pending.get(key)
      if (p !== undefined) {
        if (!p.holders.includes(from)) p.holders.push(from)
        continue
      }
      if (started >= MAX_PENDING_PULLS_PER_PEER) continue
      started++
      // Pulled now (the next holder due after pullTimeout), or waiting for the tree (its first pull due after the wait).
      const pullNow = wait === 0
      const due = now + (pullNow ? this.pullTimeout(from, now) : wait)
      this.pending.set(key, { firstAt: now, due, holders: [from], tries: pullNow ? 1 : 0, by: from, pulledFrom: pullNow ? from : undefined, pulledAt: now })
      this.nextPullAt = Math.min(this.nextPullAt, due)
      if (pullNow) want.push(id)
    }
    if (started > 0) this.pendingBy.set(from, started)
    if (want.length > 0) {
      this.ctx.counters.pulls += want.length
      out.push({ t: 'send', to: from, msg: { t: 'pull', ids: want } })
    }
  }

  onPull(out: TeeAction[], from: string, ids: Uint8Array[]): void {
    const items: WireItem[] = []
    for (const id of ids) {
      const e = this.store.get(shortKey(id))
      // A tx waiting for or refused by the pool is not served (the puller asks the next holder).
      if (e === undefined || !usable(e)) continue
      markKnown(e, from)
      // The neighbour we charged for it asks us for it: it never had it, so it did not omit it.
      if (e.chargedTo === from) this.ledger.refund(e, from)
      items.push({ kind: e.kind, id: e.id, mode: 'repair', origin: this.running.originIndex(e.origin) ?? ORIGIN_UNKNOWN, payload: e.payload })
    }
    // One send per item: coalesce() merges them into one message per kind.
    for (const item of items) out.push({ t: 'send', to: from, msg: { t: 'items', epoch: this.running.epoch, items: [item] } })
  }

  /** The earliest time a digest round or a pull retry is due; undefined when neither is. */
  nextTimeout(): number | undefined {
    let t = this.pending.size > 0 ? this.nextPullAt : Infinity
    if (this.ctx.peers.size > 0) t = Math.min(t, this.nextDigestAt)
    return t === Infinity ? undefined : t
  }

  onTimeout(out: TeeAction[], now: number): void {
    if (now >= this.nextDigestAt) {
      this.nextDigestAt = now + this.ctx.params.digestIntervalMs
      this.digestRound(out, now)
    }
    if (now >= this.nextPullAt) this.retryPulls(out, now)
  }

  private digestRound(out: TeeAction[], now: number): void {
    const peers = [...this.ctx.peers.keys()].sort()
    if (peers.length === 0) return
    const cutoff = now - this.ctx.params.settleMs
    const n = Math.min(this.ctx.params.digestPartners, peers.length)
    for (let k = 0; k < n; k++) {
      const p = peers[(this.digestRotation + k) % peers.length]!
      const since = this.digestCursor.get(p) ?? cutoff
      const ids: Uint8Array[] = []
      let upTo = cutoff
      let prevSeen = cutoff
      // The latest first-seen time scanned, and the one before it (a cursor that stops before entries seen at lastSeen).
      let lastSeen = since
      let before = since
      const checks = this.checksFor(p)
      const upAt = this.upAt.get(p) ?? -Infinity
      let oldest = Infinity
      for (const e of this.store.since(since)) {
        if (e.firstSeen > cutoff) break
        // A tx still waiting for the pool's verdict holds the cursor: once admitted it is digested (rejected: never).
        if (e.admission === 'pending') {
          upTo = e.firstSeen > lastSeen ? lastSeen : before
          break
        }
        if (e.firstSeen > lastSeen) {
          before = lastSeen
          lastSeen = e.firstSeen
        }
        if (usable(e) && !knows(e, p) && (e.firstSeen < upAt || checks(e.id))) {
          // The decoder's cap: the rest goes in the next round.
          if (ids.length === MAX_IDS_PER_MESSAGE) {
            upTo = prevSeen
            break
          }
          ids.push(e.shortBytes)
          oldest = Math.min(oldest, e.firstSeen)
        }
        prevSeen = e.firstSeen
      }
      // Few ids, none overdue: they wait for a later round (the cursor stays), so one message carries several rounds.
      if (ids.length > 0 && ids.length < DIGEST_FULL_IDS && oldest + this.ctx.params.settleMs + this.ctx.params.digestWaitMs > now) continue
      this.digestCursor.set(p, upTo)
      if (ids.length > 0) out.push({ t: 'send', to: p, msg: { t: 'digest', ids } })
    }
    this.digestRotation = (this.digestRotation + n) % peers.length
  }

  /**
   * Whether this node digests an item (by id) to peer `p`: always without a plan, on a tree broken here, where `p` or
   * this node is outside the item's tree or `p` has no checker on it; otherwise only if this node is `p`'s checker.
   */
  private checksFor(p: string): (id: Uint8Array) => boolean {
    const view = this.running.view
    const self = this.running.selfIndex
    const pi = view?.index.get(p)
    if (this.ctx.params.digestCheckers === 0 || view === undefined || self < 0 || pi === undefined) return () => true
    const memo = new Map<number, boolean>()
    return (id) => {
      const t = treeOf(id, view.trees)
      let yes = memo.get(t)
      if (yes === undefined) {
        const checker = view.inTree(t, pi) && view.inTree(t, self) && !this.running.broken.has(t) ? checkerOf(view, t, pi) : undefined
        yes = checker === undefined || checker === self
        memo.set(t, yes)
      }
      return yes
    }
  }

  private retryPulls(out: TeeAction[], now: number): void {
    const byPeer = new Map<string, Uint8Array[]>()
    const cap = this.waitCap(now)
    let next = Infinity
    for (const [key, p] of this.pending) {
      if (now < p.due) {
        next = Math.min(next, p.due)
        continue
      }
      // The first pull goes to the first digester; a retry rotates to the next holder. Give up after maxPullTries
      // or when nobody is left.
      if (p.tries > 0) p.holders.push(p.holders.shift()!)
      const holder = p.holders.find((h) => this.ctx.peers.has(h))
      if (p.tries >= this.ctx.params.maxPullTries || holder === undefined) {
        this.drop(key)
        this.countUnserved(out, p.by)
        continue
      }
      p.tries++
      p.due = now + this.pullTimeout(holder, now, cap)
      p.pulledFrom = holder
      p.pulledAt = now
      next = Math.min(next, p.due)
      const list = byPeer.get(holder) ?? []
      list.push(new Uint8Array(Buffer.from(key, 'hex')))
      byPeer.set(holder, list)
    }
    this.nextPullAt = next
    for (const [to, ids] of byPeer) {
      this.ctx.counters.pulls += ids.length
      out.push({ t: 'send', to, msg: { t: 'pull', ids } })
    }
  }

  /** One more id that `peer` digested was given up; at MAX_UNSERVED_DIGESTED in a row the peer is refused. */
  private countUnserved(out: TeeAction[], peer: string): void {
    if (!this.ctx.peers.has(peer) || this.refusedDigesters.has(peer)) return
    const n = (this.unserved.get(peer) ?? 0) + 1
    if (n < MAX_UNSERVED_DIGESTED) {
      this.unserved.set(peer, n)
      return
    }
    this.unserved.delete(peer)
    this.refusedDigesters.add(peer)
    this.ctx.counters.digestersRefused++
    out.push({ t: 'refused', peer, what: 'digest', reason: `digested ${n} ids in a row that no one could deliver (${this.ctx.params.maxPullTries} pulls each)`, disconnect: true })
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    let earliest = Infinity
    for (const [key, p] of this.pending) {
      if (this.store.get(key) !== undefined) bad.push(`repair: ${key} is both held and pending`)
      for (const h of p.holders) if (!this.ctx.peers.has(h)) bad.push(`repair: pending ${key} names holder ${h.slice(0, 8)}, not a live peer`)
      if (p.tries < 0 || p.tries > this.ctx.params.maxPullTries) bad.push(`repair: pending ${key} at try ${p.tries}`)
      if (p.tries === 0 && p.due > p.firstAt + MAX_BACKLOG_WAIT_MS) bad.push(`repair: pending ${key} waits for the tree until ${p.due}, past ${p.firstAt} + MAX_BACKLOG_WAIT_MS`)
      if (p.tries > 0 && p.due > p.pulledAt + this.ctx.params.pullTimeoutMs + MAX_BACKLOG_WAIT_MS) bad.push(`repair: pending ${key} pulled at ${p.pulledAt}, next holder at ${p.due}, past pullTimeoutMs + MAX_BACKLOG_WAIT_MS`)
      earliest = Math.min(earliest, p.due)
    }
    const by = new Map<string, number>()
    for (const p of this.pending.values()) by.set(p.by, (by.get(p.by) ?? 0) + 1)
    for (const [peer, n] of by) if (this.pendingBy.get(peer) !== n) bad.push(`repair: ${n} pending pulls started by ${peer.slice(0, 8)}, counted ${this.pendingBy.get(peer) ?? 0}`)
    for (const [peer, n] of this.pendingBy) {
      if (!by.has(peer)) bad.push(`repair: ${peer.slice(0, 8)} counted ${n} pending pulls, has none`)
      if (n > MAX_PENDING_PULLS_PER_PEER) bad.push(`repair: ${peer.slice(0, 8)} has ${n} pending pulls, cap ${MAX_PENDING_PULLS_PER_PEER}`)
    }
    if (this.pending.size > 0 && this.nextPullAt > earliest) bad.push(`repair: next pull step at ${this.nextPullAt}, after the earliest due (${earliest})`)
    for (const [p, l] of this.queueDelay) {
      if (!this.ctx.peers.has(p)) bad.push(`repair: queueing delay for ${p.slice(0, 8)}, not a live peer`)
      if (!(l.ms > 0)) bad.push(`repair: queueing delay ${l.ms} ms for ${p.slice(0, 8)}`)
    }
    for (const p of this.fastestAnswer.keys()) if (!this.ctx.peers.has(p)) bad.push(`repair: fastest answer for ${p.slice(0, 8)}, not a live peer`)
    for (const p of this.digestCursor.keys()) if (!this.ctx.peers.has(p)) bad.push(`repair: digest cursor for ${p.slice(0, 8)}, not a live peer`)
    for (const p of this.downCursor.keys()) if (this.ctx.peers.has(p)) bad.push(`repair: down cursor for live peer ${p.slice(0, 8)}`)
    for (const p of this.upAt.keys()) if (!this.ctx.peers.has(p)) bad.push(`repair: link-up time for ${p.slice(0, 8)}, not a live peer`)
    for (const p of this.edgeUpAt.keys()) if (!this.ctx.peers.has(p)) bad.push(`repair: tree-edge time for ${p.slice(0, 8)}, not a live peer`)
    for (const [p, n] of this.unserved) {
      if (!this.ctx.peers.has(p)) bad.push(`repair: unserved count for ${p.slice(0, 8)}, not a live peer`)
      if (n >= MAX_UNSERVED_DIGESTED) bad.push(`repair: ${p.slice(0, 8)} at ${n} unserved digested ids, not refused`)
    }
    for (const p of this.refusedDigesters) if (!this.ctx.peers.has(p)) bad.push(`repair: refused digester ${p.slice(0, 8)}, not a live peer`)
    return bad
  }
}

/**
 * The checker of `node` on tree `t`: its parent on the next tree (t+1, t+2, ... mod K) that is not one of its
 * neighbours on `t` (a neighbour on `t` delivers the item or gets it from `node`: it cannot vouch for that
 * delivery). Tree edges are links, so the checker is a peer of `node`, and every node computes the same checker from
 * the plan. Undefined (every peer digests) with one tree, or when no such parent exists.
 */
export function checkerOf(view: PlanView, t: number, node: number): number | undefined {
  const mine = view.neighbours(t, node)
  for (let k = 1; k < view.trees; k++) {
    const par = view.body.parents[(t + k) % view.trees]![node]!
    if (par >= 0 && !mine.includes(view.body.nodes[par]!)) return par
  }
  return undefined
}
