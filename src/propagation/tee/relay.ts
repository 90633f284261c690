/**
 * The tee/1 relay: one node's broadcast state machine. Sans-IO: it takes events (peer up/down, a message from a
 * peer, a local item, a timer tick) with the current time and returns actions (send, deliver, compute a plan). The
 * devp2p adapter (src/p2p/tee-adapter.ts) and the simulator (src/sim/) drive the same code.
 *
 * Data path: an item travels on tree `hash mod K` of the current plan; each node forwards it to its tree neighbours
 * except the sender, so a tree delivers it to N nodes with N-1 sends. A tree with a missing edge at this node falls
 * back to flooding until the next plan. Digests of settled items to a few peers per round reveal gaps; gaps are
 * pulled. A pulled item counts as an omission of the tree neighbour that should have delivered it; the counts go
 * to the coordinator in the epoch report and a relay that keeps omitting loses its interior positions.
 * Control path: attested nodes send one signed report per epoch: flooded before the first plan, then along tree 0
 * to the epoch's few best-ranked coordinator candidates. The best-ranked candidate asks its enclave for the plan
 * (action `computePlan`); every node verifies the signed plan and passes it on along tree 0 of the plan it ran
 * before (flooding where that tree is broken or absent). A peer still tagging its items with an older epoch missed
 * it and is sent the plan directly.
 */
import { coordinatorRanking, coordinatorScore, PlanView, treeOf } from './plan.ts'
import { ORIGIN_UNKNOWN, type ItemKind, type ItemMode, type Report, type SignedPlan, type SignedReport, type TeeMessage, type WireItem } from './messages.ts'
import { teeParams, type TeeParams } from './params.ts'
import { shortId, shortKey } from './short-id.ts'
import { encodeReportBody } from './report.ts'
import { TeeError } from './errors.ts'
import { MAX_IDS_PER_MESSAGE, NEW_PEER_BACKLOG_MS, PLAN_CATCH_UP_GRACE_MS } from './constants.ts'

export type PeerInfo = { attested: boolean; rttMs: number }

export type PlanCheck = { ok: true } | { ok: false; reason: string }

/** What the relay needs from outside that is not pure logic: signatures and quote checks. */
export interface RelayAuthority {
  /** Checks the enclave's signature over the body and the quote binding that key; not the epoch (the relay does). */
  verifyPlan(plan: SignedPlan, now: number): PlanCheck
  /** Signs this node's report body with its devp2p key. */
  signReport(bodyBytes: Uint8Array): Uint8Array
}

export type TeeAction =
  | { t: 'send'; to: string; msg: TeeMessage }
  /** A new item: hand it to the pool / chain. `from` is the peer it came from, or 'local'. */
  | { t: 'deliver'; item: WireItem; from: string }
  /** This node coordinates `epoch`: run the enclave's planner over `reports` and pass the result to `planComputed`. */
  | { t: 'computePlan'; epoch: number; reports: SignedReport[] }
  | { t: 'planAccepted'; epoch: number; coordinator: string }
  /** A message was refused. `disconnect`: the peer broke the protocol (a forged plan is never relayed by honest nodes). */
  | { t: 'refused'; peer: string; what: string; reason: string; disconnect: boolean }

interface Entry {
  kind: ItemKind
  id: Uint8Array
  payload: Uint8Array
  short: string
  shortBytes: Uint8Array
  firstSeen: number
  /** Node id of the publisher, when known. */
  origin: string | undefined
  /**
   * Peers known to hold it: they sent it to us, digested it to us, or pulled it from us. A send of ours is not proof
   * (the wire or an omitting host may lose it): those peers are in `sentAt`, are not sent it again, but still get it
   * in digests, so that a lost send is repaired from the sender too.
   */
  known: Set<string>
  /** When we last sent it to each peer, for re-flooding when that peer dies. */
  sentAt: Map<string, number>
  /** The tree neighbour charged an omission when this item came by repair (refunded if its copy arrives late). */
  chargedTo?: string
}

interface PendingPull {
  since: number
  holders: string[]
  tries: number
}

export interface RelayCounters {
  published: number
  received: number
  duplicates: number
  pulls: number
  repaired: number
  floodFallbacks: number
  plansRefused: number
  /** Plans sent to a peer whose items showed it had missed them. */
  planPushes: number
}

export class TeeRelay {
  readonly params: TeeParams
  private readonly peers = new Map<string, PeerInfo>()
  private readonly entries = new Map<string, Entry>()
  /** Entries in first-seen order (oldest first), for digests and eviction. */
  private log: Entry[] = []
  private logStart = 0
  private readonly pending = new Map<string, PendingPull>()
  private plan: SignedPlan | undefined
  private view: PlanView | undefined
  private selfIndex = -1
  /** Trees with a missing edge at this node under the current plan: flood them. */
  private readonly broken = new Set<number>()
  private readonly digestCursor = new Map<string, number>()
  /** Digest cursors of peers that went down: a reconnecting peer's digests resume there (it missed the outage). */
  private readonly downCursor = new Map<string, number>()
  private digestRotation = 0
  private nextDigestAt = 0
  private readonly reports = new Map<number, Map<string, SignedReport>>()
  /** Reports to relay, per peer, sent at the next tick. */
  private readonly reportQueue = new Map<string, SignedReport[]>()
  private reportedEpoch = -1
  private reportSeq = 0
  private reportedLinks = ''
  private lastReportAt = -Infinity
  private reportedOmissions: { peer: string; omitted: number; delivered: number }[] = []
  /** Per epoch: when a new or newer report last arrived (the coordinator waits for quiet). */
  private readonly reportsChangedAt = new Map<number, number>()
  /** Per epoch: reporters that rank before this node as coordinator (kept as reports arrive: O(1) each). */
  private readonly rankBelow = new Map<number, number>()
  private computeRequested = -1
  private omissions = new Map<string, { omitted: number; delivered: number }>()
  /**
   * Omission charges not yet counted: a neighbour that was itself waiting for a repair delivers late, not never. A
   * charge counts at the first epoch report at least settleMs + digestIntervalMs after it, unless refunded by then.
   */
  private charges: { peer: string; at: number; e: Entry }[] = []
  private lastNow = -Infinity
  /** When the current plan was adopted. */
  private planAt = -Infinity
  /** Memo of candidatesFor (one plan, one epoch). */
  private candidates: { plan: SignedPlan; epoch: number; ids: string[] } | undefined
  /** Per peer: the plan epoch last pushed to it because its items carried an older one (one push per plan). */
  private readonly planPushed = new Map<string, number>()
  readonly counters: RelayCounters = { published: 0, received: 0, duplicates: 0, pulls: 0, repaired: 0, floodFallbacks: 0, plansRefused: 0, planPushes: 0 }

  constructor(
    readonly self: string,
    readonly attested: boolean,
    private readonly authority: RelayAuthority,
    params: Partial<TeeParams> = {},
  ) {
    this.params = teeParams(params)
  }

  // ---- queries ----

  get currentPlan(): SignedPlan | undefined {
    return this.plan
  }

  has(id: Uint8Array): boolean {
    return this.entries.has(shortKey(shortId(id)))
  }

  /** The payload of a held item (compact block repair reads txs through the pool, not here). */
  payloadOf(id: Uint8Array): Uint8Array | undefined {
    return this.entries.get(shortKey(shortId(id)))?.payload
  }

  /** A held tx's payload by short id (compact block reconstruction). */
  txByShortId(short: Uint8Array): Uint8Array | undefined {
    const e = this.entries.get(shortKey(short))
    return e?.kind === 'tx' ? e.payload : undefined
  }

  peerIds(): string[] {
    return [...this.peers.keys()]
  }

  epochAt(now: number): number {
    return Math.max(0, Math.floor((now - this.params.epochZeroMs) / this.params.epochMs))
  }

  // ---- events ----

  peerUp(peer: string, info: PeerInfo, now: number): TeeAction[] {
    this.clock(now)
    this.peers.set(peer, info)
    // A peer seen before resumes where its digests stopped: items that settled while the link was down never reached
    // it (its own digests only tell us what we lack). A new peer also gets the last NEW_PEER_BACKLOG_MS: an item
    // sent while this link was still coming up reached nobody over it. What the peer holds, it does not pull.
    this.digestCursor.set(peer, this.downCursor.get(peer) ?? now - this.params.settleMs - NEW_PEER_BACKLOG_MS)
    this.downCursor.delete(peer)
    const out: TeeAction[] = []
    if (this.plan !== undefined) out.push({ t: 'send', to: peer, msg: { t: 'plan', plan: this.plan } })
    return out
  }

  peerDown(peer: string, now: number): TeeAction[] {
    this.clock(now)
    if (!this.peers.delete(peer)) return []
    this.planPushed.delete(peer)
    const cursor = this.digestCursor.get(peer)
    this.digestCursor.delete(peer)
    if (cursor !== undefined) {
      if (this.downCursor.size >= 4096) this.downCursor.clear()
      this.downCursor.set(peer, cursor)
    }
    for (const p of this.pending.values()) p.holders = p.holders.filter((h) => h !== peer)
    const out: TeeAction[] = []
    if (this.view !== undefined && this.selfIndex >= 0) {
      for (let t = 0; t < this.view.trees; t++) if (this.view.neighbours(t, this.selfIndex).includes(peer)) this.breakTree(t)
    }
    // Items it got from us just before dying may not have gone on: flood them from here (duplicates are dropped).
    for (let i = this.log.length - 1; i >= this.logStart; i--) {
      const e = this.log[i]!
      if (now - e.firstSeen > this.params.resendWindowMs + this.params.settleMs) break
      const at = e.sentAt.get(peer)
      if (at !== undefined && now - at <= this.params.resendWindowMs) this.sendItem(out, e, 'flood', this.floodTargets(e, undefined))
    }
    return coalesce(out)
  }

  /** An item published here (RPC submission, mined block). */
  publish(kind: ItemKind, id: Uint8Array, payload: Uint8Array, now: number): TeeAction[] {
    this.clock(now)
    if (this.has(id)) return []
    const e = this.store(kind, id, payload, this.self, now)
    this.counters.published++
    const out: TeeAction[] = []
    this.route(out, e, undefined, 'tree')
    return coalesce(out)
  }

  receive(from: string, msg: TeeMessage, now: number): TeeAction[] {
    this.clock(now)
    if (!this.peers.has(from)) return []
    const out: TeeAction[] = []
    switch (msg.t) {
      case 'items':
        if (now - this.planAt >= PLAN_CATCH_UP_GRACE_MS) this.healStalePeer(out, from, msg.epoch)
        for (const item of msg.items) this.onItem(out, from, msg.epoch, item, now)
        break
      case 'digest':
        this.onDigest(out, from, msg.ids, now)
        break
      case 'pull':
        this.onPull(out, from, msg.ids)
        break
      case 'report':
        for (const r of msg.reports) this.onReport(from, r, now)
        break
      case 'plan':
        this.onPlan(out, from, msg.plan, now)
        break
      default:
        // Compact block repair (getBlockTxs / blockTxs) is the adapter's business.
        break
    }
    return coalesce(out)
  }

  /** The enclave's answer to `computePlan`. The plan is checked like any received plan before it is used. */
  planComputed(plan: SignedPlan, now: number): TeeAction[] {
    this.clock(now)
    const out: TeeAction[] = []
    this.onPlan(out, this.self, plan, now)
    return out
  }

  tick(now: number): TeeAction[] {
    this.clock(now)
    const out: TeeAction[] = []
    this.reportIfDue(out, now)
    this.flushReports(out)
    this.coordinateIfDue(out, now)
    if (now >= this.nextDigestAt) {
      this.nextDigestAt = now + this.params.digestIntervalMs
      this.digestRound(out, now)
    }
    this.retryPulls(out, now)
    return coalesce(out)
  }

  // ---- data path ----

  private onItem(out: TeeAction[], from: string, epoch: number, item: WireItem, now: number): void {
    const sb = shortId(item.id)
    const key = shortKey(sb)
    const have = this.entries.get(key)
    if (have !== undefined) {
      have.known.add(from)
      this.counters.duplicates++
      // The neighbour we charged was late, not omitting (it was itself waiting for a repair): refund it.
      if (have.chargedTo === from && item.mode === 'tree') this.refund(have, from)
      return
    }
    const sameEpoch = this.plan !== undefined && this.plan.body.epoch === epoch
    // An entry is published on the tree by its first tree member: that member is its origin.
    const origin = item.mode === 'entry' && this.selfIndex >= 0 ? this.self : sameEpoch && item.origin !== ORIGIN_UNKNOWN ? this.plan!.body.nodes[item.origin] : undefined
    const e = this.store(item.kind, item.id, item.payload, origin, now, sb)
    e.known.add(from)
    this.pending.delete(e.short)
    this.counters.received++
    out.push({ t: 'deliver', item: { ...item }, from })
    this.account(e, from, item.mode)
    if (item.mode === 'repair') this.counters.repaired++
    this.route(out, e, item.mode === 'entry' && this.selfIndex >= 0 ? undefined : from, item.mode === 'entry' ? 'tree' : item.mode)
  }

  /** Forwards an item that arrived in `mode` from `from` (undefined: published here). */
  private route(out: TeeAction[], e: Entry, from: string | undefined, mode: ItemMode): void {
    const view = this.view
    const t = view === undefined ? -1 : treeOf(e.id, view.trees)
    if (mode === 'flood' || view === undefined) return this.sendItem(out, e, 'flood', this.floodTargets(e, from))
    if (this.selfIndex < 0 || !view.inTree(t, this.selfIndex)) {
      if (mode !== 'tree' && mode !== 'entry') return
      // Not in the tree: hand it to the closest tree member among our peers, which treats it as its own.
      const entry = this.entryPeer(t, from)
      if (entry === undefined) return this.sendItem(out, e, 'flood', this.floodTargets(e, from))
      return this.sendItem(out, e, 'entry', [entry])
    }
    if (this.broken.has(t)) return this.sendItem(out, e, 'flood', this.floodTargets(e, from))
    let targets = view.neighbours(t, this.selfIndex).filter((p) => p !== from)
    if (mode === 'repair') {
      // The neighbour toward the origin is the one that failed to send it; it is not waiting for it from us.
      const originIndex = e.origin === undefined ? -1 : (view.index.get(e.origin) ?? -1)
      const back = originIndex < 0 ? undefined : view.towards(t, this.selfIndex, originIndex)
      targets = targets.filter((p) => p !== back)
    }
    const missing = targets.filter((p) => !this.peers.has(p))
    if (missing.length > 0) {
      this.breakTree(t)
      return this.sendItem(out, e, 'flood', this.floodTargets(e, from))
    }
    this.sendItem(out, e, 'tree', targets.filter((p) => !told(e, p)))
  }

  private breakTree(t: number): void {
    if (this.broken.has(t)) return
    this.broken.add(t)
    this.counters.floodFallbacks++
  }

  private floodTargets(e: Entry, from: string | undefined): string[] {
    return [...this.peers.keys()].filter((p) => p !== from && !told(e, p))
  }

  private entryPeer(t: number, from: string | undefined): string | undefined {
    const view = this.view!
    let best: string | undefined
    let bestRtt = Infinity
    for (const [p, info] of this.peers) {
      if (p === from) continue
      const i = view.index.get(p)
      if (i === undefined || !view.inTree(t, i)) continue
      if (info.rttMs < bestRtt || (info.rttMs === bestRtt && best !== undefined && p < best)) {
        best = p
        bestRtt = info.rttMs
      }
    }
    return best
  }

  private sendItem(out: TeeAction[], e: Entry, mode: ItemMode, to: string[]): void {
    if (to.length === 0) return
    const view = this.view
    const originIndex = e.origin === undefined || view === undefined ? ORIGIN_UNKNOWN : (view.index.get(e.origin) ?? ORIGIN_UNKNOWN)
    const item: WireItem = { kind: e.kind, id: e.id, mode, origin: originIndex, payload: e.payload }
    const epoch = this.plan?.body.epoch ?? 0
    const now = this.lastNow
    for (const p of to) {
      e.sentAt.set(p, now)
      out.push({ t: 'send', to: p, msg: { t: 'items', epoch, items: [item] } })
    }
  }

  /** Omission accounting against the tree neighbour that should have delivered an item. */
  private account(e: Entry, from: string, mode: ItemMode): void {
    const view = this.view
    if (view === undefined || this.selfIndex < 0 || e.origin === undefined) return
    const t = treeOf(e.id, view.trees)
    if (this.broken.has(t)) return
    const o = view.index.get(e.origin)
    if (o === undefined) return
    const expected = view.towards(t, this.selfIndex, o)
    if (expected === undefined || !this.peers.has(expected)) return
    if (mode === 'tree' && from === expected) this.omissionRow(expected).delivered++
    else if (mode === 'repair') {
      // Items repaired soon after a plan switch were mostly routed on the previous plan's trees: no one is to blame.
      if (this.lastNow - this.planAt < 2 * this.params.settleMs + this.params.digestIntervalMs) return
      e.chargedTo = expected
      this.charges.push({ peer: expected, at: this.lastNow, e })
    }
  }

  private omissionRow(peer: string): { omitted: number; delivered: number } {
    let row = this.omissions.get(peer)
    if (row === undefined) {
      row = { omitted: 0, delivered: 0 }
      this.omissions.set(peer, row)
    }
    return row
  }

  /** The charged neighbour sent its copy late, or asked us for it (it never had it): not an omission. */
  private refund(e: Entry, peer: string): void {
    e.chargedTo = undefined
    this.omissionRow(peer).delivered++
  }

  /** Moves charges old enough (and not refunded) into the omission rows; keeps the younger ones. */
  private settleCharges(now: number): void {
    const grace = this.params.settleMs + this.params.digestIntervalMs
    const keep: { peer: string; at: number; e: Entry }[] = []
    for (const c of this.charges) {
      if (c.e.chargedTo !== c.peer) continue
      if (now - c.at < grace) {
        keep.push(c)
        continue
      }
      c.e.chargedTo = undefined
      this.omissionRow(c.peer).omitted++
    }
    this.charges = keep
  }

  private store(kind: ItemKind, id: Uint8Array, payload: Uint8Array, origin: string | undefined, now: number, shortBytes = shortId(id)): Entry {
    const short = shortKey(shortBytes)
    const e: Entry = { kind, id, payload, short, shortBytes, firstSeen: now, origin, known: new Set(), sentAt: new Map() }
    this.entries.set(short, e)
    this.log.push(e)
    while (this.entries.size > this.params.seenCapacity) {
      const old = this.log[this.logStart++]!
      this.entries.delete(old.short)
    }
    if (this.logStart > 4096 && this.logStart > this.log.length / 2) {
      this.log = this.log.slice(this.logStart)
      this.logStart = 0
    }
    return e
  }

  // ---- repair ----

  private digestRound(out: TeeAction[], now: number): void {
    const peers = [...this.peers.keys()].sort()
    if (peers.length === 0) return
    const cutoff = now - this.params.settleMs
    const n = Math.min(this.params.digestPartners, peers.length)
    for (let k = 0; k < n; k++) {
      const p = peers[(this.digestRotation + k) % peers.length]!
      const since = this.digestCursor.get(p) ?? cutoff
      const ids: Uint8Array[] = []
      let upTo = cutoff
      for (let i = this.firstAfter(since); i < this.log.length; i++) {
        const e = this.log[i]!
        if (e.firstSeen > cutoff) break
        if (e.known.has(p)) continue
        // The decoder's cap: the rest goes in the next round.
        if (ids.length === MAX_IDS_PER_MESSAGE) {
          upTo = ids.length > 0 ? this.log[i - 1]!.firstSeen : cutoff
          break
        }
        ids.push(e.shortBytes)
      }
      this.digestCursor.set(p, upTo)
      if (ids.length > 0) out.push({ t: 'send', to: p, msg: { t: 'digest', ids } })
    }
    this.digestRotation = (this.digestRotation + n) % peers.length
  }

  /** Index of the first log entry first seen after `t` (binary search; the log is in time order). */
  private firstAfter(t: number): number {
    let lo = this.logStart
    let hi = this.log.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.log[mid]!.firstSeen <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private onDigest(out: TeeAction[], from: string, ids: Uint8Array[], now: number): void {
    const want: Uint8Array[] = []
    for (const id of ids) {
      const key = shortKey(id)
      const e = this.entries.get(key)
      if (e !== undefined) {
        e.known.add(from)
        continue
      }
      const p = this.pending.get(key)
      if (p !== undefined) {
        if (!p.holders.includes(from)) p.holders.push(from)
        continue
      }
      this.pending.set(key, { since: now, holders: [from], tries: 1 })
      want.push(id)
    }
    if (want.length > 0) {
      this.counters.pulls += want.length
      out.push({ t: 'send', to: from, msg: { t: 'pull', ids: want } })
    }
  }

  private onPull(out: TeeAction[], from: string, ids: Uint8Array[]): void {
    const view = this.view
    const items: WireItem[] = []
    for (const id of ids) {
      const e = this.entries.get(shortKey(id))
      if (e === undefined) continue
      e.known.add(from)
      // The neighbour we charged for it asks us for it: it never had it, so it did not omit it.
      if (e.chargedTo === from) this.refund(e, from)
      const origin = e.origin === undefined || view === undefined ? ORIGIN_UNKNOWN : (view.index.get(e.origin) ?? ORIGIN_UNKNOWN)
      items.push({ kind: e.kind, id: e.id, mode: 'repair', origin, payload: e.payload })
    }
    // One send per item: coalesce() merges them into one message per kind.
    for (const item of items) out.push({ t: 'send', to: from, msg: { t: 'items', epoch: this.plan?.body.epoch ?? 0, items: [item] } })
  }

  private retryPulls(out: TeeAction[], now: number): void {
    const byPeer = new Map<string, Uint8Array[]>()
    for (const [key, p] of this.pending) {
      if (now - p.since < this.params.pullTimeoutMs) continue
      // Rotate to the next holder; give up after maxPullTries or when nobody is left.
      p.holders.push(p.holders.shift()!)
      const next = p.holders.find((h) => this.peers.has(h))
      if (p.tries >= this.params.maxPullTries || next === undefined) {
        this.pending.delete(key)
        continue
      }
      p.tries++
      p.since = now
      const list = byPeer.get(next) ?? []
      list.push(new Uint8Array(Buffer.from(key, 'hex')))
      byPeer.set(next, list)
    }
    for (const [to, ids] of byPeer) {
      this.counters.pulls += ids.length
      out.push({ t: 'send', to, msg: { t: 'pull', ids } })
    }
  }

  // ---- control path ----

  /**
   * One signed report per epoch (seq 0) at its start. Until the epoch's plan exists, a changed peer set is reported
   * again with seq + 1 (at most every reportWait / 2): at network start links come up over seconds, and a plan from
   * reports of half-connected nodes would leave most of them out for a whole epoch.
   */
  private reportIfDue(out: TeeAction[], now: number): void {
    if (!this.attested) return
    const epoch = this.epochAt(now)
    const links = [...this.peers].map(([peer, i]) => ({ peer, rttMs: i.rttMs, attested: i.attested })).sort((a, b) => (a.peer < b.peer ? -1 : 1))
    const linksKey = links.map((l) => `${l.peer}/${l.attested ? 1 : 0}`).join(',')
    let seq: number
    if (epoch > this.reportedEpoch) {
      this.reportedEpoch = epoch
      this.settleCharges(now)
      this.reportedOmissions = [...this.omissions].map(([peer, o]) => ({ peer, ...o })).sort((a, b) => (a.peer < b.peer ? -1 : 1))
      this.omissions = new Map()
      seq = 0
    } else {
      const planned = this.plan !== undefined && this.plan.body.epoch >= epoch
      if (planned || linksKey === this.reportedLinks || now - this.lastReportAt < this.params.reportWaitMs / 2 || this.reportSeq >= 0xffff) return
      seq = this.reportSeq + 1
    }
    this.reportSeq = seq
    this.reportedLinks = linksKey
    this.lastReportAt = now
    const report: Report = { epoch, node: this.self, attested: true, seq, links, omissions: this.reportedOmissions }
    const bodyBytes = encodeReportBody(report)
    const signed: SignedReport = { report, bodyBytes, signature: this.authority.signReport(bodyBytes) }
    this.keepReport(signed, now)
    this.queueReport(signed, undefined)
  }

  /** Keeps the newest report (highest seq) per node and epoch; false if it brings nothing new. */
  private keepReport(r: SignedReport, now: number): boolean {
    let m = this.reports.get(r.report.epoch)
    if (m === undefined) {
      m = new Map()
      this.reports.set(r.report.epoch, m)
      for (const e of this.reports.keys()) if (e < r.report.epoch - 1) this.reports.delete(e)
    }
    const had = m.get(r.report.node)
    if (had !== undefined && (had.report.seq ?? 0) >= (r.report.seq ?? 0)) return false
    m.set(r.report.node, r)
    this.reportsChangedAt.set(r.report.epoch, now)
    for (const old of this.reportsChangedAt.keys()) if (old < r.report.epoch - 1) this.reportsChangedAt.delete(old)
    const e = r.report.epoch
    if (had === undefined && r.report.node !== this.self && this.attested && coordinatorScore(e, r.report.node) < coordinatorScore(e, this.self)) this.rankBelow.set(e, (this.rankBelow.get(e) ?? 0) + 1)
    for (const old of this.rankBelow.keys()) if (old < e - 1) this.rankBelow.delete(old)
    return true
  }

  private queueReport(r: SignedReport, from: string | undefined): void {
    for (const p of this.reportTargets(from, r.report.epoch)) {
      const q = this.reportQueue.get(p)
      if (q === undefined) this.reportQueue.set(p, [r])
      else q.push(r)
    }
  }

  private flushReports(out: TeeAction[]): void {
    for (const [p, reports] of this.reportQueue) if (this.peers.has(p)) out.push({ t: 'send', to: p, msg: { t: 'report', reports } })
    this.reportQueue.clear()
  }

  private onReport(from: string, r: SignedReport, now: number): void {
    const epoch = this.epochAt(now)
    // Reports for other epochs are late or early: drop them, do not relay them.
    if (r.report.epoch !== epoch && r.report.epoch !== epoch + 1) return
    if (!this.keepReport(r, now)) return
    this.queueReport(r, from)
  }

  /**
   * Reports go to whoever may coordinate their epoch. Before the first plan that is every attested node: they flood.
   * With a plan, it is the epoch's `reportCandidates` best-ranked relays of that plan: each report goes hop by hop
   * along tree 0 toward them, O(candidates * depth) messages per report instead of one per node. Where tree 0 is
   * broken here the report floods, and the nodes that receive it route it on.
   */
  private reportTargets(from: string | undefined, epoch: number): string[] {
    const candidates = this.candidatesFor(epoch)
    const view = this.view
    if (candidates === undefined || view === undefined || this.selfIndex < 0 || !view.inTree(0, this.selfIndex) || this.broken.has(0)) return this.tree0Targets(from)
    const hops = new Set<string>()
    for (const c of candidates) {
      const hop = view.towards(0, this.selfIndex, view.index.get(c)!)
      if (hop !== undefined && hop !== from) hops.add(hop)
    }
    for (const h of hops) if (!this.peers.has(h)) {
      this.breakTree(0)
      return this.tree0Targets(from)
    }
    return [...hops]
  }

  /** The epoch's coordinator candidates under the current plan (undefined: no plan, or reportCandidates is 0). */
  private candidatesFor(epoch: number): string[] | undefined {
    const plan = this.plan
    if (plan === undefined || this.params.reportCandidates === 0) return undefined
    if (this.candidates?.plan !== plan || this.candidates.epoch !== epoch) {
      // Relays on tree 0 (reports reach a candidate along it).
      const relays = plan.body.nodes.filter((_, i) => plan.body.interior[i] && this.view!.inTree(0, i))
      this.candidates = { plan, epoch, ids: coordinatorRanking(epoch, relays).slice(0, this.params.reportCandidates) }
    }
    return this.candidates.ids
  }

  /**
   * Tree 0 of the current plan (N-1 messages reach every node of it), flooding where that tree is broken here or
   * there is no plan.
   */
  private tree0Targets(from: string | undefined): string[] {
    const view = this.view
    if (view !== undefined && this.selfIndex >= 0 && view.inTree(0, this.selfIndex) && !this.broken.has(0)) {
      const tree = view.neighbours(0, this.selfIndex).filter((p) => p !== from)
      if (tree.every((p) => this.peers.has(p))) return tree
      this.breakTree(0)
    }
    return [...this.peers.keys()].filter((p) => p !== from)
  }

  /**
   * Candidates are the attested reporters of the epoch (the enclave re-checks every report's signature and who
   * vouches for it). Rank r asks its enclave for the plan after reportWait + r * grace, unless a plan arrived.
   */
  private coordinateIfDue(out: TeeAction[], now: number): void {
    if (!this.attested) return
    const epoch = this.epochAt(now)
    if (this.computeRequested >= epoch || (this.plan !== undefined && this.plan.body.epoch >= epoch)) return
    const reports = this.reports.get(epoch)
    if (reports === undefined || !reports.has(this.self)) return
    // With a plan, the candidates are known (and only they get the reports); before it, rank among the reporters heard.
    const candidates = this.candidatesFor(epoch)
    const rank = candidates === undefined ? (this.rankBelow.get(epoch) ?? 0) : candidates.indexOf(this.self)
    if (rank < 0) return
    // Plan once reports have been quiet for reportWait (links still coming up send new ones), but by mid-epoch. With a
    // plan, a relay of it that has not reported yet gets one more reportWait: routed reports come one path each, and
    // a plan without a relay's report leaves out the leaves it vouches for, for a whole epoch.
    const start = this.params.epochZeroMs + epoch * this.params.epochMs
    const quietSince = Math.max(start, this.reportsChangedAt.get(epoch) ?? start)
    const plan = this.plan
    const missing = candidates !== undefined && plan !== undefined && plan.body.nodes.some((id, i) => plan.body.interior[i] && !reports.has(id))
    const extra = missing ? this.params.reportWaitMs : 0
    const due = Math.min(quietSince + extra, start + this.params.epochMs / 2) + this.params.reportWaitMs + rank * this.params.coordinatorGraceMs
    if (now < due) return
    this.computeRequested = epoch
    out.push({ t: 'computePlan', epoch, reports: [...reports.values()] })
  }

  private onPlan(out: TeeAction[], from: string, plan: SignedPlan, now: number): void {
    const cur = this.plan
    const epoch = plan.body.epoch
    const refuse = (reason: string, disconnect: boolean): void => {
      this.counters.plansRefused++
      out.push({ t: 'refused', peer: from, what: `plan for epoch ${epoch} by ${plan.body.coordinator.slice(0, 8)}`, reason, disconnect })
    }
    if (cur !== undefined && epoch === cur.body.epoch && Buffer.compare(cur.bodyBytes, plan.bodyBytes) === 0) return
    if (cur !== undefined && epoch < cur.body.epoch) {
      // A peer that sends an older plan (on connect) runs it: it is behind, not wrong. It gets ours.
      if (from !== this.self) return this.healStalePeer(out, from, epoch)
      return refuse(`stale: this node runs epoch ${cur.body.epoch}`, false)
    }
    const nowEpoch = this.epochAt(now)
    if (epoch + 1 < nowEpoch) return refuse(`stale: epoch ${nowEpoch} has begun`, false)
    if (epoch > nowEpoch + 1) return refuse(`from the future: epoch ${nowEpoch} has begun`, true)
    if (cur !== undefined && epoch === cur.body.epoch) {
      // Two genuine coordinators planned one epoch (a slow rank 0 and its stand-in): all keep the better-ranked one.
      const [best] = coordinatorRanking(epoch, [cur.body.coordinator, plan.body.coordinator])
      if (best === cur.body.coordinator) return
    }
    const check = this.authority.verifyPlan(plan, now)
    if (!check.ok) return refuse(check.reason, from !== this.self)
    let view: PlanView
    try {
      view = new PlanView(plan.body)
    } catch (err) {
      return refuse(err instanceof TeeError ? err.message : String(err), true)
    }
    // Passed on along the old plan's tree 0, which reaches every node of that plan once; computed before switching.
    const targets = this.planTargets(from)
    this.plan = plan
    this.planAt = now
    this.view = view
    this.selfIndex = view.index.get(this.self) ?? -1
    this.broken.clear()
    out.push({ t: 'planAccepted', epoch, coordinator: plan.body.coordinator })
    for (const p of targets) out.push({ t: 'send', to: p, msg: { t: 'plan', plan } })
  }

  /**
   * Where a new plan goes from here: tree 0 of the current plan (flooding if that tree is broken here or there is no
   * plan yet), plus peers that tree does not reach (not in the plan, or outside tree 0).
   */
  private planTargets(from: string): string[] {
    const targets = new Set(this.tree0Targets(from))
    const view = this.view
    if (view !== undefined) {
      for (const p of this.peers.keys()) {
        const i = view.index.get(p)
        if (p !== from && (i === undefined || !view.inTree(0, i))) targets.add(p)
      }
    }
    return [...targets]
  }

  /**
   * A peer whose items (or plan) carry an older plan epoch than ours missed the plan (its tree-0 path was broken while
   * the plan went by): send it ours, once per plan. Epoch 0 also tags "no plan yet", which the flooded first plan covers.
   */
  private healStalePeer(out: TeeAction[], peer: string, peerEpoch: number): void {
    const plan = this.plan
    if (plan === undefined || peerEpoch >= plan.body.epoch || this.planPushed.get(peer) === plan.body.epoch) return
    this.planPushed.set(peer, plan.body.epoch)
    this.counters.planPushes++
    out.push({ t: 'send', to: peer, msg: { t: 'plan', plan } })
  }

  private clock(now: number): void {
    if (now < this.lastNow) throw new TeeError('CLOCK_WENT_BACKWARDS', `now ${now} < ${this.lastNow}`)
    this.lastNow = now
  }
}

/** The peer holds the item, or we sent it to them. */
const told = (e: Entry, p: string): boolean => e.known.has(p) || e.sentAt.has(p)

/** Merges the item sends to one peer into one `items` message (one RLPx frame instead of many), keeping order. */
export function coalesce(actions: TeeAction[]): TeeAction[] {
  const merged = new Map<string, { t: 'items'; epoch: number; items: WireItem[] }>()
  const out: TeeAction[] = []
  for (const a of actions) {
    if (a.t !== 'send' || a.msg.t !== 'items') {
      out.push(a)
      continue
    }
    const key = `${a.to}/${a.msg.epoch}/${a.msg.items[0]?.kind}`
    const m = merged.get(key)
    if (m !== undefined) m.items.push(...a.msg.items)
    else {
      const msg = { t: 'items' as const, epoch: a.msg.epoch, items: [...a.msg.items] }
      merged.set(key, msg)
      out.push({ t: 'send', to: a.to, msg })
    }
  }
  return out
}
