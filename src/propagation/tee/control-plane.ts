/**
 * The control plane: epoch reports, coordinator election and plan adoption.
 *
 * Stages of one epoch e, at an attested node:
 * 1. reporting (`reportedEpoch`, `reportSeq`, `reportedLinks`, `lastReportAt`): at e's start the node signs a report
 *    (seq 0) of its links and last epoch's omission rows; until e's plan exists, a changed peer set is reported
 *    again with seq + 1, at most every reportWait / 2 (links come up over seconds at network start).
 * 2. gossip (`reports`, `reportsChangedAt`, `rankBelow`, `reportQueue`): the newest report per node of epochs e and
 *    e + 1 is kept and passed on, batched per peer: flooded before the first plan, then along tree 0 toward the
 *    epoch's best-ranked candidates (or to all, with reportCandidates 0).
 * 3. election (`computeRequested`): the candidate of rank r asks its enclave for e's plan (`computePlan`) once
 *    reports have been quiet for reportWait, plus r coordinator graces, unless e's plan has arrived.
 * 4. adoption (the running plan, `planPushed`): a verified plan for e or e + 1 replaces the running one and goes on
 *    along the old plan's tree 0; of two plans for one epoch the better-ranked coordinator's is kept; a peer still
 *    tagging items with an older epoch (after the plan-switch grace) is sent the plan once.
 *
 * Invariants:
 * - `reports`, `reportsChangedAt` and `rankBelow` hold no epoch below (newest epoch kept) - 1: one pruning function,
 *   `pruneEpochsBefore`, runs when a new epoch's report map is made.
 * - Reports queued for a peer are flushed no later than `queuedAt + REPORT_BATCH_MS`.
 * - `computeRequested` never exceeds the current epoch.
 */
import { coordinatorRanking, coordinatorScore, PlanView } from './plan.ts'
import type { Report, SignedPlan, SignedReport } from './messages.ts'
import { encodeReportBody } from './report.ts'
import { TeeError } from './errors.ts'
import { REPORT_BATCH_MS } from './constants.ts'
import type { RunningPlan } from './running-plan.ts'
import type { OmissionLedger } from './omission-ledger.ts'
import type { InvariantViolations, RelayAuthority, RelayContext, TeeAction } from './interface.ts'

export class ControlPlane {
  // Stage 1: this node's report.
  private reportedEpoch = -1
  private reportSeq = 0
  private reportedLinks = ''
  private lastReportAt = -Infinity
  private reportedOmissions: Report['omissions'] = []
  /** Bumped on every peer change: the links to report may have changed since `reportedPeersVersion`. */
  private peersVersion = 0
  private reportedPeersVersion = 0
  // Stage 2: gossip.
  private readonly reports = new Map<number, Map<string, SignedReport>>()
  /** Per epoch: when a new or newer report last arrived (the coordinator waits for quiet). */
  private readonly reportsChangedAt = new Map<number, number>()
  /** Per epoch: reporters that rank before this node as coordinator (kept as reports arrive: O(1) each). */
  private readonly rankBelow = new Map<number, number>()
  /** Reports to relay, per peer, sent at the next timeout; `reportQueuedAt` is when the oldest was queued. */
  private readonly reportQueue = new Map<string, SignedReport[]>()
  private reportQueuedAt = Infinity
  // Stage 3: election.
  private computeRequested = -1
  /** Memo of candidatesFor (one plan, one epoch). */
  private candidates: { plan: SignedPlan; epoch: number; ids: string[] } | undefined
  // Stage 4: adoption.
  /** Per peer: the plan epoch last pushed to it because its items carried an older one (one push per plan). */
  private readonly planPushed = new Map<string, number>()

  constructor(
    private readonly ctx: RelayContext,
    private readonly running: RunningPlan,
    private readonly ledger: OmissionLedger,
    private readonly authority: RelayAuthority,
  ) {}

  epochAt(now: number): number {
    return Math.max(0, Math.floor((now - this.ctx.params.epochZeroMs) / this.ctx.params.epochMs))
  }

  private epochStart(epoch: number): number {
    return this.ctx.params.epochZeroMs + epoch * this.ctx.params.epochMs
  }

  peerUp(peer: string): TeeAction[] {
    this.peersVersion++
    const plan = this.running.plan
    return plan === undefined ? [] : [{ t: 'send', to: peer, msg: { t: 'plan', plan } }]
  }

  peerDown(peer: string): void {
    this.peersVersion++
    this.planPushed.delete(peer)
  }

  onTimeout(out: TeeAction[], now: number): void {
    this.reportIfDue(now)
    this.flushReports(out)
    this.coordinateIfDue(out, now)
  }

  /** The earliest time this plane has work: a report due, a batch to flush, or a plan to compute. */
  nextTimeout(): number | undefined {
    let t = this.reportQueue.size > 0 ? this.reportQueuedAt + REPORT_BATCH_MS : Infinity
    if (this.ctx.attested) {
      const now = this.ctx.now()
      const epoch = this.epochAt(now)
      t = Math.min(t, epoch > this.reportedEpoch ? now : this.epochStart(epoch + 1))
      if (this.peersVersion !== this.reportedPeersVersion && !this.planned(epoch) && this.reportSeq < 0xffff) t = Math.min(t, Math.max(now, this.lastReportAt + this.ctx.params.reportWaitMs / 2))
      const due = this.coordinationDue(epoch)
      if (due !== undefined) t = Math.min(t, Math.max(now, due))
    }
    return t === Infinity ? undefined : t
  }

  private planned(epoch: number): boolean {
    const plan = this.running.plan
    return plan !== undefined && plan.body.epoch >= epoch
  }

  /** See stage 1. */
  private reportIfDue(now: number): void {
    if (!this.ctx.attested) return
    const epoch = this.epochAt(now)
    const newEpoch = epoch > this.reportedEpoch
    // A revision needs a changed peer set (checked cheaply by version first), no plan yet, and reportWait / 2 of rest.
    if (!newEpoch && (this.planned(epoch) || this.peersVersion === this.reportedPeersVersion || now - this.lastReportAt < this.ctx.params.reportWaitMs / 2 || this.reportSeq >= 0xffff)) return
    const links = [...this.ctx.peers].map(([peer, i]) => ({ peer, rttMs: i.rttMs, attested: i.attested })).sort((a, b) => (a.peer < b.peer ? -1 : 1))
    const linksKey = links.map((l) => `${l.peer}/${l.attested ? 1 : 0}`).join(',')
    this.reportedPeersVersion = this.peersVersion
    let seq: number
    if (newEpoch) {
      this.reportedEpoch = epoch
      this.reportedOmissions = this.ledger.closeEpoch(now)
      seq = 0
    } else {
      if (linksKey === this.reportedLinks) return
      seq = this.reportSeq + 1
    }
    this.reportSeq = seq
    this.reportedLinks = linksKey
    this.lastReportAt = now
    const report: Report = { epoch, node: this.ctx.self, attested: true, seq, links, omissions: this.reportedOmissions }
    const bodyBytes = encodeReportBody(report)
    const signed: SignedReport = { report, bodyBytes, signature: this.authority.signReport(bodyBytes) }
    this.keepReport(signed, now)
    this.queueReport(signed, undefined, now)
  }

  /** Keeps the newest report (highest seq) per node and epoch; false if it brings nothing new. */
  private keepReport(r: SignedReport, now: number): boolean {
    const e = r.report.epoch
    let m = this.reports.get(e)
    if (m === undefined) {
      m = new Map()
      this.reports.set(e, m)
      this.pruneEpochsBefore(e - 1)
    }
    const had = m.get(r.report.node)
    if (had !== undefined && (had.report.seq ?? 0) >= (r.report.seq ?? 0)) return false
    m.set(r.report.node, r)
    this.reportsChangedAt.set(e, now)
    if (had === undefined && r.report.node !== this.ctx.self && this.ctx.attested && coordinatorScore(e, r.report.node) < coordinatorScore(e, this.ctx.self)) this.rankBelow.set(e, (this.rankBelow.get(e) ?? 0) + 1)
    return true
  }

  /**
   * The one epoch pruning: only epochs e and e + 1 of the clock are taken (onReport) and a node's own report is of
   * the clock's epoch, so once epoch e has a report map nothing below e - 1 is needed or can come back.
   */
  private pruneEpochsBefore(epoch: number): void {
    for (const m of [this.reports, this.reportsChangedAt, this.rankBelow]) for (const e of m.keys()) if (e < epoch) m.delete(e)
  }

  private queueReport(r: SignedReport, from: string | undefined, now: number): void {
    for (const p of this.reportTargets(from, r.report.epoch)) {
      const q = this.reportQueue.get(p)
      if (q === undefined) this.reportQueue.set(p, [r])
      else q.push(r)
    }
    if (this.reportQueue.size > 0) this.reportQueuedAt = Math.min(this.reportQueuedAt, now)
  }

  private flushReports(out: TeeAction[]): void {
    for (const [p, reports] of this.reportQueue) if (this.ctx.peers.has(p)) out.push({ t: 'send', to: p, msg: { t: 'report', reports } })
    this.reportQueue.clear()
    this.reportQueuedAt = Infinity
  }

  onReport(from: string, r: SignedReport, now: number): void {
    const epoch = this.epochAt(now)
    // Reports for other epochs are late or early: drop them, do not relay them.
    if (r.report.epoch !== epoch && r.report.epoch !== epoch + 1) return
    if (!this.keepReport(r, now)) return
    this.queueReport(r, from, now)
  }

  /**
   * Reports go to whoever may coordinate their epoch. Before the first plan that is every attested node: they flood.
   * With a plan, it is the epoch's `reportCandidates` best-ranked relays of that plan: each report goes hop by hop
   * along tree 0 toward them, O(candidates * depth) messages per report instead of one per node. Where tree 0 is
   * broken here the report floods, and the nodes that receive it route it on.
   */
  private reportTargets(from: string | undefined, epoch: number): string[] {
    const candidates = this.candidatesFor(epoch)
    const view = this.running.view
    const self = this.running.selfIndex
    if (candidates === undefined || view === undefined || self < 0 || !view.inTree(0, self) || this.running.broken.has(0)) return this.running.tree0Targets(from)
    const hops = new Set<string>()
    for (const c of candidates) {
      const hop = view.towards(0, self, view.index.get(c)!)
      if (hop !== undefined && hop !== from) hops.add(hop)
    }
    for (const h of hops) if (!this.ctx.peers.has(h)) {
      this.running.breakTree(0)
      return this.running.tree0Targets(from)
    }
    return [...hops]
  }

  /** The epoch's coordinator candidates under the current plan (undefined: no plan, or reportCandidates is 0). */
  private candidatesFor(epoch: number): string[] | undefined {
    const plan = this.running.plan
    if (plan === undefined || this.ctx.params.reportCandidates === 0) return undefined
    if (this.candidates?.plan !== plan || this.candidates.epoch !== epoch) {
      // Relays on tree 0 (reports reach a candidate along it).
      const view = this.running.view!
      const relays = plan.body.nodes.filter((_, i) => plan.body.interior[i] && view.inTree(0, i))
      this.candidates = { plan, epoch, ids: coordinatorRanking(epoch, relays).slice(0, this.ctx.params.reportCandidates) }
    }
    return this.candidates.ids
  }

  /**
   * When this node asks its enclave for `epoch`'s plan (see stage 3), or undefined: not attested, already asked, the
   * plan is here, no report of its own yet, or not a candidate. Candidates are the attested reporters of the epoch
   * (the enclave re-checks every report's signature and who vouches for it).
   */
  private coordinationDue(epoch: number): number | undefined {
    if (!this.ctx.attested) return undefined
    if (this.computeRequested >= epoch || this.planned(epoch)) return undefined
    const reports = this.reports.get(epoch)
    if (reports === undefined || !reports.has(this.ctx.self)) return undefined
    // With a plan, the candidates are known (and only they get the reports); before it, rank among the reporters heard.
    const candidates = this.candidatesFor(epoch)
    const rank = candidates === undefined ? (this.rankBelow.get(epoch) ?? 0) : candidates.indexOf(this.ctx.self)
    if (rank < 0) return undefined
    // Plan once reports have been quiet for reportWait (links still coming up send new ones), but by mid-epoch. With a
    // plan, a relay of it that has not reported yet gets one more reportWait: routed reports come one path each, and
    // a plan without a relay's report leaves out the leaves it vouches for, for a whole epoch.
    const p = this.ctx.params
    const start = this.epochStart(epoch)
    const quietSince = Math.max(start, this.reportsChangedAt.get(epoch) ?? start)
    const plan = this.running.plan
    const missing = candidates !== undefined && plan !== undefined && plan.body.nodes.some((id, i) => plan.body.interior[i] && !reports.has(id))
    const extra = missing ? p.reportWaitMs : 0
    return Math.min(quietSince + extra, start + p.epochMs / 2) + p.reportWaitMs + rank * p.coordinatorGraceMs
  }

  private coordinateIfDue(out: TeeAction[], now: number): void {
    const epoch = this.epochAt(now)
    const due = this.coordinationDue(epoch)
    if (due === undefined || now < due) return
    this.computeRequested = epoch
    out.push({ t: 'computePlan', epoch, reports: [...this.reports.get(epoch)!.values()] })
  }

  /** A plan from a peer, or computed here (`from` is this node). Checked before it is used. */
  onPlan(out: TeeAction[], from: string, plan: SignedPlan, now: number): void {
    const cur = this.running.plan
    const epoch = plan.body.epoch
    const refuse = (reason: string, disconnect: boolean): void => {
      this.ctx.counters.plansRefused++
      out.push({ t: 'refused', peer: from, what: `plan for epoch ${epoch} by ${plan.body.coordinator.slice(0, 8)}`, reason, disconnect })
    }
    if (cur !== undefined && epoch === cur.body.epoch && Buffer.compare(cur.bodyBytes, plan.bodyBytes) === 0) return
    if (cur !== undefined && epoch < cur.body.epoch) {
      // A peer that sends an older plan (on connect) runs it: it is behind, not wrong. It gets ours.
      if (from !== this.ctx.self) return this.pushPlanTo(out, from, epoch)
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
    if (!check.ok) return refuse(check.reason, from !== this.ctx.self)
    let view: PlanView
    try {
      view = new PlanView(plan.body)
    } catch (err) {
      return refuse(err instanceof TeeError ? err.message : String(err), true)
    }
    // Passed on along the old plan's tree 0, which reaches every node of that plan once; computed before switching.
    const targets = this.planTargets(from)
    this.running.adopt(plan, view, now)
    out.push({ t: 'planAccepted', epoch, coordinator: plan.body.coordinator })
    for (const p of targets) out.push({ t: 'send', to: p, msg: { t: 'plan', plan } })
  }

  /**
   * Where a new plan goes from here: tree 0 of the current plan (flooding if that tree is broken here or there is no
   * plan yet), plus peers that tree does not reach (not in the plan, or outside tree 0).
   */
  private planTargets(from: string): string[] {
    const targets = new Set(this.running.tree0Targets(from))
    const view = this.running.view
    if (view !== undefined) {
      for (const p of this.ctx.peers.keys()) {
        const i = view.index.get(p)
        if (p !== from && (i === undefined || !view.inTree(0, i))) targets.add(p)
      }
    }
    return [...targets]
  }

  /**
   * Items from `peer` carry plan epoch `peerEpoch`. Older than ours after the plan-switch grace: it missed the plan
   * (its tree-0 path was broken while the plan went by); within the grace, they were sent before it switched.
   */
  onItemsTagged(out: TeeAction[], peer: string, peerEpoch: number, now: number): void {
    if (!this.running.inSwitchGrace(now)) this.pushPlanTo(out, peer, peerEpoch)
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
    const newest = Math.max(-Infinity, ...this.reports.keys())
    for (const [name, m] of [['reports', this.reports], ['reportsChangedAt', this.reportsChangedAt], ['rankBelow', this.rankBelow]] as const) {
      for (const e of m.keys()) if (e < newest - 1) bad.push(`control: ${name} keeps epoch ${e}, below ${newest} - 1`)
    }
    if (this.reportQueue.size > 0 && this.reportQueuedAt === Infinity) bad.push('control: reports queued with no queue time')
    if (this.computeRequested > this.epochAt(this.ctx.now())) bad.push(`control: plan requested for epoch ${this.computeRequested}, beyond the clock's`)
    return bad
  }
}
