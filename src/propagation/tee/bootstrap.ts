/**
 * The bootstrap tree: where reports go before the first plan (with report candidates, params.reportCandidates > 0).
 * Without it every report flooded to every node before the first plan: O(N) reports per node, O(N^2) in all.
 *
 * A distance-vector beacon, as in a spanning-tree protocol. Each attested node names a root and its hop distance to
 * it, and announces (root, distance) to its attested tee/1 peers in a `beacon` when they change. The beacon carries
 * the root's own signed report (of the newest epoch this node has of it), so a node adopts only a root that exists
 * and signed a report: a forged root costs a devp2p key and a report, and is the same as a real node that lies in
 * its report. The root is the best-ranked node by the fixed candidate ranking (coordinatorScore of term 0), the one
 * that ranks first among the first plan's candidates when it relays on tree 0. Reports go hop by hop to the parent,
 * toward the root; the root plans the first plan (control-plane.ts).
 *
 * Stages, at an attested node before the first plan:
 * 1. offers (`offers`): per attested peer, the last beacon it sent (the root's report and its distance). An offer is
 *    alive while its root's report is of the current epoch, or of the last one for `graceMs` into the current one:
 *    a root re-signs its report at each epoch start (every node does before the first plan) and its beacons carry
 *    it down the tree. A root that died stops doing so, and its offers die `graceMs` into the next epoch.
 * 2. choice (`choice`): the best of this node itself (root, distance 0) and the alive, feasible offers (distance + 1,
 *    at most MAX_BEACON_DISTANCE): the best-ranked root, then the shortest distance, then the lowest peer id. The
 *    chosen offer's peer is the parent.
 * 3. feasibility (`feasible`), as in Babel (RFC 8966 3.5.1): per root, the shortest distance this node had to it in
 *    the newest epoch of its report. An offer of that root and epoch is feasible only if its distance is below that:
 *    a peer that offers more may be routing through this node, and taking it would close a loop. A newer epoch of the
 *    root's report resets it. So when a parent link goes, the node takes another parent only where that one is
 *    nearer the root, else it falls back to a worse root (itself at worst) and its subtree follows, until the root's
 *    next report comes down.
 * 4. announcing (`sent`, `dirtyAt`): beacons go out at most once per REPORT_BATCH_MS, to each attested peer whose last
 *    beacon from here named another (root, epoch of its report, distance). A node's root changes as better roots are
 *    heard (O(log N) times in expectation) and once per epoch (the root's new report): O(degree) beacons per node per
 *    change, each one report long (~0.5 KB at degree 8).
 *
 * A beacon that names no real root is refused and its sender disconnected: a bad signature, a root that does not say
 * it is attested, distance 0 from a peer that is not the root, a peer naming itself at a distance, a distance above
 * the cap, or a report from beyond the next epoch. A stale one (its root's report no longer alive) is dropped.
 *
 * Invariants:
 * - `offers` holds only attested live peers.
 * - The choice, when there is one, is the best of the candidates above (recomputed after every change).
 * - The parent, when there is one, is a live peer whose offer names the chosen root.
 * - `sent` holds only live peers.
 */
import { coordinatorScore } from './plan.ts'
import { CANDIDATE_TERM, MAX_BEACON_DISTANCE, REPORT_BATCH_MS } from './constants.ts'
import type { SignedReport } from './messages.ts'
import type { InvariantViolations, RelayAuthority, RelayContext, TeeAction } from './interface.ts'

/** Bootstrap roots rank in the fixed candidate order, so the root is the first plan's first candidate. */
const ROOT_TERM = CANDIDATE_TERM

interface Offer {
  report: SignedReport
  dist: number
}

export interface BootChoice {
  root: string
  epoch: number
  dist: number
  /** The peer toward the root; undefined when this node is the root. */
  parent: string | undefined
  report: SignedReport
}

const keyOf = (c: BootChoice): string => `${c.root}/${c.report.report.epoch}/${c.dist}`

export class BootstrapTree {
  private readonly offers = new Map<string, Offer>()
  private choice: BootChoice | undefined
  /** Per root: the newest epoch of its report this node chose it with, and the shortest distance it had then. */
  private readonly fd = new Map<string, { epoch: number; dist: number }>()
  private readonly sent = new Map<string, string>()
  private dirtyAt = Infinity
  /** When the root or parent last changed. */
  changedAt = -Infinity
  private own: SignedReport | undefined

  constructor(
    private readonly ctx: RelayContext,
    private readonly authority: RelayAuthority,
    private readonly epochAt: (now: number) => number,
    private readonly epochStart: (epoch: number) => number,
    private readonly graceMs: number,
  ) {}

  get parent(): string | undefined {
    return this.choice?.parent
  }

  get root(): string | undefined {
    return this.choice?.root
  }

  get isRoot(): boolean {
    return this.choice !== undefined && this.choice.parent === undefined
  }

  /** This node signed a report: it can be a root (itself at distance 0). Returns whether the parent changed. */
  ownReport(r: SignedReport, now: number): boolean {
    this.own = r
    return this.recompute(now)
  }

  /** A peer came up: it is told this node's choice at the next flush. */
  peerUp(now: number): void {
    if (this.choice !== undefined) this.dirtyAt = Math.min(this.dirtyAt, now)
  }

  /** A peer went: its offer goes. Returns whether the parent changed. */
  peerDown(peer: string, now: number): boolean {
    this.sent.delete(peer)
    if (!this.offers.delete(peer)) return false
    return this.recompute(now)
  }

  /** A plan was adopted: reports follow it from now on, and the bootstrap state goes. */
  stop(): void {
    this.offers.clear()
    this.fd.clear()
    this.sent.clear()
    this.choice = undefined
    this.dirtyAt = Infinity
  }

  /**
   * A beacon from `from`. False: refused (the sender is disconnected). `changed` is set when the parent changed, so
   * the caller re-routes the reports it holds.
   */
  onBeacon(out: TeeAction[], from: string, report: SignedReport, dist: number, now: number): { ok: boolean; changed: boolean } {
    const info = this.ctx.peers.get(from)
    // Honest unattested nodes send none; an unattested peer cannot be a parent anyway.
    if (info === undefined || !info.attested) return { ok: true, changed: false }
    const r = report.report
    const refuse = (reason: string): { ok: boolean; changed: boolean } => {
      this.ctx.counters.beaconsRefused++
      out.push({ t: 'refused', peer: from, what: `beacon naming root ${r.node.slice(0, 8)} at distance ${dist}`, reason, disconnect: true })
      return { ok: false, changed: false }
    }
    if (dist > MAX_BEACON_DISTANCE) return refuse(`distance ${dist} exceeds ${MAX_BEACON_DISTANCE}`)
    if (dist === 0 && r.node !== from) return refuse('distance 0 from a peer that is not the root it names')
    if (dist > 0 && r.node === from) return refuse('a peer naming itself as root at a distance')
    if (!r.attested) return refuse('its root report does not say it is attested')
    if (r.epoch > this.epochAt(now) + 1) return refuse(`its root report is of epoch ${r.epoch}, beyond the next`)
    if (!this.known(report) && !this.authority.verifyReport(report)) return refuse('bad-report-signature: the root report does not verify')
    this.ctx.counters.beacons++
    if (!this.alive(r.epoch, now)) {
      // Stale: its root's report is no longer alive. The peer has no route worth taking.
      if (!this.offers.delete(from)) return { ok: true, changed: false }
    } else this.offers.set(from, { report, dist })
    return { ok: true, changed: this.recompute(now) }
  }

  /** Have we verified this report's bytes already (the held choice, an offer, or our own)? */
  private known(report: SignedReport): boolean {
    const same = (x: SignedReport | undefined): boolean => x !== undefined && Buffer.compare(x.bodyBytes, report.bodyBytes) === 0 && Buffer.compare(x.signature, report.signature) === 0
    if (same(this.choice?.report) || same(this.own)) return true
    for (const o of this.offers.values()) if (same(o.report)) return true
    return false
  }

  /** Is a root report of `epoch` alive at `now` (stage 1)? */
  private alive(epoch: number, now: number): boolean {
    const e = this.epochAt(now)
    return epoch >= e || (epoch === e - 1 && now < this.epochStart(e) + this.graceMs)
  }

  private feasible(root: string, epoch: number, dist: number): boolean {
    const f = this.fd.get(root)
    return f === undefined || epoch > f.epoch || dist <= f.dist
  }

  /** The best choice now (stage 2). */
  private best(now: number): BootChoice | undefined {
    let best: BootChoice | undefined
    let bestScore = ''
    const consider = (c: BootChoice): void => {
      const s = coordinatorScore(ROOT_TERM, c.root)
      if (best === undefined || s < bestScore || (s === bestScore && (c.dist < best.dist || (c.dist === best.dist && (c.parent ?? '') < (best.parent ?? ''))))) {
        best = c
        bestScore = s
      }
    }
    if (this.own !== undefined) consider({ root: this.ctx.self, epoch: this.own.report.epoch, dist: 0, parent: undefined, report: this.own })
    for (const [peer, o] of this.offers) {
      const r = o.report.report
      const dist = o.dist + 1
      if (r.node === this.ctx.self || dist > MAX_BEACON_DISTANCE || !this.alive(r.epoch, now) || !this.feasible(r.node, r.epoch, dist)) continue
      consider({ root: r.node, epoch: r.epoch, dist, parent: peer, report: o.report })
    }
    return best
  }

  /** Recomputes the choice (stages 2-3); true if the parent changed. */
  private recompute(now: number): boolean {
    const prev = this.choice
    const next = this.best(now)
    this.choice = next
    if (next === undefined) return prev !== undefined
    const rank = coordinatorScore(ROOT_TERM, next.root)
    // Feasibility distances of roots that rank below the chosen one are of no use (we would not take them).
    for (const root of this.fd.keys()) if (root !== next.root && coordinatorScore(ROOT_TERM, root) > rank) this.fd.delete(root)
    const f = this.fd.get(next.root)
    if (f === undefined || next.epoch > f.epoch) this.fd.set(next.root, { epoch: next.epoch, dist: next.dist })
    else f.dist = Math.min(f.dist, next.dist)
    if (prev === undefined || keyOf(prev) !== keyOf(next)) this.dirtyAt = Math.min(this.dirtyAt, now)
    if (prev?.parent !== next.parent || prev?.root !== next.root) this.changedAt = now
    return prev?.parent !== next.parent
  }

  /** Epoch ticks: offers whose root report died go. True if the parent changed. */
  onTimeout(now: number): boolean {
    let dropped = false
    for (const [peer, o] of this.offers) if (!this.alive(o.report.report.epoch, now)) {
      this.offers.delete(peer)
      dropped = true
    }
    // Feasibility distances of epochs gone: their reports are dead everywhere.
    const e = this.epochAt(now)
    for (const [root, f] of this.fd) if (f.epoch < e - 1) this.fd.delete(root)
    return dropped ? this.recompute(now) : false
  }

  /** Beacons due (stage 4), sent at most once per REPORT_BATCH_MS. */
  flush(out: TeeAction[], now: number): void {
    if (now < this.dirtyAt + REPORT_BATCH_MS) return
    this.dirtyAt = Infinity
    const c = this.choice
    if (c === undefined) return
    const key = keyOf(c)
    for (const [peer, info] of this.ctx.peers) {
      if (!info.attested || this.sent.get(peer) === key) continue
      this.sent.set(peer, key)
      out.push({ t: 'send', to: peer, msg: { t: 'beacon', report: c.report, dist: c.dist } })
    }
  }

  /** When this tree has work: a flush, or the death of an offer's root report (graceMs into the next epoch). */
  nextTimeout(): number | undefined {
    let t = this.dirtyAt === Infinity ? Infinity : this.dirtyAt + REPORT_BATCH_MS
    let oldest = Infinity
    for (const o of this.offers.values()) oldest = Math.min(oldest, o.report.report.epoch)
    if (oldest !== Infinity) t = Math.min(t, this.epochStart(oldest + 1) + this.graceMs)
    return t === Infinity ? undefined : t
  }

  invariants(now: number): InvariantViolations {
    const bad: InvariantViolations = []
    for (const p of this.offers.keys()) if (this.ctx.peers.get(p)?.attested !== true) bad.push(`bootstrap: an offer from ${p.slice(0, 8)}, not an attested live peer`)
    for (const p of this.sent.keys()) if (!this.ctx.peers.has(p)) bad.push(`bootstrap: a beacon record for ${p.slice(0, 8)}, not a live peer`)
    const c = this.choice
    if (c !== undefined) {
      if (c.parent !== undefined && this.offers.get(c.parent)?.report.report.node !== c.root) bad.push(`bootstrap: parent ${c.parent.slice(0, 8)} does not offer root ${c.root.slice(0, 8)}`)
      // Between an offer's death and the timeout that drops it, the choice may still hold it.
      const dying = [...this.offers.values()].some((o) => !this.alive(o.report.report.epoch, now))
      const b = this.best(now)
      if (!dying && (b === undefined || keyOf(b) !== keyOf(c) || b.parent !== c.parent)) bad.push(`bootstrap: the choice (${keyOf(c).slice(0, 8)} via ${c.parent?.slice(0, 8)}) is not the best (${b === undefined ? 'none' : `${b.root.slice(0, 8)} at ${b.dist} via ${b.parent?.slice(0, 8)}`})`)
    }
    return bad
  }
}
