/**
 * Broadcast-tree planner of the tee broadcast (tee/1): from the attested overlay graph (nodes, measured RTTs) it
 * computes K low-latency, degree-bounded spanning trees with interior sets that overlap as little as the graph allows
 * (the SplitStream idea: a relay that forwards in one tree should be a leaf in the others, so that relay load is spread
 * and a single omitting relay only starves one tree).
 *
 * The module is pure and deterministic (no I/O, no clock, no randomness, no imports): it is bundled into the simulated
 * enclave program that signs the plan, and every honest enclave must derive the same trees from the same input.
 *
 * Algorithm, per tree t (trees are built one after another, later ones see the interior sets of earlier ones):
 *  1. Reachable set. Interior nodes must be eligible (attested && !excluded). The eligible subgraph is split into
 *     connected components, and each one gets a subtree of its own in every tree (a forest): its eligible nodes plus
 *     the non-eligible nodes adjacent to them, which can only be leaves. A non-eligible node next to two components
 *     hangs under one (the nearer, by the Dijkstra of step 3 run from all roots at once). Nodes adjacent to no
 *     eligible node are NOT_IN_TREE in every tree. Before the forest, only the component that reached the most nodes
 *     had a tree, and attested nodes of the others were leaves or outside the plan (issue: mixed networks).
 *  2. Root, per component (steps 2-3 inside a component are those of a lone component). Central eligible node: minimal eccentricity in weighted distance (rtt + HOP_PENALTY_MS per hop, paths
 *     through eligible nodes only) plus the interior penalty of step 3, so the root rotates across trees. Exact
 *     eccentricity is computed for at most max(ROOT_CANDIDATES, 2K) candidates, preselected by a double sweep
 *     (max distance from two far-apart nodes), so root choice stays O(candidates * Dijkstra) on large graphs.
 *  3. Tree. Degree-bounded shortest-path tree (Dijkstra; a node is attached to the parent of its cheapest offer whose
 *     parent still has capacity). Expanding through node v costs an extra penalty in units of the median edge weight:
 *     HOME_PENALTY if v's "home tree" (a seeded balanced partition of the eligible nodes into K groups) is not t, plus
 *     REUSE_PENALTY for each earlier tree in which v is already interior. Interior sets thus mostly follow the
 *     partition, yet any node can still relay when the graph needs it (at a bounded latency cost).
 *  4. Degree bound. maxDegree counts parent + children. A node whose every in-tree eligible neighbour is full is first
 *     rescued by a swap (a child c of a full neighbour p moves to another in-tree neighbour q with spare capacity, q not
 *     below c, and the freed slot of p takes the node). Only if no swap exists is the bound relaxed, by one, for one
 *     neighbour, preferring a neighbour already relaxed in this tree. Nobody is ever left out because of the bound.
 *     Finding the fewest relaxations exactly is NP-hard (degree-constrained spanning tree); this greedy only relaxes
 *     where the local picture forces it (e.g. an eligible hub with more non-eligible leaf neighbours than its bound).
 *  5. Upload budget. Across trees, a node's children add up against childBudget (CHILD_BUDGET_SLACK times the mean
 *     load): in later trees its capacity is what the budget leaves, so a central node does not relay in every tree.
 *     A root may have maxDegree children in its own tree whatever its budget, and the root choice counts the children
 *     a candidate already has (one median edge weight each). Swaps and relaxations (step 4) may exceed the budget
 *     where it would strand a node, as they may the degree bound.
 *
 * Ties are broken by a hash of (seed, tree, node id), so results are deterministic and differ by seed.
 * Complexity: O(K * E log E) for the trees plus O(candidates * E log E) for the root choice; 500 nodes of degree 8
 * and K = 4 take a few milliseconds.
 */

export interface PlanGraphNode {
  /** Node id, 128 hex chars. */
  id: string
  attested: boolean
  /** Reported as omitting: must not be interior. */
  excluded: boolean
}
/** Undirected edge; a and b index into PlanGraph.nodes. Parallel edges are allowed (all of them are usable). */
export interface PlanEdge {
  a: number
  b: number
  rttMs: number
}
export interface PlanGraph {
  nodes: readonly PlanGraphNode[]
  edges: readonly PlanEdge[]
}
export interface PlannerOptions {
  /** K >= 1, integer. */
  trees: number
  /** >= 2, integer: max tree degree (parent + children) of a node per tree. */
  maxDegree: number
  seed: string
}

export const NOT_IN_TREE = -2
export const ROOT = -1

/**
 * parents[t][i] = parent index of node i in tree t, ROOT for the tree's root, NOT_IN_TREE if i cannot be reached.
 * roots[t] = root index of tree t in the component that reaches the most nodes, or NOT_IN_TREE when no node is
 * eligible; forest[t] = the roots of tree t, one per eligible component, that one first.
 */
export interface PlannedTrees {
  parents: Int32Array[]
  roots: number[]
  forest: number[][]
}

export class PlannerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PlannerError'
  }
}

/** Per-hop cost added to every edge (ms): with equal RTTs the Dijkstra tree still prefers fewer hops. */
export const HOP_PENALTY_MS = 1
/**
 * Cost (in median edge weights) of expanding through a node whose home tree is not the current one.
 * Trade-off measured on random 8-regular graphs (RTT 5-205 ms, K=4, maxDegree 6), mean pairwise Jaccard of interior
 * sets / mean root-to-node latency: no penalties 0.93-0.99 / 116-172 ms; 0.5 + 0.5 (chosen) 0.22 / 179-235 ms;
 * 1 + 1 0.17 / 197-271 ms (100 / 500 nodes).
 */
export const HOME_PENALTY = 0.5
/** Cost (in median edge weights) of expanding through a node, per earlier tree in which it is interior. */
export const REUSE_PENALTY = 0.5
/**
 * Upload budget: a node's children summed over all K trees are capped at CHILD_BUDGET_SLACK times the mean an eligible
 * node must carry (K (reached - 1) / eligible), so that no relay sends many more copies per item than the average.
 * A node's upload per item is its total children / K (each tree carries 1/K of the items), and a network at its
 * bandwidth limit is bound by its busiest uplinks, not the mean. Measured on random 8-regular graphs (RTT 5-205 ms,
 * K=4, maxDegree 6), most children of one node over the 4 trees / mean one-way latency to a node: without the budget
 * 15 / 96 ms (200 nodes), 19 / 128 ms (1,000), 17 / 166 ms (8,000); slack 1.25: 6 / 115, 6 / 161, 9 / 228 ms;
 * 1.5 (chosen): 6 / 106, 7 / 147, 7 / 193 ms; 2: 8 / 103, 8 / 136, 8 / 174 ms.
 */
export const CHILD_BUDGET_SLACK = 1.5

/** The per-node cap on children summed over all trees (at least 2, so that a tree can always branch). */
export function childBudget(trees: number, reached: number, eligible: number): number {
  return Math.max(2, Math.ceil((CHILD_BUDGET_SLACK * trees * Math.max(0, reached - 1)) / Math.max(1, eligible)))
}

/** Max root candidates whose eccentricity is computed exactly (at least 2K). */
export const ROOT_CANDIDATES = 32

/** 32-bit string hash (FNV-1a over UTF-16 units, murmur3 finaliser). */
function hash32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Min-heap of (cost, node, parent) ordered by cost, then tie[node], node, tie[parent], parent. */
class Heap {
  size = 0
  private c = new Float64Array(64)
  private w = new Int32Array(64)
  private p = new Int32Array(64)
  constructor(private readonly tie: Uint32Array) {}

  private less(i: number, j: number): boolean {
    const ci = this.c[i]!, cj = this.c[j]!
    if (ci !== cj) return ci < cj
    const wi = this.w[i]!, wj = this.w[j]!
    if (wi !== wj) {
      const ti = this.tie[wi]!, tj = this.tie[wj]!
      return ti !== tj ? ti < tj : wi < wj
    }
    const pi = this.p[i]!, pj = this.p[j]!
    if (pi === pj) return false
    const ti = pi < 0 ? -1 : this.tie[pi]!, tj = pj < 0 ? -1 : this.tie[pj]!
    return ti !== tj ? ti < tj : pi < pj
  }
  private swap(i: number, j: number): void {
    const c = this.c[i]!, w = this.w[i]!, p = this.p[i]!
    this.c[i] = this.c[j]!; this.w[i] = this.w[j]!; this.p[i] = this.p[j]!
    this.c[j] = c; this.w[j] = w; this.p[j] = p
  }
  push(cost: number, node: number, parent: number): void {
    if (this.size === this.c.length) {
      const n = this.size * 2
      const c = new Float64Array(n); c.set(this.c); this.c = c
      const w = new Int32Array(n); w.set(this.w); this.w = w
      const p = new Int32Array(n); p.set(this.p); this.p = p
    }
    let i = this.size++
    this.c[i] = cost; this.w[i] = node; this.p[i] = parent
    while (i > 0) {
      const up = (i - 1) >> 1
      if (!this.less(i, up)) break
      this.swap(i, up)
      i = up
    }
  }
  /** Pops the minimum into out = [cost, node, parent]. */
  pop(out: [number, number, number]): void {
    out[0] = this.c[0]!; out[1] = this.w[0]!; out[2] = this.p[0]!
    const last = --this.size
    if (last > 0) {
      this.c[0] = this.c[last]!; this.w[0] = this.w[last]!; this.p[0] = this.p[last]!
      let i = 0
      for (;;) {
        const l = 2 * i + 1, r = l + 1
        let m = i
        if (l < last && this.less(l, m)) m = l
        if (r < last && this.less(r, m)) m = r
        if (m === i) break
        this.swap(i, m)
        i = m
      }
    }
  }
}

function validate(g: PlanGraph, o: PlannerOptions): void {
  if (!Number.isInteger(o.trees) || o.trees < 1) throw new PlannerError(`trees must be an integer >= 1, got ${o.trees}`)
  if (!Number.isInteger(o.maxDegree) || o.maxDegree < 2) throw new PlannerError(`maxDegree must be an integer >= 2, got ${o.maxDegree}`)
  if (typeof o.seed !== 'string') throw new PlannerError('seed must be a string')
  const n = g.nodes.length
  for (let i = 0; i < g.edges.length; i++) {
    const e = g.edges[i]!
    if (!Number.isInteger(e.a) || !Number.isInteger(e.b) || e.a < 0 || e.b < 0 || e.a >= n || e.b >= n) {
      throw new PlannerError(`edge ${i}: index out of range (${e.a}, ${e.b}) for ${n} nodes`)
    }
    if (e.a === e.b) throw new PlannerError(`edge ${i}: self-loop on node ${e.a}`)
    // Negative RTTs are rejected as well: Dijkstra needs non-negative weights and a negative RTT is a measurement bug.
    if (typeof e.rttMs !== 'number' || !Number.isFinite(e.rttMs) || e.rttMs < 0) {
      throw new PlannerError(`edge ${i}: rttMs must be finite and >= 0, got ${e.rttMs}`)
    }
  }
}

export function computeTrees(g: PlanGraph, o: PlannerOptions): PlannedTrees {
  validate(g, o)
  const n = g.nodes.length
  const K = o.trees
  const maxDeg = o.maxDegree
  const parents: Int32Array[] = []
  const roots: number[] = []
  for (let t = 0; t < K; t++) parents.push(new Int32Array(n).fill(NOT_IN_TREE))

  const eligible = new Uint8Array(n)
  let anyEligible = false
  for (let i = 0; i < n; i++) {
    const v = g.nodes[i]!
    if (v.attested && !v.excluded) { eligible[i] = 1; anyEligible = true }
  }
  const forest: number[][] = []
  if (!anyEligible) {
    for (let t = 0; t < K; t++) { roots.push(NOT_IN_TREE); forest.push([]) }
    return { parents, roots, forest }
  }

  // Adjacency (CSR). Weight = rtt + per-hop penalty.
  const off = new Int32Array(n + 1)
  for (const e of g.edges) { off[e.a + 1]!++; off[e.b + 1]!++ }
  for (let i = 0; i < n; i++) off[i + 1]! += off[i]!
  const nbr = new Int32Array(off[n]!)
  const wt = new Float64Array(off[n]!)
  {
    const fill = off.slice(0, n)
    for (const e of g.edges) {
      const w = e.rttMs + HOP_PENALTY_MS
      nbr[fill[e.a]!] = e.b; wt[fill[e.a]!++] = w
      nbr[fill[e.b]!] = e.a; wt[fill[e.b]!++] = w
    }
  }

  const seedTag = hash32(o.seed).toString(16)
  const hashOf = (tag: string, i: number): number => hash32(`${o.seed}\u0000${seedTag}\u0000${tag}\u0000${g.nodes[i]!.id}`)

  // Components of the eligible subgraph, ordered: the one reaching the most nodes first (then more eligible nodes,
  // then the lower root tie). Every component gets its own subtree in every tree (a forest): attested nodes that are
  // joined only through non-eligible nodes are all interior-eligible, not leaves of the largest group.
  const comp = new Int32Array(n).fill(-1)
  const stamp = new Int32Array(n).fill(-1)
  const stack: number[] = []
  const comps: { c: number; reach: number; elig: number; minTie: number; members: number[] }[] = []
  const rootTie = new Uint32Array(n)
  for (let i = 0; i < n; i++) if (eligible[i]) rootTie[i] = hashOf('root', i)
  for (let s = 0; s < n; s++) {
    if (!eligible[s] || comp[s]! >= 0) continue
    const c = comps.length
    let reach = 0, minTie = 0xffffffff
    const ms: number[] = []
    comp[s] = c; stack.push(s)
    while (stack.length > 0) {
      const v = stack.pop()!
      ms.push(v); reach++
      if (rootTie[v]! < minTie) minTie = rootTie[v]!
      for (let k = off[v]!; k < off[v + 1]!; k++) {
        const x = nbr[k]!
        if (eligible[x]) {
          if (comp[x]! < 0) { comp[x] = c; stack.push(x) }
        } else if (stamp[x] !== c) { stamp[x] = c; reach++ }
      }
    }
    ms.sort((a, b) => a - b)
    comps.push({ c, reach, elig: ms.length, minTie, members: ms })
  }
  comps.sort((x, y) => y.reach - x.reach || y.elig - x.elig || x.minTie - y.minTie || x.c - y.c)
  const reached = new Uint8Array(n)
  const members: number[] = [] // eligible nodes of every component
  for (let i = 0; i < n; i++) {
    if (!eligible[i]) continue
    members.push(i)
    reached[i] = 1
    for (let k = off[i]!; k < off[i + 1]!; k++) reached[nbr[k]!] = 1
  }

  // Penalty unit: median edge weight among edges touching an eligible node.
  const ws: number[] = []
  for (const v of members) for (let k = off[v]!; k < off[v + 1]!; k++) ws.push(wt[k]!)
  ws.sort((a, b) => a - b)
  const unit = ws.length > 0 ? ws[ws.length >> 1]! : HOP_PENALTY_MS

  // Home trees: a seeded balanced partition of each component's eligible nodes (per component, so that each
  // subtree's interior sets spread over the trees as a single component's do).
  const home = new Int32Array(n).fill(-1)
  const homeTie = new Uint32Array(n)
  for (const v of members) homeTie[v] = hashOf('home', v)
  for (const k of comps) {
    const order = k.members.slice().sort((a, b) => homeTie[a]! - homeTie[b]! || a - b)
    for (let r = 0; r < order.length; r++) home[order[r]!] = r % K
  }

  // Root candidates and their eccentricity (unbounded Dijkstra through eligible nodes), per component.
  const ecc = new Float64Array(n).fill(Infinity)
  const dist = new Float64Array(n)
  const done = new Uint8Array(n)
  const out: [number, number, number] = [0, 0, 0]
  const sssp = (src: number): number => {
    // Fills dist; returns the farthest eligible node (for sweeps); sets lastEcc.
    dist.fill(Infinity); done.fill(0)
    const h = new Heap(rootTie)
    dist[src] = 0; h.push(0, src, -1)
    let far = src
    lastEcc = 0
    while (h.size > 0) {
      h.pop(out)
      const d = out[0], v = out[1]
      if (done[v]) continue
      done[v] = 1
      if (d > lastEcc) lastEcc = d
      if (!eligible[v]) continue
      if (d > dist[far]! || (d === dist[far]! && rootTie[v]! < rootTie[far]!)) far = v
      for (let k = off[v]!; k < off[v + 1]!; k++) {
        const x = nbr[k]!, nd = d + wt[k]!
        if (nd < dist[x]!) { dist[x] = nd; h.push(nd, x, -1) }
      }
    }
    return far
  }
  let lastEcc = 0
  const maxCand = Math.max(ROOT_CANDIDATES, 2 * K)
  const candidatesOf = (ms: number[]): number[] => {
    if (ms.length <= maxCand) return ms
    let a = ms[0]!
    for (const v of ms) if (rootTie[v]! < rootTie[a]!) a = v
    const b = sssp(a)
    const c = sssp(b)
    const est = new Float64Array(n)
    for (const v of ms) est[v] = dist[v]!
    sssp(c)
    for (const v of ms) est[v] = Math.max(est[v]!, dist[v]!)
    return ms.slice().sort((x, y) => est[x]! - est[y]! || rootTie[x]! - rootTie[y]! || x - y).slice(0, maxCand)
  }
  const compCandidates = comps.map((k) => candidatesOf(k.members))
  for (const cs of compCandidates) for (const v of cs) { sssp(v); ecc[v] = lastEcc }

  // Tree construction.
  const interiorCount = new Int32Array(n)
  const pen = new Float64Array(n)
  const tie = new Uint32Array(n)
  const parent = new Int32Array(n)
  const childCount = new Int32Array(n)
  const cap = new Int32Array(n)
  const relaxed = new Uint8Array(n)
  const strandedFlag = new Uint8Array(n)
  const kids: number[][] = Array.from({ length: n }, () => [])
  const childrenSoFar = new Int32Array(n)
  let reachedCount = 0
  for (let i = 0; i < n; i++) reachedCount += reached[i]!
  const budget = childBudget(K, reachedCount, members.length)

  for (let t = 0; t < K; t++) {
    for (let i = 0; i < n; i++) {
      tie[i] = reached[i] ? hashOf(`tree${t}`, i) : 0
      pen[i] = eligible[i] ? unit * ((K > 1 && home[i] !== t ? HOME_PENALTY : 0) + REUSE_PENALTY * interiorCount[i]!) : 0
    }
    // One root per component, each chosen among its own candidates as a lone component's would be.
    const treeRoots = compCandidates.map((candidates) => {
      let root = candidates[0]!
      let rootScore = Infinity
      for (const v of candidates) {
        const s = ecc[v]! + pen[v]! + unit * childrenSoFar[v]!
        if (s < rootScore || (s === rootScore && (tie[v]! < tie[root]! || (tie[v] === tie[root] && v < root)))) { root = v; rootScore = s }
      }
      return root
    })
    roots.push(treeRoots[0]!)
    forest.push(treeRoots)

    parent.fill(NOT_IN_TREE); childCount.fill(0); relaxed.fill(0); strandedFlag.fill(0); dist.fill(Infinity)
    for (let i = 0; i < n; i++) {
      cap[i] = eligible[i] && reached[i] ? Math.min(maxDeg - 1, Math.max(0, budget - childrenSoFar[i]!)) : 0
      kids[i]!.length = 0
    }
    for (const r of treeRoots) cap[r] = maxDeg
    const heap = new Heap(tie)
    const attach = (w: number, p: number, cost: number): void => {
      parent[w] = p
      dist[w] = cost
      if (p >= 0) { childCount[p]!++; kids[p]!.push(w) }
      if (!eligible[w]) return
      const base = cost + pen[w]!
      for (let k = off[w]!; k < off[w + 1]!; k++) {
        const x = nbr[k]!
        if (parent[x] === NOT_IN_TREE && reached[x]) heap.push(base + wt[k]!, x, w)
      }
    }
    const isBelow = (q: number, c: number): boolean => {
      for (let v = q; v >= 0; v = parent[v]!) if (v === c) return true
      return false
    }
    const stranded: number[] = []
    let sp = 0
    // All roots at cost 0 (a multi-source Dijkstra): expansion goes through eligible nodes only, so each subtree stays
    // within its component, and a non-eligible node between components hangs under the nearer one.
    for (const r of treeRoots) attach(r, ROOT, 0)
    for (;;) {
      while (heap.size > 0) {
        heap.pop(out)
        const c = out[0], w = out[1], p = out[2]
        if (parent[w] !== NOT_IN_TREE) continue
        if (childCount[p]! >= cap[p]!) {
          if (!strandedFlag[w]) { strandedFlag[w] = 1; stranded.push(w) }
          continue
        }
        attach(w, p, c)
      }
      while (sp < stranded.length && parent[stranded[sp]!] !== NOT_IN_TREE) sp++
      if (sp >= stranded.length) break
      const w = stranded[sp++]!
      // Rescue w: swap first, relax the bound only if no swap exists.
      let bp = -1, bc = -1, bq = -1, bCost = Infinity, bcNew = 0
      for (let k = off[w]!; k < off[w + 1]!; k++) {
        const p = nbr[k]!
        if (!eligible[p] || parent[p] === NOT_IN_TREE) continue
        const wCost = dist[p]! + pen[p]! + wt[k]!
        for (const c of kids[p]!) {
          for (let j = off[c]!; j < off[c + 1]!; j++) {
            const q = nbr[j]!
            if (q === p || !eligible[q] || parent[q] === NOT_IN_TREE || childCount[q]! >= cap[q]!) continue
            const cNew = dist[q]! + pen[q]! + wt[j]!
            const total = wCost + cNew - dist[c]!
            if (total < bCost && !isBelow(q, c)) { bp = p; bc = c; bq = q; bCost = total; bcNew = cNew }
          }
        }
      }
      if (bp >= 0) {
        const ks = kids[bp]!
        ks.splice(ks.indexOf(bc), 1)
        childCount[bp]!--
        parent[bc] = bq; childCount[bq]!++; kids[bq]!.push(bc)
        const delta = bcNew - dist[bc]!
        const todo = [bc]
        while (todo.length > 0) { const v = todo.pop()!; dist[v]! += delta; for (const x of kids[v]!) todo.push(x) }
        let wCost = Infinity
        for (let k = off[w]!; k < off[w + 1]!; k++) if (nbr[k] === bp) wCost = Math.min(wCost, dist[bp]! + pen[bp]! + wt[k]!)
        attach(w, bp, wCost)
        continue
      }
      let rp = -1, rCost = Infinity, rRelaxed = 0
      for (let k = off[w]!; k < off[w + 1]!; k++) {
        const p = nbr[k]!
        if (!eligible[p] || parent[p] === NOT_IN_TREE) continue
        const cost = dist[p]! + pen[p]! + wt[k]!
        const r = relaxed[p]!
        if (r > rRelaxed || (r === rRelaxed && (cost < rCost || (cost === rCost && (tie[p]! < tie[rp]! || (tie[p] === tie[rp] && p < rp)))))) {
          rp = p; rCost = cost; rRelaxed = r
        }
      }
      // rp >= 0: w was stranded by an offer from an in-tree eligible neighbour.
      relaxed[rp] = 1
      cap[rp]!++
      attach(w, rp, rCost)
    }
    const pt = parents[t]!
    pt.set(parent)
    for (let i = 0; i < n; i++) if (childCount[i]! > 0) { interiorCount[i]!++; childrenSoFar[i]! += childCount[i]! }
  }
  return { parents, roots, forest }
}
