/**
 * The tee/1 relay: one node's broadcast state machine, as a PropagationCore (core.ts). Sans-IO: events (peer
 * up/down, a message from a peer, a local item, a timeout) come in with the current time and actions come out
 * (send, deliver, compute a plan, refuse); `nextTimeout()` says when to call `onTimeout`. The devp2p driver
 * (src/p2p/tee-adapter.ts), the simulator (src/sim/tee-node.ts) and the tests drive this same code.
 *
 * Data path: an item travels on tree `hash mod K` of the current plan; each node forwards it to its tree neighbours
 * except the sender, so a tree delivers it to N nodes with N-1 sends. A peer is down when its driver says so or when
 * it has been silent for params.silenceMs (liveness.ts: keepalives on idle links; the relay then asks the driver to
 * disconnect it). A node whose tree parent is down grafts itself under a stand-in that ranks before it on the plan's
 * tree (tree-repair.ts): the tree is repaired locally, loop-free, and nothing floods; an orphan that finds none heads a
 * fragment and bridges it to one peer outside its plan subtree, so the fragment's items cross at tree speed. Digests of settled items to a few peers per round reveal gaps; gaps are
 * pulled. A pulled item counts as an omission of the tree neighbour that should have delivered it; the counts go
 * to the coordinator in the epoch report and a relay that keeps omitting loses its interior positions.
 * Control path: attested nodes send one signed report per epoch: before the first plan up a bootstrap spanning tree
 * to its root (bootstrap.ts; flooded without candidates), then along tree 0
 * to the epoch's few best-ranked coordinator candidates. The best-ranked candidate asks its enclave for the plan
 * (action `computePlan`); every node verifies the signed plan and passes it on along tree 0 of the plan it ran
 * before (flooding where that tree is broken or absent). A peer still tagging its items with an older epoch missed
 * it and is sent the plan directly.
 *
 * This class only dispatches. An item from a peer goes: check (the injected verifier: a forged item is refused,
 * its sender disconnected, and it never occupies its id) -> store (item-store.ts) -> leave repair's pending set
 * (repair.ts) -> deliver (a tx) or rebuild (a block, compact-blocks.ts) -> [a tx under params.admitTxs: wait for the
 * pool's verdict, admission.ts; a rejected tx stops here] -> omission accounting (omission-ledger.ts) -> forward
 * (forwarding.ts). Reports and plans go to the control plane (control-plane.ts), which also owns the running plan
 * (running-plan.ts).
 *
 * Invariants: those of each part (`invariants()` collects them), and: the clock never goes backwards; every
 * deadline `nextTimeout()` returns is cleared by `onTimeout` at that time (it returns a later one or none).
 */
import { ORIGIN_UNKNOWN, type ItemKind, type TeeMessage, type WireItem } from './messages.ts'
import { teeParams, type TeeParams } from './params.ts'
import { shortId, shortKey } from './short-id.ts'
import { TeeError } from './errors.ts'
import type { PropagationCore } from '../core.ts'
import type { Hex, Origin } from '../interface.ts'
import type { SignedPlan } from './messages.ts'
import { ItemStore, markKnown } from './item-store.ts'
import { RunningPlan } from './running-plan.ts'
import { treeOf } from './plan.ts'
import { OmissionLedger } from './omission-ledger.ts'
import { Repair } from './repair.ts'
import { ControlPlane } from './control-plane.ts'
import { coalesce, Forwarding } from './forwarding.ts'
import { CompactBlocks } from './compact-blocks.ts'
import { Outbox } from './outbox.ts'
import { Admission, type Waiting } from './admission.ts'
import { READ_PAUSE_MS } from './constants.ts'
import { Liveness } from './liveness.ts'
import { TreeRepair } from './tree-repair.ts'
import type { InvariantViolations, ItemCheck, PeerInfo, RelayContext, RelayCounters, TeeAction, TeeRelayDeps } from './interface.ts'

export type { ItemCheck, ItemVerifier, PeerInfo, PlanCheck, RelayAuthority, RelayCounters, TeeAction, TeeRelayDeps } from './interface.ts'
export { coalesce } from './forwarding.ts'

/** An item that starts at this node: a tx submitted over RPC (and admitted by the pool), a block it sealed. */
export interface LocalItem {
  kind: ItemKind
  id: Uint8Array
  payload: Uint8Array
}

export class TeeRelay implements PropagationCore<TeeMessage, TeeAction, LocalItem, PeerInfo> {
  readonly params: TeeParams
  readonly counters: RelayCounters = { published: 0, received: 0, duplicates: 0, pulls: 0, repaired: 0, floodFallbacks: 0, plansRefused: 0, planPushes: 0, itemsRefused: 0, reportQuotes: 0, reportsRefused: 0, reportsStale: 0, planDeltas: 0, planAsks: 0, planPulls: 0, txsRejected: 0, txsRejectedHostile: 0, admitTimeouts: 0, digestersRefused: 0, txsThrottled: 0, silentPeers: 0, keepalives: 0, grafts: 0, bridges: 0, reportsIn: 0, beacons: 0, beaconsRefused: 0 }
  private readonly peers = new Map<string, PeerInfo>()
  private lastNow = -Infinity
  private readonly store: ItemStore
  private readonly running: RunningPlan
  private readonly ledger: OmissionLedger
  private readonly repair: Repair
  private readonly control: ControlPlane
  private readonly forwarding: Forwarding
  private readonly blocks: CompactBlocks
  private readonly outbox: Outbox
  private readonly admission: Admission
  private readonly liveness: Liveness
  private readonly treeRepair: TreeRepair

  constructor(
    readonly self: string,
    readonly attested: boolean,
    private readonly deps: TeeRelayDeps,
    params: Partial<TeeParams> = {},
  ) {
    this.params = teeParams(params)
    const ctx: RelayContext = { self, attested, params: this.params, peers: this.peers, counters: this.counters, now: () => this.lastNow }
    this.store = new ItemStore(this.params.seenCapacity)
    this.running = new RunningPlan(ctx)
    this.ledger = new OmissionLedger(ctx, this.running)
    this.repair = new Repair(ctx, this.store, this.running, this.ledger)
    this.control = new ControlPlane(ctx, this.running, this.ledger, deps.authority)
    this.liveness = new Liveness(ctx)
    this.treeRepair = new TreeRepair(ctx, this.running, this.liveness)
    this.forwarding = new Forwarding(ctx, this.running, this.store, this.treeRepair)
    this.blocks = new CompactBlocks(ctx, this.store, this.repair)
    this.outbox = new Outbox(ctx)
    this.admission = new Admission(ctx)
  }

  // ---- queries ----

  /** Before the first plan (with candidates): the bootstrap root this node routes its reports to (bootstrap.ts). */
  get bootstrapRoot(): string | undefined {
    return this.control.bootstrapRoot
  }

  get currentPlan(): SignedPlan | undefined {
    return this.running.plan
  }

  has(id: Uint8Array): boolean {
    return this.store.has(id)
  }

  /** The payload of a held item (not of a tx the pool rejected: its bytes are gone). */
  payloadOf(id: Uint8Array): Uint8Array | undefined {
    const e = this.store.byId(id)
    return e === undefined || e.admission === 'rejected' ? undefined : e.payload
  }

  /** A held tx's payload by short id (compact block reconstruction). */
  txByShortId(short: Uint8Array): Uint8Array | undefined {
    return this.store.heldTx(short)
  }

  peerIds(): string[] {
    return [...this.peers.keys()]
  }

  /** This node's way up on each tree of the running plan (tree-repair.ts `ways`): for whole-network loop checks. */
  treeWays(): (string | undefined)[] {
    return this.treeRepair.ways()
  }

  epochAt(now: number): number {
    return this.control.epochAt(now)
  }

  /** Every part's invariants that do not hold (empty: all hold). Tests call it after every step. */
  invariants(): InvariantViolations {
    return [...this.store.invariants(), ...this.running.invariants(), ...this.ledger.invariants(), ...this.repair.invariants(), ...this.control.invariants(), ...this.blocks.invariants(), ...this.outbox.invariants(), ...this.admission.invariants(), ...this.liveness.invariants(), ...this.treeRepair.invariants()]
  }

  // ---- PropagationCore ----

  onPeerUp(peer: string, info: PeerInfo, now: number): TeeAction[] {
    this.clock(now)
    this.peers.set(peer, info)
    this.repair.peerUp(peer, now)
    this.liveness.peerUp(peer, now)
    const out = this.control.peerUp(peer)
    // A plan parent back: leave its stand-in.
    this.treeRepair.reconcile(out, now)
    return this.emit(this.outbox.pass(out, now), now)
  }

  onPeerDown(peer: string, now: number): TeeAction[] {
    this.clock(now)
    const out: TeeAction[] = []
    if (!this.peerGone(out, peer, now)) return []
    return this.emit(this.outbox.pass(coalesce(out), now), now)
  }

  /**
   * Bytes from `peer` arrived on its link (any protocol, any part of a frame): a sign of life, as a message is. On a
   * link slower than its load, one big frame (a block body, a batch of large txs) or a queue of eth/68 traffic can
   * take longer than silenceMs to bring the next whole tee/1 message; judged by messages alone, such a peer was
   * disconnected as silent (on a 32 kbit/s testnet, 9 links in one 2-minute ramp) and its trees flooded.
   */
  linkActive(peer: string, now: number): void {
    this.clock(now)
    if (this.peers.has(peer)) this.liveness.heard(peer, now)
  }

  /** A peer is down (its driver said so, or it fell silent): every part lets it go; orphaned trees graft. */
  private peerGone(out: TeeAction[], peer: string, now: number): boolean {
    if (!this.peers.delete(peer)) return false
    this.outbox.peerDown(peer)
    this.control.peerDown(peer)
    this.repair.peerDown(peer)
    this.admission.peerDown(peer)
    this.running.peerDown(peer)
    this.liveness.peerDown(peer)
    this.treeRepair.peerDown(peer)
    this.treeRepair.reconcile(out, now)
    // Items it got from us just before dying may not have gone on (forwarding.ts says which go again, and where).
    this.forwarding.resendAfterPeerDown(out, peer, now)
    return true
  }

  /** The relay's output of one event: sends are marked as signs of life toward their peers (liveness.ts). */
  private emit(actions: TeeAction[], now: number): TeeAction[] {
    this.liveness.sent(actions, now)
    for (const a of actions) if (a.t === 'send' && a.msg.t === 'graft' && a.msg.attach) this.repair.treeEdgeUp(a.to, now)
    return actions
  }

  /** An item published here (RPC submission, mined block): checked by the pool or the miner already. */
  onLocal(item: LocalItem, now: number): TeeAction[] {
    this.clock(now)
    if (this.store.has(item.id)) return []
    const e = this.store.add(item.kind, item.id, item.payload, this.self, now)
    this.repair.held(e.short)
    this.counters.published++
    const out: TeeAction[] = []
    if (item.kind === 'tx') this.blocks.onTxHeld(out, e.short, e.payload, now)
    this.forwarding.route(out, e, undefined, 'tree')
    return this.emit(this.outbox.pass(coalesce(out), now), now)
  }

  onMessage(from: string, msg: TeeMessage, now: number): TeeAction[] {
    this.clock(now)
    if (!this.peers.has(from)) return []
    this.liveness.heard(from, now)
    const out: TeeAction[] = []
    const plan = this.running.plan
    switch (msg.t) {
      case 'items':
        this.control.onItemsTagged(out, from, msg.epoch, now)
        for (const item of msg.items) if (!this.onItem(out, from, msg.epoch, item, now)) break
        break
      case 'digest':
        this.repair.onDigest(out, from, msg.ids, now)
        break
      case 'pull':
        this.repair.onPull(out, from, msg.ids)
        break
      case 'report':
        this.counters.reportsIn += msg.reports.length
        for (const r of msg.reports) if (!this.control.onReport(out, from, r, now)) break
        break
      case 'plan':
        this.control.onPlan(out, from, msg.plan, now)
        break
      case 'planDelta':
        this.control.onPlanDelta(out, from, msg.delta, now)
        break
      case 'getPlan':
        this.control.onGetPlan(out, from, msg.epoch)
        break
      case 'planOffer':
        this.control.onPlanOffer(from, msg.epoch, msg.hash, now)
        break
      case 'beacon':
        this.control.onBeacon(out, from, msg.report, msg.dist, now)
        break
      case 'getBlockTxs':
        this.blocks.onGetBlockTxs(out, from, msg.block, msg.indexes)
        break
      case 'blockTxs':
        this.blocks.onBlockTxs(out, from, msg.block, msg.txs, now)
        break
      case 'keepalive':
        break
      case 'graft':
        this.treeRepair.onGraft(from, msg.epoch, msg.tree, msg.attach, msg.bridge === true)
        if (msg.attach) this.repair.treeEdgeUp(from, now)
        // A peer that grafted on may be this fragment head's bridge: it then bridges elsewhere.
        this.treeRepair.reconcile(out, now)
        break
    }
    // A new plan: grafts of the old one are void; orphans of the new one graft.
    if (this.running.plan !== plan) this.treeRepair.reconcile(out, now)
    return this.emit(this.outbox.pass(coalesce(out), now), now)
  }

  /**
   * The pool's verdict on a delivered tx. Without params.admitTxs the relay forwarded it on its own check already:
   * nothing to do. With it (admission.ts): admitted -> accounted and forwarded; rejected -> kept as a duplicate
   * filter, never forwarded, digested or served, charging no one. `hostile`: the driver found the tx invalid on its
   * own, whatever the chain state (a signature that does not recover): no honest node forwards such a tx, so an
   * unattested sender is disconnected. An attested sender is never dropped for a verdict (its host may inject, but its
   * relay code does not forward what its pool refused; a state-dependent refusal, such as funds or nonce, is a race
   * an honest node can lose, and is never a penalty).
   */
  onPoolResult(id: Hex, accepted: boolean, _from: Origin, now: number, hostile = false): TeeAction[] {
    this.clock(now)
    const w = this.admission.take(shortKey(shortId(Buffer.from(id.slice(2), 'hex'))))
    // Not waiting (no admission, given up, or a verdict twice), or evicted from the store meanwhile: nothing to do.
    if (w === undefined || this.store.get(w.e.short) !== w.e) return []
    const out: TeeAction[] = []
    if (accepted) {
      w.e.admission = undefined
      this.admission.giveBack(w.from, w.e.payload.length, now)
      this.admitted(out, w)
    } else {
      this.store.reject(w.e)
      this.counters.txsRejected++
      if (hostile) {
        this.counters.txsRejectedHostile++
        if (this.peers.get(w.from)?.attested === false) out.push({ t: 'refused', peer: w.from, what: `tx ${id.slice(0, 12)}`, reason: 'invalid tx (its signature does not recover): no honest node forwards it', disconnect: true })
      }
    }
    return this.emit(this.outbox.pass(coalesce(out), now), now)
  }

  onTimeout(now: number): TeeAction[] {
    this.clock(now)
    // Due batches go first (they were produced before what this timeout produces), and apart: they must not be
    // merged with, and queued again as, the new tx sends.
    const due: TeeAction[] = []
    this.outbox.onTimeout(due, now)
    const out: TeeAction[] = []
    // Silent peers go first: nothing due now is sent to them.
    for (const { peer, silentMs } of this.liveness.silent(now)) {
      this.counters.silentPeers++
      out.push({ t: 'disconnect', peer, reason: `silent for ${Math.round(silentMs)} ms (params.silenceMs ${this.params.silenceMs})` })
      this.peerGone(out, peer, now)
    }
    const plan = this.running.plan
    for (const w of this.admission.expire(now)) this.giveUp(w)
    this.control.onTimeout(out, now)
    this.repair.onTimeout(out, now)
    this.blocks.onTimeout(out, now)
    if (this.running.plan !== plan) this.treeRepair.reconcile(out, now)
    const sent = [...due, ...this.outbox.pass(coalesce(out), now)]
    this.liveness.sent(sent, now)
    // Links that carried nothing for keepaliveIdleMs, this event included, get a keepalive.
    const before = sent.length
    this.liveness.keepalives(sent, now)
    this.counters.keepalives += sent.length - before
    return sent
  }

  nextTimeout(): number | undefined {
    const t = Math.min(this.control.nextTimeout() ?? Infinity, this.repair.nextTimeout() ?? Infinity, this.blocks.nextTimeout() ?? Infinity, this.outbox.nextTimeout() ?? Infinity, this.admission.nextTimeout() ?? Infinity, this.liveness.nextTimeout() ?? Infinity)
    return t === Infinity ? undefined : t
  }

  /** The driver's tx root check of a block it got with `importBlock`: false (a collision) refetches every tx. */
  onBlockRebuilt(id: Uint8Array, rootOk: boolean, now: number): TeeAction[] {
    this.clock(now)
    const out: TeeAction[] = []
    this.blocks.onBlockRebuilt(out, id, rootOk, now)
    return this.emit(this.outbox.pass(out, now), now)
  }

  /** The enclave's answer to `computePlan`. The plan is checked like any received plan before it is used. */
  planComputed(plan: SignedPlan, now: number): TeeAction[] {
    this.clock(now)
    const out: TeeAction[] = []
    const before = this.running.plan
    this.control.onPlan(out, this.self, plan, now)
    if (this.running.plan !== before) this.treeRepair.reconcile(out, now)
    return this.emit(this.outbox.pass(out, now), now)
  }

  // ---- the names the drivers and tests used before the PropagationCore shape ----

  peerUp(peer: string, info: PeerInfo, now: number): TeeAction[] {
    return this.onPeerUp(peer, info, now)
  }

  peerDown(peer: string, now: number): TeeAction[] {
    return this.onPeerDown(peer, now)
  }

  publish(kind: ItemKind, id: Uint8Array, payload: Uint8Array, now: number): TeeAction[] {
    return this.onLocal({ kind, id, payload }, now)
  }

  receive(from: string, msg: TeeMessage, now: number): TeeAction[] {
    return this.onMessage(from, msg, now)
  }

  /** Runs whatever is due at `now` (a driver may call it early: nothing that is not due happens). */
  tick(now: number): TeeAction[] {
    return this.onTimeout(now)
  }

  // ---- data path ----

  /** One item from a peer. False: the item was forged and its sender refused (the rest of its message is dropped). */
  private onItem(out: TeeAction[], from: string, epoch: number, item: WireItem, now: number): boolean {
    const sb = shortId(item.id)
    const key = shortKey(sb)
    const have = this.store.get(key)
    if (have !== undefined) {
      // A copy with other bytes is checked: a forger may reuse the id of an item we hold.
      if (Buffer.compare(have.payload, item.payload) !== 0 && !this.checked(out, from, item).ok) return false
      markKnown(have, from)
      this.counters.duplicates++
      // The neighbour we charged was late, not omitting (it was itself waiting for a repair): refund it.
      if (have.chargedTo === from && item.mode === 'tree') this.ledger.refund(have, from)
      return true
    }
    // A peer whose txs the pool keeps refusing is out of allowance: its txs are dropped before any work, and its
    // driver stops reading from it until the allowance covers one more (admission.ts).
    if (item.kind === 'tx' && this.params.admitTxs === 1 && !this.admission.spend(from, item.payload.length, now)) {
      this.counters.txsThrottled++
      if (this.admission.pause(from, READ_PAUSE_MS, now)) out.push({ t: 'refused', peer: from, what: `tx ${Buffer.from(item.id).toString('hex').slice(0, 10)}`, reason: `out of its allowance of txs the pool did not admit: not read for ${READ_PAUSE_MS} ms`, disconnect: false, pauseMs: READ_PAUSE_MS })
      return true
    }
    const check = this.checked(out, from, item)
    if (!check.ok) return false
    // A repair-mode item that answers no pull of ours charges nobody: any peer can send one, naming any origin.
    const pending = this.repair.pendingOf(key)
    const pulled = pending?.pulledFrom !== undefined
    const plan = this.running.plan
    const selfIndex = this.running.selfIndex
    const sameEpoch = plan !== undefined && plan.body.epoch === epoch
    // An entry is published on the tree by its first tree member: that member is its origin.
    let origin = item.mode === 'entry' && selfIndex >= 0 ? this.self : sameEpoch && item.origin !== ORIGIN_UNKNOWN ? plan.body.nodes[item.origin] : undefined
    const crossed = origin !== this.self && this.crossed(item.id, origin, from)
    if (crossed) origin = this.self
    const e = this.store.add(item.kind, item.id, item.payload, origin, now, sb)
    markKnown(e, from)
    // The answer to our pull from this peer: how long it took tells how backlogged that peer's link to us is.
    if (item.mode === 'repair' && pending?.pulledFrom === from) this.repair.pullAnswered(from, now - pending.pulledAt, now)
    this.repair.held(e.short)
    this.counters.received++
    if (item.mode === 'repair') this.counters.repaired++
    const w: Waiting = { e, from, at: now, mode: item.mode, pulled, routeFrom: item.mode === 'entry' && selfIndex >= 0 ? undefined : from, routeMode: item.mode === 'entry' || (crossed && item.mode === 'repair') ? 'tree' : item.mode }
    if (item.kind === 'tx') {
      out.push({ t: 'deliver', item: { ...item }, from, ...(check.decoded !== undefined ? { decoded: check.decoded } : {}) })
      this.blocks.onTxHeld(out, e.short, e.payload, now)
      if (this.params.admitTxs === 1) {
        const dropped = this.admission.wait(w)
        if (dropped !== undefined) this.giveUp(dropped)
        return true
      }
    } else this.blocks.onBlockItem(out, e.id, e.payload, from, now)
    this.admitted(out, w)
    return true
  }

  /**
   * Did an item come into this node's subtree of its tree from outside it (the tree is a forest: one subtree per
   * component of relays, joined only through leaves and eth/68)? Its origin is in another subtree, or unknown and its
   * sender is not in this subtree. This node then publishes it on its subtree as its own, as an entry's first tree
   * member does: its subtree gets it on the tree rather than by pulls, one by one, and the neighbours' omission
   * accounting points at this node (toward an origin in another subtree there is no tree path to charge along).
   */
  private crossed(id: Uint8Array, origin: string | undefined, from: string): boolean {
    const view = this.running.view
    const self = this.running.selfIndex
    if (view === undefined || self < 0) return false
    const t = treeOf(id, view.trees)
    if (!view.inTree(t, self)) return false
    const o = origin === undefined ? undefined : view.index.get(origin)
    if (o !== undefined) return !view.together(t, self, o)
    const f = view.index.get(from)
    return f === undefined || !view.together(t, self, f)
  }

  /** A checked item that may go on (a block, a tx admitted by the pool or not waiting for it): account, forward. */
  private admitted(out: TeeAction[], w: Waiting): void {
    this.ledger.account(w.e, w.from, w.mode, w.pulled)
    this.forwarding.route(out, w.e, w.routeFrom, w.routeMode)
  }

  /** No verdict in time (or no room to wait): not admitted, without a penalty (the pool may not be running). */
  private giveUp(w: Waiting): void {
    this.store.reject(w.e)
    this.counters.admitTimeouts++
  }

  /** Check before store and forward: an item that is not what its id says is refused, and its sender dropped. */
  private checked(out: TeeAction[], from: string, item: WireItem): ItemCheck {
    const c = this.deps.verifier.check(item.kind, item.id, item.payload)
    if (c.ok) return c
    this.counters.itemsRefused++
    out.push({ t: 'refused', peer: from, what: `${item.kind} ${Buffer.from(item.id).toString('hex').slice(0, 10)}`, reason: c.reason, disconnect: true })
    return c
  }

  private clock(now: number): void {
    if (now < this.lastNow) throw new TeeError('CLOCK_WENT_BACKWARDS', `now ${now} < ${this.lastNow}`)
    this.lastNow = now
    this.liveness.touch(now)
  }
}
