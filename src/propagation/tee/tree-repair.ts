/**
 * Tree repair: local re-attachment of a subtree whose parent is gone, so that a crash costs no flooding (Plumtree's
 * GRAFT/PRUNE, made loop-free by a rule every node derives from the running plan).
 *
 * The rule. On tree t of the running plan every node has a rank: its place in a depth-first walk of t from the root,
 * children in plan-index order (`ranks`). A parent always ranks before its children, so a node's whole plan subtree
 * ranks after it. A node whose plan parent on t is not a live peer (down, judged silent, or never linked) is an
 * orphan on t: it hangs itself (`graft`, attach) under one live peer that ranks before it, is in t and may relay
 * (plan.interior), preferring one heard from recently (liveness.ts), then the lowest RTT. It leaves (`graft`, detach)
 * when its plan parent is back. A node accepts a graft only from a peer that ranks after it on the tree, under the
 * same plan epoch.
 *
 * Why no loop can form: every node has at most one way up on t (its plan parent while that link lives, else its one
 * stand-in), and that way up ranks strictly before it. Following ways up, ranks fall, so the walk ends (at the root,
 * or at an orphan that found no stand-in) and the live edges form a forest. An orphan without a stand-in heads a
 * fragment: its items still cross to the rest by digests and pulls (repair.ts), one copy each, never by a flood.
 *
 * The tree an item travels at this node (`neighbours`): the plan neighbours that are live peers, plus the stand-in
 * parent, plus the peers that grafted onto this node.
 *
 * State, reset whenever the running plan changes (`planRef`):
 * - `up[t]`: the stand-in parent this node grafted onto on tree t;
 * - `down[t]`: the peers that grafted onto this node on tree t (at most one entry per peer and tree).
 *
 * Invariants:
 * - every stand-in and every grafted child is a live peer; at most trees x peers grafted children;
 * - a stand-in is set only on a tree where this node's plan parent is not a live peer, and ranks before this node;
 * - every grafted child ranks after this node.
 */
import { NOT_IN_TREE, ROOT, type PlanView } from './plan.ts'
import type { SignedPlan } from './messages.ts'
import type { RunningPlan } from './running-plan.ts'
import type { Liveness } from './liveness.ts'
import type { InvariantViolations, RelayContext, TeeAction } from './interface.ts'

/** Per tree, each node's depth-first rank (NOT_IN_TREE nodes: -1). One walk per tree per plan, O(n). */
const rankMemo = new WeakMap<PlanView, Int32Array[]>()
export function ranks(view: PlanView): Int32Array[] {
  let r = rankMemo.get(view)
  if (r !== undefined) return r
  const n = view.body.nodes.length
  r = view.body.parents.map((parents) => {
    const children: number[][] = Array.from({ length: n }, () => [])
    let root = -1
    for (let i = 0; i < n; i++) {
      const p = parents[i]!
      if (p === ROOT) root = i
      else if (p !== NOT_IN_TREE) children[p]!.push(i)
    }
    const rank = new Int32Array(n).fill(-1)
    if (root < 0) return rank
    // Subtree sizes (children before parents: reverse of a breadth-first order), then the walk, larger subtrees first.
    const order = [root]
    for (let k = 0; k < order.length; k++) for (const c of children[order[k]!]!) order.push(c)
    const size = new Int32Array(n).fill(1)
    for (let k = order.length - 1; k > 0; k--) size[parents[order[k]!]!]! += size[order[k]!]!
    for (const c of children) c.sort((a, b) => size[b]! - size[a]! || a - b)
    let next = 0
    const stack = [root]
    while (stack.length > 0) {
      const x = stack.pop()!
      rank[x] = next++
      const c = children[x]!
      for (let k = c.length - 1; k >= 0; k--) stack.push(c[k]!)
    }
    return rank
  })
  rankMemo.set(view, r)
  return r
}

export class TreeRepair {
  private planRef: SignedPlan | undefined
  private readonly up = new Map<number, string>()
  private readonly down = new Map<number, Set<string>>()

  constructor(
    private readonly ctx: RelayContext,
    private readonly running: RunningPlan,
    private readonly liveness: Liveness,
  ) {}

  /** A new plan: what was grafted under the old one is void on both sides (each side resets on its own). */
  private sync(): void {
    if (this.planRef === this.running.plan) return
    this.planRef = this.running.plan
    this.up.clear()
    this.down.clear()
  }

  /** The tree `t` at this node: live plan neighbours, the stand-in parent, the grafted children. */
  neighbours(t: number): string[] {
    this.sync()
    const view = this.running.view!
    const self = this.running.selfIndex
    const out = view.neighbours(t, self).filter((p) => this.ctx.peers.has(p))
    const u = this.up.get(t)
    if (u !== undefined && !out.includes(u)) out.push(u)
    for (const d of this.down.get(t) ?? []) if (!out.includes(d)) out.push(d)
    return out
  }

  /** Is `peer` part of tree `t` at this node only by a graft? */
  grafted(t: number, peer: string): boolean {
    this.sync()
    return this.up.get(t) === peer || this.down.get(t)?.has(peer) === true
  }

  peerDown(peer: string): void {
    this.sync()
    for (const [t, u] of this.up) if (u === peer) this.up.delete(t)
    for (const [t, d] of this.down) {
      d.delete(peer)
      if (d.size === 0) this.down.delete(t)
    }
  }

  /** A graft message from a peer (see the header for when it is taken). */
  onGraft(from: string, epoch: number, t: number, attach: boolean): void {
    this.sync()
    const view = this.running.view
    const self = this.running.selfIndex
    if (!attach) {
      const d = this.down.get(t)
      d?.delete(from)
      if (d?.size === 0) this.down.delete(t)
      return
    }
    if (view === undefined || self < 0 || epoch !== this.running.epoch || t >= view.trees || !view.body.interior[self]) return
    const i = view.index.get(from)
    const rank = ranks(view)[t]!
    if (i === undefined || rank[self]! < 0 || !(rank[i]! > rank[self]!)) return
    let d = this.down.get(t)
    if (d === undefined) this.down.set(t, (d = new Set()))
    d.add(from)
  }

  /**
   * After any change of peers or plan: on each tree, leave the stand-in whose plan parent is back, and find one where
   * the plan parent is missing and there is none. Sends the graft messages.
   */
  reconcile(out: TeeAction[], now: number): void {
    this.sync()
    const view = this.running.view
    const self = this.running.selfIndex
    if (view === undefined || self < 0) return
    const epoch = this.running.epoch
    for (let t = 0; t < view.trees; t++) {
      const par = view.body.parents[t]![self]!
      if (par < 0) continue
      const parentLive = this.ctx.peers.has(view.body.nodes[par]!)
      const u = this.up.get(t)
      if (parentLive) {
        if (u !== undefined) {
          this.up.delete(t)
          out.push({ t: 'send', to: u, msg: { t: 'graft', epoch, tree: t, attach: false } })
        }
        continue
      }
      if (u !== undefined) continue
      const pick = this.standIn(view, t, self, now)
      if (pick === undefined) continue
      this.up.set(t, pick)
      this.ctx.counters.grafts++
      out.push({ t: 'send', to: pick, msg: { t: 'graft', epoch, tree: t, attach: true } })
    }
  }

  /** The best live peer to hang under on tree `t` (see the header), or undefined. */
  private standIn(view: PlanView, t: number, self: number, now: number): string | undefined {
    const rank = ranks(view)[t]!
    const mine = rank[self]!
    if (mine < 0) return undefined
    const fresh = 2 * this.ctx.params.keepaliveIdleMs
    let best: string | undefined
    let bestKey: [number, number, string] | undefined
    for (const [p, info] of this.ctx.peers) {
      const i = view.index.get(p)
      if (i === undefined || !view.body.interior[i] || rank[i]! < 0 || rank[i]! >= mine) continue
      const key: [number, number, string] = [this.liveness.heardWithin(p, now, fresh) ? 0 : 1, info.rttMs, p]
      if (bestKey === undefined || key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
        best = p
        bestKey = key
      }
    }
    return best
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    // A plan adopted since the last use: the grafts are void and reset at the next use (sync).
    if (this.planRef !== this.running.plan) return bad
    const view = this.running.view
    const self = this.running.selfIndex
    if (view === undefined || self < 0) {
      if (this.up.size > 0 || this.down.size > 0) bad.push('tree repair: grafts without a plan that places this node')
      return bad
    }
    const rank = ranks(view)
    for (const [t, u] of this.up) {
      if (!this.ctx.peers.has(u)) bad.push(`tree repair: stand-in ${u.slice(0, 8)} on tree ${t} is not a live peer`)
      const par = view.body.parents[t]![self]!
      if (par < 0 || this.ctx.peers.has(view.body.nodes[par]!)) bad.push(`tree repair: a stand-in on tree ${t}, where the plan parent is live or absent`)
      const i = view.index.get(u)
      if (i === undefined || !(rank[t]![i]! >= 0 && rank[t]![i]! < rank[t]![self]!)) bad.push(`tree repair: stand-in ${u.slice(0, 8)} on tree ${t} does not rank before this node`)
    }
    for (const [t, d] of this.down) {
      if (d.size === 0) bad.push(`tree repair: empty graft set on tree ${t}`)
      for (const p of d) {
        if (!this.ctx.peers.has(p)) bad.push(`tree repair: grafted child ${p.slice(0, 8)} on tree ${t} is not a live peer`)
        const i = view.index.get(p)
        if (i === undefined || !(rank[t]![i]! > rank[t]![self]!)) bad.push(`tree repair: grafted child ${p.slice(0, 8)} on tree ${t} does not rank after this node`)
      }
    }
    return bad
  }
}
