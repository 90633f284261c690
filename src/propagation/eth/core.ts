/**
 * The eth/68 propagation core: one engine for `stock`, `geth` and `flood`, with the mode's rules as a small policy
 * (the `Propagation` routing functions in stock.ts, geth.ts, flood.ts: whom to push to, whom to announce to, which
 * announced hashes to fetch). It is the EthereumJS client 0.10.5's txpool/fullsync machinery, quirks included,
 * written as a sans-IO core (src/propagation/core.ts): the node's devp2p seam (src/p2p/install.ts) and the
 * simulator (src/sim/eth-node.ts) drive this same class.
 *
 * How a tx moves through it:
 *   Transactions / PooledTransactions --(deliver-txs)--> pool --(onPoolResult, one per tx)--> policy.routeTxs
 *   --> send-Transactions / send-NewPooledTransactionHashes, each filtered by what the peer is known to have.
 *   NewPooledTransactionHashes --> policy.selectFetch over the hashes neither pending nor pooled --> a fetch request
 *   (send-GetPooledTransactions) --> PooledTransactions, as above. RPC txs enter with onLocal (already pooled).
 *
 * Stages, and the field that holds each:
 * - Stage 1, awaiting verdicts (`awaiting`): the txs of one received message, handed to the pool, until every verdict
 *   is in; then the batch is routed as one, as the client relays a message's txs together (stock re-pushes every tx
 *   of a pushed message, accepted or not, and announces the accepted ones).
 * - Stage 2, fetching (`fetch`, fetch-stage.ts): hashes asked of a peer, until the answer or the deadline.
 * - Pool memory (`handled`): the pool's last verdict per hash (the client's `handled` map). A hash with an accepted
 *   verdict is not fetched again; one whose last add failed is (patch client 005). Note the quirk this gives: a
 *   duplicate push is a failed add ("already in the TxPool"), so a later announcement of that tx is fetched again.
 * - Known per peer (`knownTxs`, `knownBlocks`, known.ts): what each peer has, marked on receipt and on send; nothing
 *   is sent to a peer known to have it. As in the client, a peer is not marked for NewBlockHashes it sends us.
 *
 * Invariants (checked after every step by test/propagation/eth-core.test.ts):
 * - a hash is pending in at most one fetch request, and only while that request is open;
 * - no send action carries an item the core knew the peer had before the step;
 * - every hash a batch in stage 1 waits on was handed to the pool in that batch's deliver-txs and has no verdict yet.
 *
 * The fetch retry question (issue 10). The simulator's old copy of these rules retried a fetch that got no answer
 * within 1 s from another peer that had announced the hash, as go-ethereum's tx_fetcher does. The real client has
 * no retry: a hash is pending from the request until its answer or the request timeout (6 s, the service default),
 * announcements of a pending hash from other peers are dropped, and once the request ends the hash is fetched again
 * only if some peer announces it again. `stock` means the client, and the node runs the client's fetcher in every
 * eth/68 mode (geth.ts is go-ethereum's routing, not its fetcher), so the client is right and the retry goes: this
 * core does not retry, in the node or in the simulator. The simulator's crash experiments now show what stock
 * nodes really lose when an announcer dies with the request open.
 *
 * What the node's client still keeps itself: the pool (and the verdicts this core is told), request ids and
 * response matching, and its own copies of the known sets and `pending`, which see the same events and filter the
 * same sends again. Where the two views can differ, the client's filter runs first or after, so the wire stays the
 * client's: the seam of patch client 016 passes only the announced hashes the client found neither pending nor
 * pooled (so `knownTxs` misses the others); the node's driver sees an answer without its request id (the oldest
 * open request to that peer ends) and a failed request only as a protocol error (which ends one early: harmless,
 * since the client drops hashes it still has pending before this core sees them); and the aging below runs on this
 * core's clock, not on the client's 20-minute interval.
 */
import type { PropagationCore } from '../core.ts'
import type { Hex, Origin, PeerId, Propagation, TxArrival } from '../interface.ts'
import { FetchStage } from './fetch-stage.ts'
import { KnownByPeer } from './known.ts'
import type { EthAction, EthBlock, EthLocal, EthMsg, EthPeerInfo, EthTx } from './messages.ts'

/** The routing rules of one mode: the `Propagation` functions, nothing else. */
export type EthPolicy = Pick<Propagation, 'mode' | 'routeTxs' | 'routePoolToNewPeer' | 'selectFetch' | 'routeBlock'>

export interface EthCoreParams {
  /** How long a fetch request stays open without an answer, ms. The client's service default (service.js). */
  fetchTimeoutMs: number
  /** At most this many hashes per GetPooledTransactions (txpool TX_RETRIEVAL_LIMIT). */
  retrievalLimit: number
  /** Known-set entries live this long (txpool POOLED_STORAGE_TIME_LIMIT, 20 min). */
  knownTtlMs: number
  /** Pool verdicts live this long (txpool HANDLED_CLEANUP_TIME_LIMIT, 60 min). */
  handledTtlMs: number
  /** How often aged entries are dropped (the client's cleanup interval, 20 min). */
  cleanupIntervalMs: number
}

export const DEFAULT_ETH_CORE_PARAMS: EthCoreParams = {
  fetchTimeoutMs: 6_000,
  retrievalLimit: 256,
  knownTtlMs: 20 * 60_000,
  handledTtlMs: 60 * 60_000,
  cleanupIntervalMs: 20 * 60_000,
}

interface VerdictBatch {
  via: Exclude<TxArrival, 'rpc'>
  from: PeerId
  txs: EthTx[]
  waiting: Set<Hex>
  accepted: Set<Hex>
}

export class EthCore implements PropagationCore<EthMsg, EthAction, EthLocal, EthPeerInfo> {
  readonly mode: Propagation['mode']
  private readonly p: EthCoreParams
  /** Connected peers, in the order they came up (the client's peer pool order, which the split rules use). */
  private readonly peers = new Set<PeerId>()
  /** `peers` as an array for the policy, rebuilt only when a peer comes or goes (not once per routed message). */
  private peerList: PeerId[] = []
  // Stage 1: awaiting pool verdicts, oldest first.
  private readonly awaiting: VerdictBatch[] = []
  // Stage 2: fetching.
  private readonly fetch: FetchStage
  // Pool memory: hash -> last verdict, as one number (see `verdict`): a map entry per tx per node, no object each.
  private readonly handled = new Map<Hex, number>()
  // Known per peer.
  private readonly knownTxs = new KnownByPeer()
  private readonly knownBlocks = new KnownByPeer()
  private nextCleanupAt: number | undefined
  private lastNow = -Infinity

  constructor(
    private readonly policy: EthPolicy,
    params: Partial<EthCoreParams> = {},
  ) {
    this.mode = policy.mode
    this.p = { ...DEFAULT_ETH_CORE_PARAMS, ...params }
    this.fetch = new FetchStage(this.p.fetchTimeoutMs, this.p.retrievalLimit)
  }

  onLocal(item: EthLocal, now: number): EthAction[] {
    this.clock(now)
    if (item.kind === 'block') return this.routeBlock(item.block, 'local', now).flat()
    this.handled.set(item.tx.hash, verdict(true, now))
    return this.routeTxs([item.tx], new Set([item.tx.hash]), 'rpc', 'local', now)
  }

  onMessage(from: PeerId, msg: EthMsg, now: number): EthAction[] {
    this.clock(now)
    switch (msg.t) {
      case 'Transactions':
        this.knownTxs.addNew(from, msg.txs, now)
        return this.deliver('push', from, msg.txs)
      case 'PooledTransactions':
        // An answer to no open request is dropped, as the client drops an unsolicited response.
        if (this.fetch.answer(from, msg.reqId) === undefined) return []
        return this.deliver('fetch', from, msg.txs)
      case 'NewPooledTransactionHashes':
        return this.onAnnounced(from, msg.txs, now)
      case 'GetPooledTransactions':
        return [{ t: 'serve-PooledTransactions', to: from, reqId: msg.reqId, hashes: msg.hashes }]
      case 'NewBlock': {
        this.knownBlocks.add(from, msg.block.hash, now)
        // The client forwards a NewBlock before importing it (after its header check, which the driver does).
        const [push, announce] = this.routeBlock(msg.block, from, now)
        return [...push, { t: 'deliver-block', from, block: msg.block }, ...announce]
      }
      case 'NewBlockHashes':
        return msg.blocks.length === 0 ? [] : [{ t: 'fetch-block', from, blocks: msg.blocks }]
    }
  }

  onPoolResult(id: Hex, accepted: boolean, from: Origin, now: number): EthAction[] {
    this.clock(now)
    this.handled.set(id, verdict(accepted, now))
    let i = 0
    while (i < this.awaiting.length && !(this.awaiting[i]!.from === from && this.awaiting[i]!.waiting.has(id))) i++
    if (i === this.awaiting.length) return []
    const b = this.awaiting[i]!
    b.waiting.delete(id)
    if (accepted) b.accepted.add(id)
    if (b.waiting.size > 0) return []
    this.awaiting.splice(i, 1)
    return this.routeTxs(b.txs, b.accepted, b.via, b.from, now)
  }

  onPeerUp(peer: PeerId, info: EthPeerInfo, now: number): EthAction[] {
    this.clock(now)
    if (this.peers.has(peer)) return []
    this.peers.add(peer)
    this.peerList = [...this.peers]
    return this.sends(this.policy.routePoolToNewPeer(info.pool.map((t) => ({ ...t, accepted: true })), peer), info.pool, now)
  }

  onPeerDown(peer: PeerId, now: number): EthAction[] {
    this.clock(now)
    // Known sets outlive the session, and an open request to the peer runs to its deadline, as in the client.
    if (this.peers.delete(peer)) this.peerList = [...this.peers]
    return []
  }

  onTimeout(now: number): EthAction[] {
    this.clock(now)
    // An expired request only releases its hashes: no retry (see the header).
    this.fetch.expire(now)
    if (this.nextCleanupAt !== undefined && now >= this.nextCleanupAt) {
      this.knownTxs.prune(now - this.p.knownTtlMs)
      this.knownBlocks.prune(now - this.p.knownTtlMs)
      for (const [h, v] of this.handled) if (verdictAt(v) < now - this.p.handledTtlMs) this.handled.delete(h)
      while (this.nextCleanupAt <= now) this.nextCleanupAt += this.p.cleanupIntervalMs
    }
    return []
  }

  nextTimeout(): number | undefined {
    const f = this.fetch.nextDeadline()
    if (f === undefined) return this.nextCleanupAt
    return this.nextCleanupAt === undefined ? f : Math.min(f, this.nextCleanupAt)
  }

  // Read-only views, for drivers and invariant checks.
  connected(): readonly PeerId[] {
    return [...this.peerList]
  }
  knows(peer: PeerId, hash: Hex): boolean {
    return this.knownTxs.has(peer, hash) || this.knownBlocks.has(peer, hash)
  }
  isPending(hash: Hex): boolean {
    return this.fetch.isPending(hash)
  }
  pendingRequestOf(hash: Hex): number | undefined {
    return this.fetch.pendingOf(hash)
  }
  openRequests(): readonly { reqId: number; peer: PeerId; hashes: readonly Hex[]; deadline: number }[] {
    return this.fetch.open()
  }
  awaitingVerdicts(): readonly { from: PeerId; waiting: ReadonlySet<Hex> }[] {
    return this.awaiting
  }
  verdictOf(hash: Hex): boolean | undefined {
    const v = this.handled.get(hash)
    return v === undefined ? undefined : v >= 0
  }

  private clock(now: number): void {
    if (!(now >= this.lastNow)) throw new Error(`eth core: clock went backwards (${now} < ${this.lastNow})`)
    // Verdicts keep their time's sign for the accepted bit (`verdict`).
    if (now < 0) throw new Error(`eth core: the clock must start at 0 or later, got ${now}`)
    this.lastNow = now
    this.nextCleanupAt ??= now + this.p.cleanupIntervalMs
  }

  private deliver(via: VerdictBatch['via'], from: PeerId, txs: readonly EthTx[]): EthAction[] {
    if (txs.length === 0) return []
    // One copy serves the batch and the action: neither is changed after this.
    const copy = [...txs]
    const waiting = new Set<Hex>()
    for (const t of copy) waiting.add(t.hash)
    this.awaiting.push({ via, from, txs: copy, waiting, accepted: new Set() })
    return [{ t: 'deliver-txs', from, txs: copy }]
  }

  private onAnnounced(from: PeerId, announced: readonly { hash: Hex }[], now: number): EthAction[] {
    const candidates: Hex[] = []
    // Most announcements name a hash already pending or pooled here: the set of candidates is made only when needed.
    let seen: Set<Hex> | undefined
    for (const { hash: h } of announced) {
      this.knownTxs.add(from, h, now)
      if (this.fetch.isPending(h) || (this.handled.get(h) ?? -1) >= 0) continue
      if (candidates.length > 0) {
        seen ??= new Set(candidates)
        if (seen.has(h)) continue
        seen.add(h)
      }
      candidates.push(h)
    }
    if (candidates.length === 0) return []
    const only = candidates[0]
    const want = this.policy.selectFetch(candidates, from).filter(seen === undefined ? (h) => h === only : (h) => seen.has(h))
    if (want.length === 0) return []
    const r = this.fetch.start(from, want, now)
    return r.asked.length === 0 ? [] : [{ t: 'send-GetPooledTransactions', to: from, reqId: r.reqId, hashes: r.asked }]
  }

  private routeTxs(txs: readonly EthTx[], accepted: ReadonlySet<Hex>, via: TxArrival, origin: Origin, now: number): EthAction[] {
    const metas = txs.map((t) => ({ ...t, accepted: accepted.has(t.hash) }))
    return this.sends(this.policy.routeTxs(metas, { peers: this.peerList, origin, via }), txs, now)
  }

  /**
   * Turns the policy's tx actions into per-peer sends of what each peer is not known to have, marking it known.
   * `txs`: the txs the actions name (by hash); looked up only when there is an action (most duplicates route none).
   */
  private sends(actions: ReturnType<EthPolicy['routeTxs']>, txsRouted: readonly EthTx[], now: number): EthAction[] {
    if (actions.length === 0) return []
    const byHash = new Map<Hex, EthTx>()
    for (const t of txsRouted) byHash.set(t.hash, t)
    const out: EthAction[] = []
    for (const a of actions) {
      const txs = a.txs.map((m) => byHash.get(m.hash)).filter((t): t is EthTx => t !== undefined)
      for (const to of a.to) {
        if (!this.peers.has(to)) continue
        const fresh = this.knownTxs.addNew(to, txs, now)
        if (fresh.length === 0) continue
        out.push(a.kind === 'push' ? { t: 'send-Transactions', to, txs: fresh } : { t: 'send-NewPooledTransactionHashes', to, txs: fresh })
      }
    }
    return out
  }

  /** [NewBlock sends, NewBlockHashes sends], each to peers not known to have the block. */
  private routeBlock(block: EthBlock, origin: Origin, now: number): [EthAction[], EthAction[]] {
    const push: EthAction[] = []
    const announce: EthAction[] = []
    for (const a of this.policy.routeBlock(block, { peers: this.peerList, origin })) {
      for (const to of a.to) {
        if (!this.peers.has(to) || !this.knownBlocks.add(to, block.hash, now)) continue
        if (a.kind === 'push') push.push({ t: 'send-NewBlock', to, block })
        else announce.push({ t: 'send-NewBlockHashes', to, blocks: [block] })
      }
    }
    return [push, announce]
  }
}

/** A pool verdict and its time as one number: the time when accepted, -1 - time when not (times are >= 0). */
const verdict = (accepted: boolean, at: number): number => (accepted ? at : -1 - at)
const verdictAt = (v: number): number => (v >= 0 ? v : -1 - v)
