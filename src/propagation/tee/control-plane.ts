/**
 * The control plane: epoch reports, coordinator election and plan adoption.
 *
 * Two ways to carry reports (params.reportCandidates):
 * - 0, all: every attested node reports every epoch and every report reaches every node (flooded before the first
 *   plan, then along tree 0). O(N) reports per node per epoch.
 * - c > 0, candidates (the default): before the first plan, reports go up the bootstrap tree (bootstrap.ts) to its
 *   root, the best-ranked node by the fixed ranking, which alone plans the first plan; a node that had no plan
 *   BOOT_EPOCHS epochs after it became active floods them as above (the last resort). Under a plan a whole epoch
 *   older than the clock's (every candidate gone), reports flood as above. With a plan, the epoch's coordinator candidates are the c best
 *   relays of that plan on its tree 0, in a fixed ranking (coordinatorScore of "epoch" 0), so they stay the same
 *   while they stay relays. A report goes hop by hop on tree 0 toward them, batched
 *   per link, and only when it changed: new links, omission rows, this node outside the plan or not a relay, a
 *   candidate that has not had it yet, or the refresh every reportRefreshEpochs. A stable network sends almost no
 *   reports; the candidates plan from each node's newest report of the last reportMaxAgeEpochs epochs.
 *
 * Stages of one epoch e, at an attested node:
 * 1. reporting (`own`, `ownEpoch`, `ownLinks`, `ownSentTo`, `ownReachedAll`, `lastReportAt`): at e's start the node
 *    closes last epoch's omission rows and signs a report (seq 0) if one is due (see above); until e's plan exists,
 *    a changed peer set is reported again with seq + 1, at most every reportWait / 2. Under a plan, an unattested
 *    peer is reported once its link is params.unattestedLinkAgeMs old (`linkUpAt`). A report carries the node's
 *    own quote while no attested path joins it to the next coordinator and the running plan does not carry its vouch
 *    (`needsQuote`, `leftOutEpoch`: docs/tee-protocol.md "Mixed networks").
 * 2. carrying (`latest`, `changedAt`, `rankBelow`, `reportQueue`, `bootPending`, `boot`): the newest report per node
 *    (epoch, then seq) of the age window is kept with the peers it was sent to, and passed on to the peers its route
 *    needs and has not had: an older or equal copy brings nothing (a replay), a bad signature disconnects its sender.
 *    Before the first plan the route is the bootstrap parent: reports wait in `bootPending` until the node's choice
 *    held for a batch, and a new parent gets every held report it has not had (`rerouteHeld`).
 * 3. election (`computeRequested`, `requestedVersion`): the candidate of rank r asks its enclave for e's plan
 *    (`computePlan`) once reports have been quiet for reportWait, plus r coordinator graces, unless e's plan has
 *    arrived. Before the first plan the only candidate is the bootstrap root (with candidates; without them, and
 *    after the bootstrap's last resort, the epoch's reporters rank by the epoch's score). It waits, too, until it holds a report of every attested node it
 *    knows of (the attested links of the reports it holds: `knownRefs`), up to half an epoch after it became
 *    active, and it never plans while it has no tee/1 peer: a plan of the few nodes a booting node sees would run for
 *    the epoch.
 *    A plan of e is partial where this epoch's news names a node it lacks (`partialByNews`): this node, an attested
 *    peer of it, or a reporter of epoch e or an attested link of such a report (older reports may name dead nodes:
 *    they make no plan partial). A node it leaves out, or whose attested peer it leaves out, reports again, and a
 *    candidate that holds such news (and some named node outside the plan: `uncovered`) plans e again.
 * 4. adoption (the running plan, `planPushed`, `planServed`, `planAsked`): a verified plan for e or e + 1 replaces
 *    the running one and goes on along the old plan's tree 0, as a delta against the old plan (plan-delta.ts) where
 *    one fits; a peer that lacks a delta's base asks for the whole plan (`getPlan`, once per plan). Across a border of
 *    tree 0's subtrees, and to peers outside the plan, it goes as an offer (`passedOn`, `offeredTo`, `offeredBy`),
 *    and a node that no tree brought it to pulls it from one offerer (`pull`, `pulled`). Of two plans for
 *    one epoch a node keeps the one that is not partial by its news; of two alike, the larger one if one coordinator
 *    made both (its replacement) or if they are this node's first plans (with candidates: a node holds only its
 *    bootstrap subtree's reports then), else the better-ranked coordinator's (a slow rank 0 and its stand-in). A peer still
 *    tagging items with an older epoch (after the plan-switch grace) is sent the whole plan once; a node whose peers tag
 *    items with a newer epoch than it runs, past that grace, asks one of them for it (`ahead`, `aheadAsks`: at most
 *    twice per epoch).
 *
 * Invariants:
 * - `latest` holds no report older than the age window of the newest epoch this node reported in, nor two of a node.
 * - `rankBelow` holds no epoch below (newest epoch kept) - 1.
 * - While booting, the bootstrap tree's own invariants hold (bootstrap.ts).
 * - `offeredTo` and `offeredBy` hold live peers only; a pending `pull` has a finite time; `passedOn` is the running
 *   plan's (there is none before the first plan).
 * - Reports queued for a peer are flushed no later than `queuedAt + REPORT_BATCH_MS`.
 * - `computeRequested` never exceeds the current epoch.
 * - `knownRefs` counts, per node, the held reports that name it as an attested link; `missing` is the number of
 *   nodes so named that have no held report; `uncovered` the number of named nodes that the running plan lacks (all
 *   of them when there is no plan). A reporter nobody names is no one's peer: no plan could place it.
 */
import { coordinatorRanking, coordinatorScore, planViewOf, type PlanView } from './plan.ts'
import type { Report, SignedPlan, SignedReport, TeeMessage } from './messages.ts'
import { encodeReportBody, reportQuoteChallenge } from './report.ts'
import { TeeError } from './errors.ts'
import { vouchTerm } from './coordinator.ts'
import { MAX_PLAN_OFFERERS, PLAN_OFFER_SPREAD_MS, PLAN_PULL_RETRY_MS, REPORT_BATCH_MS } from './constants.ts'
import { applyPlanDiff, planDeltaOf, planDiffBytes, planHash, type PlanDelta } from './plan-delta.ts'
import { planSwitchGraceMs, type RunningPlan } from './running-plan.ts'
import type { OmissionLedger } from './omission-ledger.ts'
import type { InvariantViolations, RelayAuthority, RelayContext, TeeAction } from './interface.ts'
import { BootstrapTree } from './bootstrap.ts'

/** A kept report and the peers it went to (or came from): a copy is passed on only to peers that lack it. */
interface Held {
  r: SignedReport
  hops: Set<string>
}

/** Does the sorted id list `a` hold every id of the sorted list `b`? O(|a| + |b|). */
function covering(a: readonly string[], b: readonly string[]): boolean {
  let i = 0
  for (const id of b) {
    while (i < a.length && a[i]! < id) i++
    if (i === a.length || a[i] !== id) return false
    i++
  }
  return true
}

/**
 * Does `view`'s tree 0 join `node` to `coordinator` through relays (the same subtree: an attested path the enclave can
 * follow)? False where either is outside the plan.
 */
function joinedTo(view: PlanView, node: string, coordinator: string): boolean {
  const self = view.index.get(node)
  const coord = view.index.get(coordinator)
  return self !== undefined && coord !== undefined && (self === coord || view.together(0, self, coord))
}

/** (epoch, seq) order of two reports of one node: > 0 if a is newer. */
const newer = (a: Report, b: Report): number => a.epoch - b.epoch || (a.seq ?? 0) - (b.seq ?? 0)

/**
 * Epochs a node routes reports on the bootstrap tree before it falls back to flooding them (no plan came). An honest
 * root plans within half an epoch of its activity; a node that boots late in an epoch gets the next one as well.
 */
const BOOT_EPOCHS = 2

/** Asks per plan epoch of a node that peers' items show to be behind (noteAhead): the second after a lost answer. */
const MAX_AHEAD_ASKS = 2

export class ControlPlane {
  // Stage 1: this node's report.
  private own: SignedReport | undefined
  /** The last epoch whose start this node handled (closed the omission rows, decided on a report). */
  private ownEpoch = -1
  private ownLinks = ''
  /** When each live peer's link came up: an unattested one is reported only once params.unattestedLinkAgeMs old. */
  private readonly linkUpAt = new Map<string, number>()
  private lastReportAt = -Infinity
  private ownOmissions: Report['omissions'] = []
  /** Candidates the current own report was routed toward; true in `ownReachedAll` when it went to every node. */
  private ownSentTo = new Set<string>()
  private ownReachedAll = false
  /** Bumped on every peer change: the links to report may have changed since `reportedPeersVersion`. */
  private peersVersion = 0
  private reportedPeersVersion = 0
  // Stage 2: carrying.
  private readonly latest = new Map<string, Held>()
  /** When a new or newer report last arrived (the coordinator waits for quiet). */
  private changedAt = -Infinity
  /** Bumped whenever `latest` changes (memo key). */
  private latestVersion = 0
  /** Per epoch, before a plan: reporters of that epoch that rank before this node (kept as reports arrive: O(1) each). */
  private readonly rankBelow = new Map<number, number>()
  /** Reports to relay, per peer, sent at the next timeout; `reportQueuedAt` is when the oldest was queued. */
  private readonly reportQueue = new Map<string, SignedReport[]>()
  /** Before the first plan: held reports to pass up to the bootstrap parent at the next flush (see flushReports). */
  private readonly bootPending = new Set<Held>()
  private reportQueuedAt = Infinity
  /** Per node: how many held reports name it as an attested link (see the invariants). */
  private readonly knownRefs = new Map<string, number>()
  private missing = 0
  private uncovered = 0
  /** When this node signed its first report: the start of its half-epoch wait for a complete set of reports. */
  private activeSince = Infinity
  // Stage 3: election.
  private computeRequested = -1
  /** `latestVersion` when the plan of `computeRequested` was asked for: a partial plan is asked again only after news. */
  private requestedVersion = -1
  /** The epoch whose running (partial) plan this node last asked to replace. */
  private replanEpoch = -1
  /** Memo: does a relay of the running plan have no report here (latestVersion, plan)? */
  private missingMemo: { version: number; plan: SignedPlan; missing: boolean } | undefined
  // Stage 4: adoption.
  /** Per peer: the plan epoch last pushed to it because its items carried an older one (one push per plan). */
  private readonly planPushed = new Map<string, number>()
  /** Per peer: the plan epoch last sent whole in answer to its getPlan (one answer per plan). */
  private readonly planServed = new Map<string, number>()
  /** Per peer: the delta epoch this node last asked it the whole plan for (one ask per plan). */
  private readonly planAsked = new Map<string, number>()
  /** The running plan's body hash (hex) and what this node passed on along its tree for it: a pull after an offer gets that. */
  private passedOn: { hash: string; msg: TeeMessage } | undefined
  /** Peers offered the running plan (each may pull it once), and peers that offered it here (they get no offer back). */
  private readonly offeredTo = new Set<string>()
  private readonly offeredBy = new Set<string>()
  /**
   * Plans of `epoch` offered here (body hashes) that no tree has brought: pulled at `at` from the first offerer in
   * `from` (peer -> the hash it offered), then from the next. A GetPlan names the epoch only: any offerer will do.
   */
  private pull: { epoch: number; hashes: Set<string>; from: Map<string, string>; at: number } | undefined
  /** A newer plan epoch a peer's items carry, asked of that peer at `at` unless the plan came (noteAhead). */
  private ahead: { epoch: number; peer: string; at: number } | undefined
  /** Asks made per plan epoch for a plan peers tag items with (the last two epochs kept). */
  private readonly aheadAsks = new Map<number, number>()
  /** Plans pulled here, by body hash, with their epoch: each is pulled once, however often it is offered. */
  private readonly pulled = new Map<string, number>()
  /** The newest epoch of a verified plan that left this node out of its coordinator's subtree (noteForeign). */
  private leftOutEpoch = -1
  /** The newest epoch whose foreign plan (another group's) this node passed on (noteForeign: once per epoch). */
  private foreignEpoch = -1
  /** The newest epoch of such a plan that was not smaller than the running one (its coordinator is the one to reach). */
  private largerForeignEpoch = -1
  /** The epoch of the first plan this node adopted (-1: none yet). */
  private firstPlanEpoch = -1
  /** Was this node a bootstrap root when its first plan came (it may still plan its own group's: coordinationDue)? */
  private rootAtFirstPlan = false
  /** Before the first plan, with candidates: the tree reports take toward the bootstrap root (bootstrap.ts). */
  private readonly boot: BootstrapTree

  constructor(
    private readonly ctx: RelayContext,
    private readonly running: RunningPlan,
    private readonly ledger: OmissionLedger,
    private readonly authority: RelayAuthority,
  ) {
    // A dead root's offers die a quarter epoch into the next epoch: time for its new report to come down the tree.
    this.boot = new BootstrapTree(ctx, authority, (now) => this.epochAt(now), (e) => this.epochStart(e), ctx.params.epochMs / 4)
  }

  get bootstrapRoot(): string | undefined {
    return this.booting ? this.boot.root : undefined
  }

  /**
   * Reports follow the bootstrap tree: candidates on, attested, no plan yet, and not BOOT_EPOCHS epochs since this
   * node became active. After that (a root that never plans: a hostile attested host naming a root of its own and
   * swallowing the reports), reports flood and the epoch's reporters rank as candidates, as they all did before.
   */
  private get booting(): boolean {
    if (!this.routed || !this.ctx.attested || this.running.plan !== undefined) return false
    return this.activeSince === Infinity || this.epochAt(this.ctx.now()) < this.epochAt(this.activeSince) + BOOT_EPOCHS
  }

  /** The bootstrap parent changed: every held report goes to the new one if it has not had it. O(held). */
  private rerouteHeld(now: number): void {
    for (const h of this.latest.values()) this.route(h, undefined, now, h.r.report.node === this.ctx.self)
  }

  /** A bootstrap beacon (bootstrap.ts). Under a plan it is late news and is ignored. */
  onBeacon(out: TeeAction[], from: string, report: SignedReport, dist: number, now: number): void {
    if (!this.booting) return
    if (this.boot.onBeacon(out, from, report, dist, now).changed) this.rerouteHeld(now)
  }

  epochAt(now: number): number {
    return Math.max(0, Math.floor((now - this.ctx.params.epochZeroMs) / this.ctx.params.epochMs))
  }

  private epochStart(epoch: number): number {
    return this.ctx.params.epochZeroMs + epoch * this.ctx.params.epochMs
  }

  private get routed(): boolean {
    return this.ctx.params.reportCandidates > 0
  }

  peerUp(peer: string): TeeAction[] {
    this.peersVersion++
    this.linkUpAt.set(peer, this.ctx.now())
    if (this.booting) this.boot.peerUp(this.ctx.now())
    const plan = this.running.plan
    return plan === undefined ? [] : [{ t: 'send', to: peer, msg: { t: 'plan', plan } }]
  }

  peerDown(peer: string): void {
    this.peersVersion++
    this.linkUpAt.delete(peer)
    this.planPushed.delete(peer)
    this.offeredTo.delete(peer)
    this.offeredBy.delete(peer)
    this.planServed.delete(peer)
    this.planAsked.delete(peer)
    if (this.boot.peerDown(peer, this.ctx.now()) && this.booting) this.rerouteHeld(this.ctx.now())
  }

  onTimeout(out: TeeAction[], now: number): void {
    this.reportIfDue(now)
    if (this.booting) {
      if (this.boot.onTimeout(now)) this.rerouteHeld(now)
      this.boot.flush(out, now)
    }
    this.flushReports(out, now)
    this.coordinateIfDue(out, now)
    this.pullIfDue(out, now)
    this.askIfAhead(out, now)
  }

  /** The earliest time this plane has work: a report due, a batch to flush, or a plan to compute. */
  nextTimeout(): number | undefined {
    let t = this.reportQueue.size > 0 || this.bootPending.size > 0 ? this.reportQueuedAt + REPORT_BATCH_MS : Infinity
    if (this.pull !== undefined) t = Math.min(t, this.pull.at)
    if (this.ahead !== undefined) t = Math.min(t, this.ahead.at)
    if (this.ctx.attested) {
      const now = this.ctx.now()
      const epoch = this.epochAt(now)
      t = Math.min(t, epoch > this.ownEpoch ? now : this.epochStart(epoch + 1))
      if (this.peersVersion !== this.reportedPeersVersion && (this.own?.report.seq ?? 0) < 0xffff && !this.coveredHere(epoch)) t = Math.min(t, Math.max(now, this.lastReportAt + this.ctx.params.reportWaitMs / 2))
      const due = this.coordinationDue(epoch)
      if (due !== undefined) t = Math.min(t, Math.max(now, due))
      if (this.booting) t = Math.min(t, Math.max(now, this.boot.nextTimeout() ?? Infinity))
    }
    return t === Infinity ? undefined : t
  }

  private planned(epoch: number): boolean {
    const plan = this.running.plan
    return plan !== undefined && plan.body.epoch >= epoch
  }

  /**
   * The links to report. Under a plan, an unattested peer counts once its link is unattestedLinkAgeMs old: junk
   * leaves that dial with a fresh key each time and are refused within a second would otherwise enter every report
   * and every plan (in the adversaries bench plans held 10-12 nodes for 10, and reports grew from 4 to 23 B per tx).
   * Before the first plan every link is young, and the first plan must cover the unattested nodes there are.
   */
  private currentLinks(): { links: Report['links']; key: string } {
    const age = this.running.plan === undefined ? 0 : this.ctx.params.unattestedLinkAgeMs
    const now = this.ctx.now()
    const links = [...this.ctx.peers].filter(([peer, i]) => i.attested || age === 0 || now - (this.linkUpAt.get(peer) ?? now) >= age).map(([peer, i]) => ({ peer, rttMs: i.rttMs, attested: i.attested })).sort((a, b) => (a.peer < b.peer ? -1 : 1))
    return { links, key: links.map((l) => `${l.peer}/${l.attested ? 1 : 0}/${Math.round(l.rttMs)}`).join(',') }
  }

  /** See stage 1. */
  private reportIfDue(now: number): void {
    if (!this.ctx.attested) return
    const epoch = this.epochAt(now)
    const p = this.ctx.params
    if (epoch > this.ownEpoch) {
      this.ownEpoch = epoch
      this.ownOmissions = this.ledger.closeEpoch(now)
      this.pruneBefore(epoch)
      const { links, key } = this.currentLinks()
      this.reportedPeersVersion = this.peersVersion
      if (this.reportDue(epoch, key)) return this.signReport(epoch, 0, links, key, now)
      // Nothing changed: the candidates plan from the report they hold. One that has not had it gets it now.
      this.sendOwnToNewCandidates(now)
      return
    }
    // A revision needs a changed peer set (checked cheaply by version first), no plan yet or a plan that leaves this
    // node or one of its attested peers out, and reportWait / 2 of rest.
    if (this.peersVersion === this.reportedPeersVersion || now - this.lastReportAt < p.reportWaitMs / 2 || this.coveredHere(epoch)) return
    const seq = this.own?.report.epoch === epoch ? (this.own.report.seq ?? 0) + 1 : 0
    if (seq > 0xffff) return
    const { links, key } = this.currentLinks()
    this.reportedPeersVersion = this.peersVersion
    if (key === this.ownLinks) return
    this.signReport(epoch, seq, links, key, now)
  }

  /** Is a fresh report due at the start of `epoch` (see the header)? Always without candidates or a plan. */
  private reportDue(epoch: number, linksKey: string): boolean {
    const plan = this.running.plan
    if (!this.routed || plan === undefined || this.own === undefined || this.candidatesOf() === undefined) return true
    // Omission rows matter only when they charge someone: rows of deliveries alone change no plan.
    if (linksKey !== this.ownLinks || this.ownOmissions.some((o) => o.omitted > 0)) return true
    // A report that must vouch for itself but was signed without a quote (the plan changed under it), or with the
    // quote of an earlier vouch term (at a term's end the enclave wants a quote again: coordinator.ts carriedVouches).
    if (this.needsQuote() && (this.own.report.quote === undefined || this.termOf(this.own.report.epoch) !== this.termOf(epoch))) return true
    const self = this.running.selfIndex
    if (self < 0 || !plan.body.interior[self]) return true
    const p = this.ctx.params
    const phase = parseInt(this.ctx.self.slice(0, 8), 16) % p.reportRefreshEpochs
    return (epoch + phase) % p.reportRefreshEpochs === 0 || epoch - this.own.report.epoch >= p.reportRefreshEpochs
  }

  /** This node's vouch term at `epoch` (coordinator.ts vouchTerm); -1 without carrying. */
  private termOf(epoch: number): number {
    const t = this.ctx.params.vouchTermEpochs
    return t === 0 ? -1 : vouchTerm(this.ctx.self, epoch, t)
  }

  /**
   * Must this node's report carry its own quote? Only where the next plan's enclave has no other way to vouch for it:
   * - the running plan does not join it to the next coordinator's subtree of tree 0 (the candidates': through relays,
   *   an attested path the enclave can follow): it is outside the plan, or in another subtree (another component of
   *   relays, reached from the coordinator only through leaves or eth/68); and
   * - the running plan does not carry it: it is not a relay there, that plan is older than the last epoch, or this
   *   epoch begins a new vouch term of this node (coordinator.ts carriedVouches, the enclave's side of the rule).
   * So a node of another group carries its quote until a plan makes it a relay, and then once a term.
   * Also while a verified plan of another coordinator, of this epoch or the last, left this node out (two groups,
   * each running its own group's plan, would never learn of each other otherwise). Before the first plan the
   * bootstrap root plans from its own component, and its plan tells the others that they need one. A
   * single-component network sends no quote after the first plan.
   */
  private needsQuote(): boolean {
    const view = this.running.view
    const plan = this.running.plan
    if (view === undefined || plan === undefined || this.authority.reportQuote === undefined) return false
    const epoch = this.epochAt(this.ctx.now())
    // Another coordinator's plan of the last epoch or this one left this node out (noteForeign).
    if (this.leftOutEpoch >= epoch - 1) return true
    // The next plan's coordinator is rank 0 of the running plan's candidates (its own coordinator may be in another
    // subtree: the first plan of a mixed network is often a small group's).
    if (joinedTo(view, this.ctx.self, this.candidatesOf()?.[0] ?? plan.body.coordinator)) return false
    const self = this.running.selfIndex
    const carried = self >= 0 && plan.body.interior[self] === true && plan.body.epoch + 1 >= epoch && this.termOf(plan.body.epoch) === this.termOf(epoch) && this.termOf(epoch) >= 0
    return !carried
  }

  private signReport(epoch: number, seq: number, links: Report['links'], linksKey: string, now: number): void {
    const quote = this.needsQuote() ? this.authority.reportQuote?.(reportQuoteChallenge(epoch)) : undefined
    if (quote !== undefined) this.ctx.counters.reportQuotes++
    const report: Report = { epoch, node: this.ctx.self, attested: true, seq, links, omissions: this.ownOmissions, ...(quote !== undefined ? { quote } : {}) }
    const bodyBytes = encodeReportBody(report)
    const signed: SignedReport = { report, bodyBytes, signature: this.authority.signReport(bodyBytes) }
    this.own = signed
    this.ownLinks = linksKey
    this.lastReportAt = now
    this.activeSince = Math.min(this.activeSince, now)
    this.ownSentTo = new Set()
    this.ownReachedAll = false
    this.keep(signed, undefined, now)
    // Before the first plan this node may be a root itself now; a new parent gets every held report.
    if (this.booting && this.boot.ownReport(signed, now)) return this.rerouteHeld(now)
    this.route(this.latest.get(this.ctx.self)!, undefined, now, true)
  }

  /** The own report, unchanged, toward candidates that have not had it (the candidate set moved with a new plan). */
  private sendOwnToNewCandidates(now: number): void {
    const held = this.latest.get(this.ctx.self)
    if (held === undefined || this.ownReachedAll || !this.routed) return
    const cands = this.candidatesOf()
    if (cands === undefined || cands.every((c) => c === this.ctx.self || this.ownSentTo.has(c))) return
    this.route(held, undefined, now, true)
  }

  /** Keeps a report if it is the newest of its node; false if it brings nothing new. */
  private keep(r: SignedReport, from: string | undefined, now: number): boolean {
    const node = r.report.node
    const had = this.latest.get(node)
    if (had !== undefined && newer(r.report, had.r.report) <= 0) return false
    if (had !== undefined) this.countLinks(had.r.report, -1)
    else this.held(node, true)
    this.latest.set(node, { r, hops: new Set(from === undefined ? [] : [from]) })
    this.countLinks(r.report, +1)
    this.changedAt = now
    this.latestVersion++
    const e = r.report.epoch
    // (A report two epochs behind the newest counted, routed late toward a new candidate, ranks no one.)
    if (this.ctx.attested && node !== this.ctx.self && (had === undefined || had.r.report.epoch !== e) && e >= Math.max(-Infinity, ...this.rankBelow.keys()) - 1 && coordinatorScore(e, node) < coordinatorScore(e, this.ctx.self)) {
      if (!this.rankBelow.has(e)) for (const k of this.rankBelow.keys()) if (k < e - 1) this.rankBelow.delete(k)
      this.rankBelow.set(e, (this.rankBelow.get(e) ?? 0) + 1)
    }
    return true
  }

  /** Drops reports that fell out of the age window (once per epoch: O(kept)). */
  private pruneBefore(epoch: number): void {
    const oldest = epoch - this.ctx.params.reportMaxAgeEpochs + 1
    for (const [node, h] of this.latest) if (h.r.report.epoch < oldest) {
      this.latest.delete(node)
      this.held(node, false)
      this.countLinks(h.r.report, -1)
      this.latestVersion++
    }
    for (const e of this.rankBelow.keys()) if (e < epoch - 1) this.rankBelow.delete(e)
    for (const [h, e] of this.pulled) if (e < epoch - 1) this.pulled.delete(h)
  }

  // ---- what the held reports know of (incremental: O(links) per report) ----

  private inRunningPlan(node: string): boolean {
    return this.running.view?.index.has(node) ?? false
  }

  /** `node` gained (true) or lost its held report; call before `latest` changes. */
  private held(node: string, gained: boolean): void {
    if ((this.knownRefs.get(node) ?? 0) > 0) this.missing += gained ? -1 : 1
  }

  private countLinks(r: Report, sign: 1 | -1): void {
    for (const l of r.links) {
      if (!l.attested) continue
      const before = this.knownRefs.get(l.peer) ?? 0
      const after = before + sign
      if (after === 0) this.knownRefs.delete(l.peer)
      else this.knownRefs.set(l.peer, after)
      if ((before === 0) === (after === 0)) continue
      if (!this.latest.has(l.peer)) this.missing += sign
      if (!this.inRunningPlan(l.peer)) this.uncovered += sign
    }
  }

  /** A plan was adopted: count the known nodes it lacks again (O(known), once per plan). */
  private recountUncovered(): void {
    let n = 0
    for (const node of this.knownRefs.keys()) if (!this.inRunningPlan(node)) n++
    this.uncovered = n
  }

  private partialMemo: { version: number; peers: number; body: SignedPlan['body']; partial: boolean } | undefined

  /** Is `body` partial by this node's news (see stage 3)? O(this epoch's reports x links); memoized for one plan. */
  private partialByNews(body: SignedPlan['body']): boolean {
    const m = this.partialMemo
    if (m !== undefined && m.body === body && m.version === this.latestVersion && m.peers === this.peersVersion) return m.partial
    const has = new Set(body.nodes)
    const lacks = (): boolean => {
      if (!has.has(this.ctx.self)) return true
      for (const [peer, i] of this.ctx.peers) if (i.attested && !has.has(peer)) return true
      for (const h of this.latest.values()) {
        if (h.r.report.epoch !== body.epoch) continue
        if (!has.has(h.r.report.node)) return true
        for (const l of h.r.report.links) if (l.attested && !has.has(l.peer)) return true
      }
      return false
    }
    const partial = lacks()
    this.partialMemo = { version: this.latestVersion, peers: this.peersVersion, body, partial }
    return partial
  }

  /**
   * Does the plan of `epoch` running here cover this node and its attested peers? If not, a changed peer set is still
   * reported (see stage 1), so the candidates can plan the epoch again with this node's links.
   */
  private coveredHere(epoch: number): boolean {
    if (!this.planned(epoch)) return false
    if (this.running.selfIndex < 0) return false
    for (const [peer, i] of this.ctx.peers) if (i.attested && !this.inRunningPlan(peer)) return false
    return true
  }

  /** Queues a held report for `peer`, which then counts as having had it. */
  private enqueue(h: Held, peer: string): void {
    h.hops.add(peer)
    const q = this.reportQueue.get(peer)
    if (q === undefined) this.reportQueue.set(peer, [h.r])
    else q.push(h.r)
  }

  /** Queues a held report for the peers its route needs and that have not had it (before the first plan: see flushReports). */
  private route(h: Held, from: string | undefined, now: number, own: boolean): void {
    if (from !== undefined) h.hops.add(from)
    if (this.booting) {
      // To whichever peer is the parent when the batch goes (the tree may still be settling): see flushReports.
      this.bootPending.add(h)
      this.reportQueuedAt = Math.min(this.reportQueuedAt, now)
      if (own && this.boot.root !== undefined) this.ownSentTo.add(this.boot.root)
      return
    }
    // A report with its node's quote is that node vouching for itself, to whichever coordinator runs: with two groups
    // each running its own plan, its own group's candidates alone would not plan the other group. While this node
    // has seen another group's plan no smaller than its own (noteForeign, this epoch or the last), it floods to every
    // node, once (the hops bookkeeping). Else it takes the route of any report: the running plan is the larger, and
    // its candidates are the ones to reach (their next plan covers both groups, and every node keeps a cover).
    const quoted = h.r.report.quote !== undefined && this.routed && this.running.plan !== undefined && this.largerForeignEpoch >= this.epochAt(now) - 1
    const targets = (quoted ? this.floodTargets(from) : this.reportTargets(from)).filter((p) => !h.hops.has(p))
    for (const p of targets) this.enqueue(h, p)
    if (this.reportQueue.size > 0) this.reportQueuedAt = Math.min(this.reportQueuedAt, now)
    if (own) {
      const cands = this.routed && this.running.plan !== undefined ? this.candidatesOf() : undefined
      if (cands === undefined) this.ownReachedAll = true
      else for (const c of cands) this.ownSentTo.add(c)
    }
  }

  private flushReports(out: TeeAction[], now: number): void {
    if (this.bootPending.size > 0) {
      if (!this.booting) {
        // A plan came (or the fallback began): the pending reports take the plan's routes (or flood).
        const pending = [...this.bootPending]
        this.bootPending.clear()
        for (const h of pending) if (this.latest.get(h.r.report.node) === h) this.route(h, undefined, now, false)
      } else if (now >= this.boot.changedAt + REPORT_BATCH_MS) {
        // Only once this node's choice held for a batch: while the tree settles, a report would go to each parent in turn.
        const parent = this.boot.parent
        if (parent !== undefined) {
          for (const h of this.bootPending) {
            if (this.latest.get(h.r.report.node) !== h || h.hops.has(parent)) continue
            this.enqueue(h, parent)
          }
          this.bootPending.clear()
        }
      }
    }
    for (const [p, reports] of this.reportQueue) if (this.ctx.peers.has(p)) out.push({ t: 'send', to: p, msg: { t: 'report', reports } })
    this.reportQueue.clear()
    this.reportQueuedAt = this.bootPending.size > 0 && this.booting && this.boot.parent !== undefined ? Math.max(now, this.boot.changedAt) : Infinity
  }

  /**
   * A report from a peer. Outside the window (older than the age window, or beyond the next epoch), or not newer than
   * the one held: dropped (a replay or a late copy; a copy equal to the held one still goes on to peers its route
   * needs that have not had it). A bad signature: refused, and false (the rest of the message is dropped).
   */
  onReport(out: TeeAction[], from: string, r: SignedReport, now: number): boolean {
    const epoch = this.epochAt(now)
    const e = r.report.epoch
    const oldest = this.routed ? epoch - this.ctx.params.reportMaxAgeEpochs + 1 : epoch
    if (e < oldest || e > epoch + 1) {
      this.ctx.counters.reportsStale++
      return true
    }
    const had = this.latest.get(r.report.node)
    const order = had === undefined ? 1 : newer(r.report, had.r.report)
    if (order < 0 || (order === 0 && Buffer.compare(had!.r.bodyBytes, r.bodyBytes) !== 0)) {
      this.ctx.counters.reportsStale++
      return true
    }
    if (order === 0) {
      // The same report again: by another path, or re-sent toward a candidate that joined. Passed on where it lacks.
      if (this.routed) this.route(had!, from, now, false)
      return true
    }
    if (r.report.node === this.ctx.self || !this.authority.verifyReport(r)) {
      this.ctx.counters.reportsRefused++
      out.push({ t: 'refused', peer: from, what: `report of ${r.report.node.slice(0, 8)} for epoch ${e}`, reason: r.report.node === this.ctx.self ? 'a report in this node\'s name that it did not sign' : 'bad-report-signature: the node signature over the report does not verify', disconnect: true })
      return false
    }
    this.keep(r, from, now)
    this.route(this.latest.get(r.report.node)!, from, now, false)
    return true
  }

  /** Every peer but `from`: where a flood goes from here. */
  private floodTargets(from: string | undefined): string[] {
    return [...this.ctx.peers.keys()].filter((p) => p !== from)
  }

  /**
   * Where a report goes from here. Without candidates, or before a plan: every node (tree 0 of the plan, or a flood).
   * With them: the next hop on tree 0 toward each candidate, O(candidates * depth) messages per report. Where tree 0
   * is broken here or this node is outside it, the report floods, and the nodes that receive it route it on. Where the
   * candidates are in another subtree of it (another component of relays), see borderTargets.
   */
  private reportTargets(from: string | undefined): string[] {
    const candidates = this.routed ? this.candidatesOf() : undefined
    const view = this.running.view
    const self = this.running.selfIndex
    // A plan that a whole epoch went by without renewing: its tree 0 may be cut where a candidate died, out of sight
    // of this node. The reports flood, as before the first plan.
    const plan = this.running.plan
    if (plan !== undefined && plan.body.epoch + 1 < this.epochAt(this.ctx.now())) return this.floodTargets(from)
    if (candidates === undefined || view === undefined || self < 0 || !view.inTree(0, self) || this.running.broken.has(0)) return this.running.tree0Targets(from)
    const hops = new Set<string>()
    for (const c of candidates) {
      const ci = view.index.get(c)!
      // The candidates' subtree of tree 0 is not this node's (another component of relays: the tree is a forest), so no
      // tree path leads there.
      if (ci !== self && !view.together(0, self, ci)) return this.borderTargets(from, view, self, ci)
      const hop = view.towards(0, self, ci)
      if (hop !== undefined && hop !== from) hops.add(hop)
    }
    for (const h of hops) if (!this.ctx.peers.has(h)) {
      this.running.breakTree(0)
      return this.running.tree0Targets(from)
    }
    return [...hops]
  }

  /**
   * A report at a node of another subtree of tree 0 than the candidates' (`main`, a candidate's index). A node with a
   * peer in the candidates' subtree (a relay there, or a leaf hanging under it) hands it to that peer alone, the
   * nearest by RTT, which routes it on tree 0. Any other node passes it on along its own subtree's tree 0 and to its
   * peers in other subtrees or outside the plan (which flood), so it reaches a node with such a peer if any is
   * connected: O(size of the subtree) deliveries per report instead of a flood over every non-candidate node with
   * all their links (one 0.9 KB refresh cost 1.6 KB per node at 100 nodes, 40 % attested, before).
   */
  private borderTargets(from: string | undefined, view: PlanView, self: number, main: number): string[] {
    const tree = new Set(view.neighbours(0, self))
    let exit: string | undefined
    let best = Infinity
    const on: string[] = []
    for (const [p, info] of this.ctx.peers) {
      if (p === from) continue
      const i = view.index.get(p)
      if (i !== undefined && view.together(0, i, main)) {
        if (info.rttMs < best || exit === undefined) {
          best = info.rttMs
          exit = p
        }
      } else if (i === undefined || !view.inTree(0, i) || !view.together(0, self, i) || tree.has(p)) on.push(p)
    }
    return exit !== undefined ? [exit] : on
  }

  /**
   * The coordinator candidates under the running plan (undefined: no plan, or a stale one). See the header. A plan
   * that a whole epoch went by without renewing means every candidate is gone: then reports go to every node again
   * and the epoch's reporters are the candidates, as before the first plan.
   */
  private candidatesOf(): string[] | undefined {
    const plan = this.running.plan
    if (plan === undefined || plan.body.epoch + 1 < this.epochAt(this.ctx.now())) return undefined
    // Memoized on the plan's shared view.
    return this.running.view!.reportCandidates(this.ctx.params.reportCandidates)
  }

  /** Does a relay of the running plan have no report here? Then a candidate waits one more reportWait. */
  private relayMissing(plan: SignedPlan): boolean {
    const m = this.missingMemo
    if (m !== undefined && m.plan === plan && m.version === this.latestVersion) return m.missing
    const missing = plan.body.nodes.some((id, i) => plan.body.interior[i] && !this.latest.has(id))
    this.missingMemo = { version: this.latestVersion, plan, missing }
    return missing
  }

  /**
   * When this node asks its enclave for `epoch`'s plan (see stage 3), or undefined: not attested, already asked, the
   * plan is here, no report of its own, or not a candidate. Without a routed plan the candidates are the attested
   * reporters of the epoch, ranked by the epoch's score (the enclave re-checks every report's signature and who
   * vouches for it).
   */
  private coordinationDue(epoch: number): number | undefined {
    if (!this.ctx.attested || this.own === undefined) return undefined
    const plan = this.running.plan
    // A bootstrap root whose first plan came from another root and leaves it out (another attested group, often a
    // small one: it planned first because it had no one to wait for) still plans its own group's first plan, in that
    // epoch: of two first plans every node keeps the larger, so the largest group's plan runs, and only the smaller
    // groups carry their quotes in the next epoch's reports.
    const firstRoot = this.rootAtFirstPlan && plan !== undefined && plan.body.epoch === this.firstPlanEpoch && epoch === this.firstPlanEpoch && this.running.selfIndex < 0
    const replan = this.planned(epoch) && !firstRoot
    if (replan) {
      // A partial plan of this epoch (see stage 3): asked again only with news since the last ask.
      if (plan!.body.epoch !== epoch || this.uncovered === 0 || this.requestedVersion === this.latestVersion || !this.partialByNews(plan!.body)) return undefined
    } else if (this.computeRequested >= epoch) return undefined
    const candidates = this.routed && plan !== undefined && !firstRoot ? this.candidatesOf() : undefined
    let rank: number
    if (candidates === undefined) {
      if (this.own.report.epoch !== epoch) return undefined
      // A node with no tee/1 peer yet would plan for itself alone.
      if (this.ctx.peers.size === 0) return undefined
      // With candidates, the first plan is the bootstrap root's: only it holds every report.
      if (this.booting || firstRoot) rank = firstRoot || this.boot.isRoot ? 0 : -1
      else rank = this.rankBelow.get(epoch) ?? 0
    } else rank = candidates.indexOf(this.ctx.self)
    if (rank < 0) return undefined
    // Plan once reports have been quiet for reportWait (links still coming up send new ones), but by mid-epoch. With a
    // plan, a relay of it that has no report here yet gets one more reportWait: routed reports come one path each.
    // Before the first plan, a known attested node without a report holds planning back for up to half an epoch
    // after this node became active (a node that boots after mid-epoch must not plan from the few it sees first).
    const p = this.ctx.params
    const start = this.epochStart(epoch)
    const quietSince = Math.max(start, this.changedAt)
    const wait = p.reportWaitMs + rank * p.coordinatorGraceMs
    if (replan) return quietSince + wait
    const cap = candidates === undefined ? Math.max(start, this.activeSince) + p.epochMs / 2 : start + p.epochMs / 2
    const extra = candidates !== undefined && this.relayMissing(plan!) ? p.reportWaitMs : 0
    const ready = candidates === undefined && this.missing > 0 ? cap : quietSince + extra
    return Math.min(ready, cap) + wait
  }

  private coordinateIfDue(out: TeeAction[], now: number): void {
    const epoch = this.epochAt(now)
    const due = this.coordinationDue(epoch)
    if (due === undefined || now < due) return
    if (this.planned(epoch)) this.replanEpoch = epoch
    this.computeRequested = epoch
    this.requestedVersion = this.latestVersion
    // Without candidates every node reports every epoch: only the epoch's own reports count, as they always did.
    const reports = [...this.latest.values()].map((h) => h.r).filter((r) => this.routed || r.report.epoch === epoch)
    out.push({ t: 'computePlan', epoch, reports, running: this.running.plan })
  }

  /**
   * A plan as a delta. Rebuilt against the running plan when that is its base, then checked as a whole plan (the
   * signature is over the rebuilt body). A base this node lacks: it asks the sender for the whole plan, once per
   * plan epoch; a delta older than the running plan means the sender is behind, and it gets ours.
   */
  onPlanDelta(out: TeeAction[], from: string, d: PlanDelta, now: number): void {
    const cur = this.running.plan
    if (cur !== undefined && d.diff.epoch < cur.body.epoch) return this.pushPlanTo(out, from, d.diff.epoch)
    if (cur === undefined || Buffer.compare(planHash(cur), d.baseHash) !== 0) {
      // The plan running here, again (a second peer passed it on): nothing to do.
      if (cur !== undefined && d.diff.epoch === cur.body.epoch && Buffer.compare(cur.signature, d.signature) === 0) return
      if (this.planAsked.get(from) === d.diff.epoch) return
      this.planAsked.set(from, d.diff.epoch)
      this.ctx.counters.planAsks++
      out.push({ t: 'send', to: from, msg: { t: 'getPlan', epoch: d.diff.epoch } })
      return
    }
    let rebuilt: { body: SignedPlan['body']; bodyBytes: Uint8Array }
    try {
      rebuilt = applyPlanDiff(cur.body, d.diff)
    } catch (err) {
      this.ctx.counters.plansRefused++
      out.push({ t: 'refused', peer: from, what: `plan delta for epoch ${d.diff.epoch}`, reason: err instanceof TeeError ? err.message : String(err), disconnect: true })
      return
    }
    this.ctx.counters.planDeltas++
    this.onPlan(out, from, { ...rebuilt, enclaveKey: d.enclaveKey, signature: d.signature, quote: d.quote }, now, d)
  }

  /**
   * A peer lacks the base of a delta it got from here: it gets the whole running plan, once per plan. A peer this
   * node offered the running plan to pulls it: it gets what went along the tree (the delta against the plan before,
   * which it most likely runs too), once; if it lacks that base it asks again and gets the whole plan.
   */
  onGetPlan(out: TeeAction[], from: string, epoch: number): void {
    const plan = this.running.plan
    if (plan !== undefined && this.passedOn !== undefined && epoch === plan.body.epoch && this.offeredTo.delete(from)) {
      out.push({ t: 'send', to: from, msg: this.passedOn.msg })
      return
    }
    if (plan === undefined || this.planServed.get(from) === plan.body.epoch) return
    this.planServed.set(from, plan.body.epoch)
    out.push({ t: 'send', to: from, msg: { t: 'plan', plan } })
  }

  /**
   * A peer runs plan `epoch` with body hash `hash` (stage 4: offers cross subtree borders). Pulled after a delay
   * spread by this node's id unless a tree brings it first; not at all if it is the running plan, older than it, of
   * an epoch that has not begun or ended before the last (coordinators plan an epoch once it has begun), or pulled
   * here before. Offers of one epoch gather in one pull (at most MAX_PLAN_OFFERERS offerers and hashes, first come:
   * a peer that offers made-up hashes delays the pull by one PLAN_PULL_RETRY_MS at most); a later epoch's replaces it.
   */
  onPlanOffer(from: string, epoch: number, hash: Uint8Array, now: number): void {
    const h = Buffer.from(hash).toString('hex')
    const cur = this.running.plan
    if (this.passedOn?.hash === h) {
      this.offeredBy.add(from)
      return
    }
    const nowEpoch = this.epochAt(now)
    if ((cur !== undefined && epoch < cur.body.epoch) || epoch + 1 < nowEpoch || epoch > nowEpoch || this.pulled.has(h)) return
    const p = this.pull
    if (p !== undefined && p.epoch === epoch) {
      if (p.hashes.size < MAX_PLAN_OFFERERS) p.hashes.add(h)
      if (p.from.size < MAX_PLAN_OFFERERS && !p.from.has(from)) p.from.set(from, h)
      return
    }
    if (p !== undefined && p.epoch > epoch) return
    const spread = Math.min(PLAN_OFFER_SPREAD_MS, this.ctx.params.epochMs / 10)
    const at = now + (parseInt(coordinatorScore(epoch, this.ctx.self).slice(0, 8), 16) / 2 ** 32) * spread
    this.pull = { epoch, hashes: new Set([h]), from: new Map([[from, h]]), at }
  }

  /** The pending pull is due: ask the next offerer still connected; again after PLAN_PULL_RETRY_MS unless it came. */
  private pullIfDue(out: TeeAction[], now: number): void {
    const p = this.pull
    if (p === undefined || now < p.at) return
    let to: string | undefined
    for (const [peer, hash] of p.from) {
      p.from.delete(peer)
      if (this.ctx.peers.has(peer)) {
        to = peer
        // Pulled once: an offer of it again (or from a peer that keeps it over ours) does not start another pull.
        this.pulled.set(hash, p.epoch)
        break
      }
    }
    if (to === undefined) {
      this.pull = undefined
      return
    }
    this.ctx.counters.planPulls++
    out.push({ t: 'send', to, msg: { t: 'getPlan', epoch: p.epoch } })
    p.at = now + PLAN_PULL_RETRY_MS
  }

  /** Of two plans of one epoch (see stage 4), is the running one kept? */
  private keepsRunning(cur: SignedPlan, plan: SignedPlan, from: string): boolean {
    const epoch = plan.body.epoch
    // Two plans of one epoch (see stage 4): a partial one and its replacement, or two coordinators' plans.
    const curPartial = this.partialByNews(cur.body)
    const newPartial = this.partialByNews(plan.body)
    if (newPartial && !curPartial) return true
    if (newPartial === curPartial) {
      const more = plan.body.nodes.length - cur.body.nodes.length
      // The first plan, with candidates: a node holds only its bootstrap subtree's reports, so its news says little,
      // and a plan that reached it may be one a transient root made of a few nodes. Of two first plans, the larger.
      const first = this.routed && epoch === this.firstPlanEpoch
      if (first && more < 0) return true
      // The running plan covers this one (see `covers` below): kept, whoever ranks first.
      if (more < 0 && covering(cur.body.nodes, plan.body.nodes)) return true
      // A plan that holds every node of the running one and more covers it: two coordinators of separate attested
      // groups (before the first plan vouched the groups by their quotes) each plan their own group, and the group
      // whose news does not name the other's nodes finds its own plan complete. Every node prefers the cover, so
      // the network converges on the plan of them all (of two covers of each other, they are the same nodes).
      const covers = more > 0 && covering(plan.body.nodes, cur.body.nodes)
      const replacement = more > 0 && (first || covers || plan.body.coordinator === cur.body.coordinator)
      // A replacement computed here that adds no node is dropped: it would only make the nodes switch between equals.
      if (!replacement && from === this.ctx.self && this.replanEpoch === epoch) return true
      if (!replacement && coordinatorRanking(epoch, [cur.body.coordinator, plan.body.coordinator])[0] === cur.body.coordinator) return true
    }
    return false
  }

  /**
   * A verified plan of this epoch or later that does not join this node to its coordinator's subtree (a coordinator
   * of another attested group, whose news does not name this node): this node's reports carry its quote for a while
   * (needsQuote), so that coordinator's enclave can vouch for it and plan both groups. Checked once per epoch: a peer
   * cannot make a node verify plan after plan.
   */
  private noteForeign(out: TeeAction[], from: string, cur: SignedPlan, plan: SignedPlan, now: number): void {
    const epoch = plan.body.epoch
    // Foreign: neither plan holds every node of the other (two groups' plans; a stand-in's plan of the same reports
    // has the same nodes). Once per epoch, verified first.
    if (this.foreignEpoch >= epoch || covering(cur.body.nodes, plan.body.nodes) || covering(plan.body.nodes, cur.body.nodes)) return
    if (!this.authority.verifyPlan(plan, now).ok) return
    this.foreignEpoch = epoch
    // Passed on whole, once per epoch per node: the group behind this node learns of the other group's plan (a node
    // between the groups may be unattested, and the attested nodes must see the plan that leaves them out).
    for (const p of this.ctx.peers.keys()) if (p !== from) out.push({ t: 'send', to: p, msg: { t: 'plan', plan } })
    // A smaller plan than the one run here: its group comes to ours (its nodes carry their quotes, and a plan of ours
    // that covers both is kept everywhere); ours need not prove themselves to its coordinator.
    if (plan.body.nodes.length < cur.body.nodes.length) return
    this.largerForeignEpoch = epoch
    if (this.authority.reportQuote === undefined || !this.ctx.attested) return
    if (joinedTo(planViewOf(plan.body), this.ctx.self, plan.body.coordinator)) return
    this.leftOutEpoch = epoch
  }

  /** A plan from a peer, or computed here (`from` is this node). Checked before it is used. */
  onPlan(out: TeeAction[], from: string, plan: SignedPlan, now: number, received?: PlanDelta): void {
    const cur = this.running.plan
    const epoch = plan.body.epoch
    const refuse = (reason: string, disconnect: boolean): void => {
      this.ctx.counters.plansRefused++
      out.push({ t: 'refused', peer: from, what: `plan for epoch ${epoch} by ${plan.body.coordinator.slice(0, 8)}`, reason, disconnect })
    }
    if (cur !== undefined && epoch === cur.body.epoch && Buffer.compare(cur.bodyBytes, plan.bodyBytes) === 0) return
    const hash = Buffer.from(planHash(plan)).toString('hex')
    // The plan a pull waits for came (whatever becomes of it), or a later one: that pull is done, but not for other
    // plans of its epoch offered here.
    const pending = this.pull
    const offeredBy = [...(pending?.from ?? [])].filter(([, h]) => h === hash).map(([peer]) => peer)
    if (pending !== undefined && pending.epoch < epoch) this.pull = undefined
    else if (pending !== undefined && pending.hashes.delete(hash)) {
      for (const peer of offeredBy) pending.from.delete(peer)
      if (pending.hashes.size === 0 || pending.from.size === 0) this.pull = undefined
    }
    if (cur !== undefined && epoch < cur.body.epoch) {
      // A peer that sends an older plan (on connect) runs it: it is behind, not wrong. It gets ours.
      if (from !== this.ctx.self) return this.pushPlanTo(out, from, epoch)
      return refuse(`stale: this node runs epoch ${cur.body.epoch}`, false)
    }
    const nowEpoch = this.epochAt(now)
    if (epoch + 1 < nowEpoch) return refuse(`stale: epoch ${nowEpoch} has begun`, false)
    if (epoch > nowEpoch + 1) return refuse(`from the future: epoch ${nowEpoch} has begun`, true)
    if (cur !== undefined && epoch === cur.body.epoch && this.keepsRunning(cur, plan, from)) {
      // Kept the running plan: the other one may be a coordinator's that does not know of this node.
      try {
        this.noteForeign(out, from, cur, plan, now)
      } catch (err) {
        // A plan whose structure is refused here is refused on its own merits when it comes as the only one.
        if (!(err instanceof TeeError)) throw err
      }
      return
    }
    const check = this.authority.verifyPlan(plan, now)
    if (!check.ok) return refuse(check.reason, from !== this.ctx.self)
    let view: PlanView
    try {
      view = planViewOf(plan.body)
    } catch (err) {
      return refuse(err instanceof TeeError ? err.message : String(err), true)
    }
    // Passed on along the old plan's tree 0, which reaches every node of that plan once; computed before switching.
    const { tree, offer, whole: wholeTo } = this.planTargets(from, view)
    // The peers on that tree ran the old plan too: they get the delta against it where it is smaller than the plan.
    const delta = cur === undefined ? undefined : received !== undefined && Buffer.compare(received.baseHash, planHash(cur)) === 0 ? received : planDeltaOf(cur, plan)
    const whole = { t: 'plan', plan } as const
    const msg = delta !== undefined && planDiffBytes(delta.diff) < plan.bodyBytes.length / 2 ? ({ t: 'planDelta', delta } as const) : whole
    // Peers that offered this plan before it came here have it: no offer back.
    if (cur === undefined) this.rootAtFirstPlan = this.booting && this.boot.isRoot
    this.running.adopt(plan, view, now)
    if (cur === undefined) this.firstPlanEpoch = epoch
    this.boot.stop()
    this.recountUncovered()
    this.passedOn = { hash, msg }
    this.offeredTo.clear()
    this.offeredBy.clear()
    for (const p of offeredBy) this.offeredBy.add(p)
    out.push({ t: 'planAccepted', epoch, coordinator: plan.body.coordinator })
    for (const p of tree) out.push({ t: 'send', to: p, msg })
    for (const p of wholeTo) out.push({ t: 'send', to: p, msg: whole })
    for (const p of offer) if (!this.offeredBy.has(p)) {
      this.offeredTo.add(p)
      out.push({ t: 'send', to: p, msg: { t: 'planOffer', epoch, hash: planHash(plan) } })
    }
    this.sendOwnToNewCandidates(now)
  }

  /**
   * Where a new plan goes from here: along tree 0 of the current plan (`tree`), and to the peers that tree does not
   * reach (not in the plan, outside tree 0, or in another subtree of it): the whole plan to one the new plan takes in
   * there (it joins: as before), the delta to one in another subtree that the new plan joins to this node's, and an
   * offer where the new plan keeps the border (still outside it, or still in another subtree). A forest's subtrees
   * meet only across leaves and eth/68, and a push over every border link, each way, cost 2-3 copies of each plan per
   * node in a mixed network. With tree 0 broken here it floods whole (the peers may run anything). A node with no plan
   * yet (the first plan), or outside the current plan's tree 0, that the new plan takes in passes it whole along the
   * new plan's tree 0 (the plan grows: its peers there are joining too) and offers it to its other peers; one that the
   * new plan leaves out too (it has no attested peer, and its peers get the plan on their trees) only offers it.
   */
  private planTargets(from: string, next: PlanView): { tree: string[]; offer: string[]; whole: string[] } {
    const view = this.running.view
    const self = this.running.selfIndex
    const others = (): string[] => this.floodTargets(from)
    if (view !== undefined && self >= 0 && this.running.broken.has(0)) return { tree: [], offer: [], whole: others() }
    if (view === undefined || self < 0 || !view.inTree(0, self)) {
      // No plan yet (the first plan), or taken in by the new plan: whole along its tree 0 (its neighbours there are
      // joining too, and get no delta against a plan they may not run), an offer to every other peer, which pulls it
      // if no tree brings it (a tree link lost since the plan was made). A flood cost degree copies of it per node:
      // at 8,000 nodes, 4 MB per node for the first plan.
      const me = next.index.get(this.ctx.self)
      if (me === undefined || !next.inTree(0, me)) return { tree: [], offer: others(), whole: [] }
      const along = new Set(next.neighbours(0, me))
      const all = others()
      return { tree: [], offer: all.filter((p) => !along.has(p)), whole: all.filter((p) => along.has(p)) }
    }
    const tree = this.running.tree0Targets(from)
    // tree0Targets floods where a tree neighbour is gone (and marks tree 0 broken): then whole plans, as before.
    if (this.running.broken.has(0)) return { tree: [], offer: [], whole: tree }
    const inTree = new Set(tree)
    const offer: string[] = []
    const whole: string[] = []
    const me = next.index.get(this.ctx.self)
    for (const p of this.ctx.peers.keys()) {
      if (p === from || inTree.has(p)) continue
      const i = view.index.get(p)
      const j = next.index.get(p)
      const inNext = j !== undefined && next.inTree(0, j)
      if (i === undefined || !view.inTree(0, i)) (inNext ? whole : offer).push(p)
      else if (!view.together(0, self, i)) (inNext && me !== undefined && next.together(0, me, j) ? tree : offer).push(p)
    }
    return { tree, offer, whole }
  }

  /**
   * Items from `peer` carry plan epoch `peerEpoch`. Older than ours after the plan-switch grace: it missed the plan
   * (its tree-0 path was broken while the plan went by); within the grace, they were sent before it switched.
   */
  onItemsTagged(out: TeeAction[], peer: string, peerEpoch: number, now: number): void {
    const cur = this.running.plan?.body.epoch ?? -1
    if (peerEpoch > cur) this.noteAhead(peer, peerEpoch, now)
    else if (!this.running.inSwitchGrace(now)) this.pushPlanTo(out, peer, peerEpoch)
  }

  /**
   * A peer tags items with a newer plan epoch than this node runs. Within the plan-switch grace that is a plan still on
   * its way; past it, this node missed it (its copy on tree 0 was lost, and tree neighbours get no offer), and it asks
   * that peer for it: at most MAX_AHEAD_ASKS times per epoch. Epoch 0 also tags "no plan yet", so it is not news.
   */
  private noteAhead(peer: string, peerEpoch: number, now: number): void {
    const nowEpoch = this.epochAt(now)
    if (peerEpoch < 1 || peerEpoch + 1 < nowEpoch || peerEpoch > nowEpoch + 1) return
    if (this.ahead !== undefined && this.ahead.epoch >= peerEpoch) return
    if ((this.aheadAsks.get(peerEpoch) ?? 0) >= MAX_AHEAD_ASKS) return
    this.ahead = { epoch: peerEpoch, peer, at: now + planSwitchGraceMs(this.ctx.params) }
  }

  private askIfAhead(out: TeeAction[], now: number): void {
    const a = this.ahead
    if (a === undefined || now < a.at) return
    this.ahead = undefined
    if ((this.running.plan?.body.epoch ?? -1) >= a.epoch || !this.ctx.peers.has(a.peer)) return
    this.aheadAsks.set(a.epoch, (this.aheadAsks.get(a.epoch) ?? 0) + 1)
    for (const e of this.aheadAsks.keys()) if (e + 1 < a.epoch) this.aheadAsks.delete(e)
    this.ctx.counters.planAsks++
    out.push({ t: 'send', to: a.peer, msg: { t: 'getPlan', epoch: a.epoch } })
  }

  /**
   * A peer whose items (or plan) carry an older plan epoch than ours is sent ours, once per plan. Epoch 0 also tags
   * "no plan yet", which the flooded first plan covers.
   */
  private pushPlanTo(out: TeeAction[], peer: string, peerEpoch: number): void {
    const plan = this.running.plan
    if (plan === undefined || peerEpoch >= plan.body.epoch || this.planPushed.get(peer) === plan.body.epoch) return
    this.planPushed.set(peer, plan.body.epoch)
    this.ctx.counters.planPushes++
    out.push({ t: 'send', to: peer, msg: { t: 'plan', plan } })
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    for (const p of this.linkUpAt.keys()) if (!this.ctx.peers.has(p)) bad.push(`control: link-up time for ${p.slice(0, 8)}, not a live peer`)
    if (this.ownEpoch >= 0) {
      const oldest = this.ownEpoch - this.ctx.params.reportMaxAgeEpochs + 1
      for (const [node, h] of this.latest) {
        if (h.r.report.node !== node) bad.push(`control: the report kept for ${node.slice(0, 8)} is ${h.r.report.node.slice(0, 8)}'s`)
        if (this.routed && h.r.report.epoch < oldest) bad.push(`control: report of ${node.slice(0, 8)} from epoch ${h.r.report.epoch}, older than the window from ${oldest}`)
      }
    }
    const newest = Math.max(-Infinity, ...this.rankBelow.keys())
    for (const e of this.rankBelow.keys()) if (e < newest - 1) bad.push(`control: rankBelow keeps epoch ${e}, below ${newest} - 1`)
    if (this.reportQueue.size > 0 && this.reportQueuedAt === Infinity) bad.push('control: reports queued with no queue time')
    if (this.computeRequested > this.epochAt(this.ctx.now())) bad.push(`control: plan requested for epoch ${this.computeRequested}, beyond the clock's`)
    let refs = 0
    for (const [node, n] of this.knownRefs) if (n > 0 && !this.latest.has(node)) refs++
    if (refs !== this.missing) bad.push(`control: ${this.missing} nodes counted missing, ${refs} named without a report`)
    const want = new Map<string, number>()
    for (const h of this.latest.values()) for (const l of h.r.report.links) if (l.attested) want.set(l.peer, (want.get(l.peer) ?? 0) + 1)
    if (want.size !== this.knownRefs.size || [...want].some(([k, v]) => this.knownRefs.get(k) !== v)) bad.push('control: knownRefs does not count the attested links of the held reports')
    let unc = 0
    for (const node of this.knownRefs.keys()) if (!this.inRunningPlan(node)) unc++
    if (unc !== this.uncovered) bad.push(`control: ${this.uncovered} nodes counted uncovered, ${unc} named nodes outside the running plan`)
    if (this.booting) bad.push(...this.boot.invariants(this.ctx.now()))
    for (const p of [...this.offeredTo, ...this.offeredBy]) if (!this.ctx.peers.has(p)) bad.push(`control: plan offer state for ${p.slice(0, 8)}, not a live peer`)
    if (this.pull !== undefined && !Number.isFinite(this.pull.at)) bad.push('control: a plan pull with no time')
    if (this.ahead !== undefined && !Number.isFinite(this.ahead.at)) bad.push('control: an ask for a newer plan with no time')
    for (const [e, n] of this.aheadAsks) if (n > MAX_AHEAD_ASKS) bad.push(`control: ${n} asks for the plan of epoch ${e}, more than ${MAX_AHEAD_ASKS}`)
    if (this.passedOn !== undefined && this.running.plan === undefined) bad.push('control: a passed-on plan message with no running plan')
    return bad
  }
}
