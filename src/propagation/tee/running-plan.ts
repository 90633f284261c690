/**
 * The plan this node runs, as the data path and the control plane see it: the signed plan, its view (trees,
 * neighbours), this node's index in it, and the trees broken here.
 *
 * Stages:
 * 1. no plan (`plan` undefined): every item floods; reports flood.
 * 2. running a plan (`plan`, `view`, `selfIndex`, `at`): items travel their tree, as repaired at this node
 *    (tree-repair.ts); `broken` holds the trees with a missing plan edge at this node until the next plan (a link
 *    that comes back does not un-break a tree). On a broken tree no omission is charged, every peer digests, and the
 *    control plane floods what it would send on tree 0; items do not flood (tree-repair.ts grafts around the gap).
 *
 * Invariants:
 * - `plan`, `view` and `at` are all set or all unset; `selfIndex` is -1 or this node's index in `view`.
 * - `broken` is empty when there is no plan, and holds tree numbers below `view.trees`.
 *
 * The plan-switch grace: for a while after a switch, traffic of the previous plan is still in flight (items tagged
 * with its epoch, items routed on its trees and repaired). One period covers both: a repair takes up to
 * settleMs (the item settles at the holder) + digestIntervalMs (the next digest round) + settleMs (a pull round);
 * an old tag is in flight for less than that.
 */
import { PlanView } from './plan.ts'
import type { SignedPlan } from './messages.ts'
import type { InvariantViolations, RelayContext } from './interface.ts'
import type { TeeParams } from './params.ts'

/** How long after a plan switch old-plan traffic is expected, not blamed (ms). */
export const planSwitchGraceMs = (p: TeeParams): number => 2 * p.settleMs + p.digestIntervalMs

export class RunningPlan {
  plan: SignedPlan | undefined
  view: PlanView | undefined
  selfIndex = -1
  /** When the current plan was adopted. */
  at = -Infinity
  /** Trees with a missing plan edge at this node under the current plan (see stage 2). */
  readonly broken = new Set<number>()

  constructor(private readonly ctx: RelayContext) {}

  /** The plan epoch that items and origins are tagged with (0: no plan). */
  get epoch(): number {
    return this.plan?.body.epoch ?? 0
  }

  adopt(plan: SignedPlan, view: PlanView, now: number): void {
    this.plan = plan
    this.at = now
    this.view = view
    this.selfIndex = view.index.get(this.ctx.self) ?? -1
    this.broken.clear()
  }

  breakTree(t: number): void {
    if (this.broken.has(t)) return
    this.broken.add(t)
    this.ctx.counters.floodFallbacks++
  }

  /** Within the plan-switch grace (see the header). */
  inSwitchGrace(now: number): boolean {
    return now - this.at < planSwitchGraceMs(this.ctx.params)
  }

  /** An origin's index in the running plan, or undefined. */
  originIndex(origin: string | undefined): number | undefined {
    return origin === undefined || this.view === undefined ? undefined : this.view.index.get(origin)
  }

  /**
   * Tree 0 of the current plan (N-1 messages reach every node of it), flooding where that tree is broken here or
   * there is no plan.
   */
  tree0Targets(from: string | undefined): string[] {
    const view = this.view
    if (view !== undefined && this.selfIndex >= 0 && view.inTree(0, this.selfIndex) && !this.broken.has(0)) {
      const tree = view.neighbours(0, this.selfIndex).filter((p) => p !== from)
      if (tree.every((p) => this.ctx.peers.has(p))) return tree
      this.breakTree(0)
    }
    return [...this.ctx.peers.keys()].filter((p) => p !== from)
  }

  /** A peer went down: every tree in which it is our neighbour breaks here. */
  peerDown(peer: string): void {
    if (this.view === undefined || this.selfIndex < 0) return
    for (let t = 0; t < this.view.trees; t++) if (this.view.neighbours(t, this.selfIndex).includes(peer)) this.breakTree(t)
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    const set = [this.plan !== undefined, this.view !== undefined, this.at !== -Infinity]
    if (set.some((x) => x !== set[0])) bad.push('plan: plan, view and adoption time are not all set or all unset')
    if (this.view === undefined && (this.selfIndex !== -1 || this.broken.size > 0)) bad.push('plan: no plan, yet a self index or broken trees')
    if (this.view !== undefined) {
      if (this.selfIndex !== (this.view.index.get(this.ctx.self) ?? -1)) bad.push('plan: self index is not this node\'s index in the plan')
      for (const t of this.broken) if (t < 0 || t >= this.view.trees) bad.push(`plan: broken tree ${t} outside 0..${this.view.trees - 1}`)
    }
    return bad
  }
}
