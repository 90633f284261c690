/**
 * Tree repair: local re-attachment of a subtree whose parent is gone, so that a crash costs no flooding (Plumtree's
 * GRAFT/PRUNE, made loop-free by a rule every node derives from the running plan).
 *
 * The rule. On tree t of the running plan every node has a rank: its place in a depth-first walk of t from the root,
 * children in plan-index order (`ranks`); a tree with several roots (one subtree per component of relays) is walked
 * root after root. A parent always ranks before its children, so a node's whole plan subtree
 * ranks after it, in one run of ranks (`subtreeSizes`). A node whose plan parent on t is not a live peer (down, judged
 * silent, or never linked) is an orphan on t: it hangs itself (`graft`, attach) under one live peer that ranks before
 * it, is in t and may relay (plan.interior), preferring one heard from recently (liveness.ts), then the lowest RTT. It
 * leaves (`graft`, detach) when its plan parent is back. A node accepts a graft only from a peer that ranks after it
 * on the tree, under the same plan epoch.
 *
 * Why no loop can form: every node has at most one way up on t (its plan parent while that link lives, else its one
 * stand-in), and that way up ranks strictly before it. Following ways up, ranks fall, so the walk ends (at the root,
 * or at an orphan that found no stand-in) and the live up-edges form a forest.
 *
 * Bridges (fragments). An orphan without a stand-in heads a fragment. Before bridges, its items crossed to the rest
 * only by digests and pulls, hop by hop, and in a sparse remainder (60 % crashed) some did not finish in seconds. So a
 * fragment head also sends `graft` (bridge) to one live peer that is in t, may relay and lies outside its own plan
 * subtree (any rank; preferring a fresh one, then the lowest RTT), never to a peer that grafted onto it: both ends
 * then forward t's items across, like a tree edge. A bridge is not a way up: it never enters the up-edge walk above,
 * so the forest (and its proof) is unchanged. The head leaves its bridge (`graft`, detach) as soon as it has a way
 * up again, or when the bridge peer grafts onto it (it is then in this fragment), and bridges elsewhere. A bridge may
 * still land in the head's own fragment (a node there that grafted in deeper down) or close a cycle of fragments;
 * items still cross each link at most once each way (a node forwards an item once, never to a peer known to hold it),
 * so a cycle costs at most two copies per item on that one link, never a circulation. The fragment graph (fragments
 * joined by bridges) has one out-link per head: far fewer pieces than fragments, and those left still meet by pulls.
 *
 * Stages of a tree at a node (`reconcile`, after every change of peers, plan or grafts): whole (plan parent live) ->
 * orphan (plan parent gone) with a stand-in, or else fragment head with a bridge (or none, if no peer qualifies) ->
 * whole again when the plan parent is back (stand-in or bridge left) or void at the next plan.
 *
 * The tree an item travels at this node (`neighbours`): the plan neighbours that are live peers, plus the stand-in
 * parent, plus the peers that grafted onto this node, plus its bridge and the bridges it took.
 *
 * State, reset whenever the running plan changes (`planRef`):
 * - `up[t]`: the stand-in parent this node grafted onto on tree t;
 * - `down[t]`: the peers that grafted onto this node on tree t (at most one entry per peer and tree);
 * - `bridge[t]`: the peer this fragment head bridged to on tree t;
 * - `across[t]`: the peers that bridged to this node on tree t (at most BRIDGES_TAKEN_PER_TREE).
 *
 * Invariants:
 * - every stand-in, grafted child, bridge and taken bridge is a live peer; at most trees x peers grafted children,
 *   trees x BRIDGES_TAKEN_PER_TREE taken bridges;
 * - a stand-in is set only on a tree where this node's plan parent is not a live peer, and ranks before this node;
 * - every grafted child ranks after this node;
 * - a bridge is set only on a tree where this node has no way up (plan parent not live, no stand-in), and lies
 *   outside this node's plan subtree, and is not a grafted child; a peer is at most one of grafted child and taken
 *   bridge on a tree.
 *
 * Hostile peers. Nothing here is a claim a peer makes: ranks and `interior` come from the signed plan, RTT from the
 * driver's own measurement, so a liar cannot make itself a better stand-in or bridge than its plan place makes it. A
 * peer may graft or bridge itself onto an honest node on every tree: it then gets each item once (as a peer it could
 * pull them anyway), and takes at most one of a node's BRIDGES_TAKEN_PER_TREE slots per tree (a full node ignores
 * further bridges: the head's items still cross toward it, and the rest come by pulls, as before bridges). Chosen
 * as a stand-in or bridge, it can drop what it should forward: the subtree behind it falls back to digests and pulls,
 * as before bridges (uncharged: a tree broken at the node charges no omission, omission-ledger.ts).
 */
import { NOT_IN_TREE, ROOT, type PlanView } from './plan.ts'
import type { SignedPlan } from './messages.ts'
import type { RunningPlan } from './running-plan.ts'
import type { Liveness } from './liveness.ts'
import type { InvariantViolations, RelayContext, TeeAction } from './interface.ts'

/** Bridges a node takes per tree (see the header): enough for the fragment heads around it, bounded for liars. */
export const BRIDGES_TAKEN_PER_TREE = 4

/** Per tree, each node's depth-first rank (NOT_IN_TREE nodes: -1). One walk per tree per plan, O(n). */
const rankMemo = new WeakMap<PlanView, Int32Array[]>()
export function ranks(view: PlanView): Int32Array[] {
  let r = rankMemo.get(view)
  if (r !== undefined) return r
  const n = view.body.nodes.length
  const sizes: Int32Array[] = []
  r = view.body.parents.map((parents) => {
    const children: number[][] = Array.from({ length: n }, () => [])
    // A forest (one subtree per component of relays): the roots in index order, each subtree one run of ranks.
    const roots: number[] = []
    for (let i = 0; i < n; i++) {
      const p = parents[i]!
      if (p === ROOT) roots.push(i)
      else if (p !== NOT_IN_TREE) children[p]!.push(i)
    }
    const rank = new Int32Array(n).fill(-1)
    if (roots.length === 0) {
      sizes.push(new Int32Array(n))
      return rank
    }
    // Subtree sizes (children before parents: reverse of a breadth-first order), then the walk, larger subtrees first.
    const order = [...roots]
    for (let k = 0; k < order.length; k++) for (const c of children[order[k]!]!) order.push(c)
    const size = new Int32Array(n).fill(1)
    for (let k = order.length - 1; k >= roots.length; k--) size[parents[order[k]!]!]! += size[order[k]!]!
    sizes.push(size)
    for (const c of children) c.sort((a, b) => size[b]! - size[a]! || a - b)
    let next = 0
    const stack = roots.slice().reverse()
    while (stack.length > 0) {
      const x = stack.pop()!
      rank[x] = next++
      const c = children[x]!
      for (let k = c.length - 1; k >= 0; k--) stack.push(c[k]!)
    }
    return rank
  })
  rankMemo.set(view, r)
  sizeMemo.set(view, sizes)
  return r
}

/** Per tree, each node's plan subtree size: the subtree of x holds exactly the ranks rank[x] .. rank[x] + size[x] - 1. */
const sizeMemo = new WeakMap<PlanView, Int32Array[]>()
export function subtreeSizes(view: PlanView): Int32Array[] {
  ranks(view)
  return sizeMemo.get(view)!
}

export class TreeRepair {
  private planRef: SignedPlan | undefined
  private readonly up = new Map<number, string>()
  private readonly down = new Map<number, Set<string>>()
  private readonly bridge = new Map<number, string>()
  private readonly across = new Map<number, Set<string>>()

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
    this.bridge.clear()
    this.across.clear()
  }

  /** The tree `t` at this node: live plan neighbours, the stand-in parent, the grafted children, the bridges. */
  neighbours(t: number): string[] {
    this.sync()
    const view = this.running.view!
    const self = this.running.selfIndex
    const out = view.neighbours(t, self).filter((p) => this.ctx.peers.has(p))
    const u = this.up.get(t)
    if (u !== undefined && !out.includes(u)) out.push(u)
    for (const d of this.down.get(t) ?? []) if (!out.includes(d)) out.push(d)
    const b = this.bridge.get(t)
    if (b !== undefined && !out.includes(b)) out.push(b)
    for (const a of this.across.get(t) ?? []) if (!out.includes(a)) out.push(a)
    return out
  }

  /** This node's way up on each tree as the live up-edges go (the plan parent while live, else the stand-in). */
  ways(): (string | undefined)[] {
    this.sync()
    const view = this.running.view
    const self = this.running.selfIndex
    if (view === undefined || self < 0) return []
    return view.body.parents.map((parents, t) => {
      const par = parents[self]!
      if (par < 0) return undefined
      const p = view.body.nodes[par]!
      return this.ctx.peers.has(p) ? p : this.up.get(t)
    })
  }

  /** Is `peer` part of tree `t` at this node only by a graft? */
  grafted(t: number, peer: string): boolean {
    this.sync()
    return this.up.get(t) === peer || this.down.get(t)?.has(peer) === true || this.bridge.get(t) === peer || this.across.get(t)?.has(peer) === true
  }

  peerDown(peer: string): void {
    this.sync()
    for (const [t, u] of this.up) if (u === peer) this.up.delete(t)
    for (const [t, b] of this.bridge) if (b === peer) this.bridge.delete(t)
    for (const m of [this.down, this.across]) unset(m, undefined, peer)
  }

  /** A graft message from a peer (see the header for when it is taken). `bridge`: from a fragment head. */
  onGraft(from: string, epoch: number, t: number, attach: boolean, bridge = false): void {
    this.sync()
    const view = this.running.view
    const self = this.running.selfIndex
    // A detach ends whichever the peer had on t (it has at most one: a way up or a bridge).
    unset(this.down, t, from)
    unset(this.across, t, from)
    if (!attach) return
    if (view === undefined || self < 0 || epoch !== this.running.epoch || t >= view.trees || !view.body.interior[self]) return
    const i = view.index.get(from)
    const rank = ranks(view)[t]!
    if (i === undefined || rank[self]! < 0 || rank[i]! < 0) return
    if (bridge) {
      // Not a way up: any rank. Bounded per tree, so that liars cannot take every slot of every tree unboundedly.
      const a = this.across.get(t) ?? new Set<string>()
      if (a.size >= BRIDGES_TAKEN_PER_TREE) return
      this.across.set(t, a.add(from))
      return
    }
    if (!(rank[i]! > rank[self]!)) return
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
      if (parentLive && u !== undefined) {
        this.up.delete(t)
        out.push({ t: 'send', to: u, msg: { t: 'graft', epoch, tree: t, attach: false } })
      }
      if (!parentLive && u === undefined) {
        const pick = this.standIn(view, t, self, now)
        if (pick !== undefined) {
          this.up.set(t, pick)
          this.ctx.counters.grafts++
          out.push({ t: 'send', to: pick, msg: { t: 'graft', epoch, tree: t, attach: true } })
        }
      }
      // A way up again: the bridge goes; so does one to a peer that has since grafted onto this node (it is in this
      // fragment). No way up: a fragment head bridges out of its plan subtree.
      const b = this.bridge.get(t)
      const head = !parentLive && !this.up.has(t)
      if (b !== undefined && (!head || this.down.get(t)?.has(b) === true)) {
        this.bridge.delete(t)
        out.push({ t: 'send', to: b, msg: { t: 'graft', epoch, tree: t, attach: false } })
      }
      if (head && !this.bridge.has(t)) {
        const pick = this.bridgeTo(view, t, self, now)
        if (pick === undefined) continue
        this.bridge.set(t, pick)
        this.ctx.counters.bridges++
        out.push({ t: 'send', to: pick, msg: { t: 'graft', epoch, tree: t, attach: true, bridge: true } })
      }
    }
  }

  /** The best live peer to hang under on tree `t` (see the header), or undefined. */
  private standIn(view: PlanView, t: number, self: number, now: number): string | undefined {
    const rank = ranks(view)[t]!
    const mine = rank[self]!
    return mine < 0 ? undefined : this.best(view, t, now, (r) => r < mine)
  }

  /** The best live peer for a fragment head to bridge to on tree `t`: outside its own plan subtree, any rank. */
  private bridgeTo(view: PlanView, t: number, self: number, now: number): string | undefined {
    const mine = ranks(view)[t]![self]!
    const end = mine + subtreeSizes(view)[t]![self]!
    // Nor a peer that grafted onto this node: it is in this fragment too (deeper grafts this node cannot see).
    const down = this.down.get(t)
    return mine < 0 ? undefined : this.best(view, t, now, (r, p) => (r < mine || r >= end) && down?.has(p) !== true)
  }

  /** The live interior peer in tree `t` whose rank `ok` takes: heard recently first, then the lowest RTT, then id. */
  private best(view: PlanView, t: number, now: number, ok: (rank: number, peer: string) => boolean): string | undefined {
    const rank = ranks(view)[t]!
    const fresh = 2 * this.ctx.params.keepaliveIdleMs
    let best: string | undefined
    let bestKey: [number, number, string] | undefined
    for (const [p, info] of this.ctx.peers) {
      const i = view.index.get(p)
      if (i === undefined || !view.body.interior[i]) continue
      const r = rank[i]!
      if (r < 0 || !ok(r, p)) continue
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
      if (this.up.size > 0 || this.down.size > 0 || this.bridge.size > 0 || this.across.size > 0) bad.push('tree repair: grafts without a plan that places this node')
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
    const size = subtreeSizes(view)
    for (const [t, b] of this.bridge) {
      if (!this.ctx.peers.has(b)) bad.push(`tree repair: bridge ${b.slice(0, 8)} on tree ${t} is not a live peer`)
      const par = view.body.parents[t]![self]!
      if (par < 0 || this.ctx.peers.has(view.body.nodes[par]!) || this.up.has(t)) bad.push(`tree repair: a bridge on tree ${t}, where this node has a way up or is the root`)
      const i = view.index.get(b)
      const r = i === undefined ? -1 : rank[t]![i]!
      const mine = rank[t]![self]!
      if (this.down.get(t)?.has(b) === true) bad.push(`tree repair: bridge ${b.slice(0, 8)} on tree ${t} grafted onto this node (it is in this fragment)`)
      if (r < 0 || (r >= mine && r < mine + size[t]![self]!)) bad.push(`tree repair: bridge ${b.slice(0, 8)} on tree ${t} is in this node's own plan subtree or outside the tree`)
    }
    for (const [t, a] of this.across) {
      if (a.size === 0 || a.size > BRIDGES_TAKEN_PER_TREE) bad.push(`tree repair: ${a.size} bridges taken on tree ${t} (1..${BRIDGES_TAKEN_PER_TREE})`)
      for (const p of a) {
        if (!this.ctx.peers.has(p)) bad.push(`tree repair: taken bridge ${p.slice(0, 8)} on tree ${t} is not a live peer`)
        if (this.down.get(t)?.has(p) === true) bad.push(`tree repair: ${p.slice(0, 8)} on tree ${t} is both a grafted child and a bridge`)
      }
    }
    return bad
  }
}

/** Removes `peer` from the set of tree `t` (undefined: of every tree), dropping sets left empty. */
function unset(m: Map<number, Set<string>>, t: number | undefined, peer: string): void {
  for (const [k, d] of m) {
    if (t !== undefined && k !== t) continue
    d.delete(peer)
    if (d.size === 0) m.delete(k)
  }
}
