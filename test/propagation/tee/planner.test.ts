import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  childBudget, computeTrees, NOT_IN_TREE, ROOT, PlannerError,
  type PlanGraph, type PlanGraphNode, type PlanEdge, type PlannerOptions, type PlannedTrees,
} from '../../../src/propagation/tee/planner.ts'

/** mulberry32 PRNG. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = s
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const nodeId = (i: number): string => i.toString(16).padStart(8, '0').repeat(16)
const nodes = (n: number, f: (i: number) => Partial<PlanGraphNode> = () => ({})): PlanGraphNode[] =>
  Array.from({ length: n }, (_, i) => ({ id: nodeId(i), attested: true, excluded: false, ...f(i) }))

/** Random d-regular simple graph: circulant start, then random double-edge swaps (degree-preserving). */
function regularEdges(n: number, d: number, seed: number, rtt: (r: () => number) => number): PlanEdge[] {
  const r = prng(seed)
  const es: [number, number][] = []
  const key = (a: number, b: number): string => (a < b ? `${a},${b}` : `${b},${a}`)
  const set = new Set<string>()
  for (let i = 0; i < n; i++) for (let k = 1; k <= d / 2; k++) { const j = (i + k) % n; es.push([i, j]); set.add(key(i, j)) }
  for (let s = 0; s < es.length * 10; s++) {
    const x = Math.floor(r() * es.length), y = Math.floor(r() * es.length)
    const [a, b] = es[x]!, [c, e] = es[y]!
    if (a === e || c === b || a === c || b === e || set.has(key(a, e)) || set.has(key(c, b))) continue
    set.delete(key(a, b)); set.delete(key(c, e)); set.add(key(a, e)); set.add(key(c, b))
    es[x] = [a, e]; es[y] = [c, b]
  }
  return es.map(([a, b]) => ({ a, b, rttMs: rtt(r) }))
}
const randomRtt = (r: () => number): number => 5 + Math.floor(r() * 200)

function regularGraph(n: number, d: number, seed: number, rtt = randomRtt, f?: (i: number) => Partial<PlanGraphNode>): PlanGraph {
  return { nodes: nodes(n, f), edges: regularEdges(n, d, seed, rtt) }
}

const eligible = (v: PlanGraphNode): boolean => v.attested && !v.excluded

/** Eligible components (connected through eligible nodes only), as sets of eligible node indexes. */
function eligibleComponents(g: PlanGraph, adj: Set<number>[]): number[] {
  const comp = new Array<number>(g.nodes.length).fill(-1)
  let c = 0
  for (let s = 0; s < g.nodes.length; s++) {
    if (!eligible(g.nodes[s]!) || comp[s]! >= 0) continue
    const q = [s]
    comp[s] = c
    while (q.length > 0) for (const x of adj[q.pop()!]!) if (eligible(g.nodes[x]!) && comp[x]! < 0) { comp[x] = c; q.push(x) }
    c++
  }
  return comp
}

/**
 * Independent check of every tree; returns per-tree interior sets. A tree is a forest: one root per eligible
 * component (res.forest[t]), each eligible, and every node adjacent to an eligible node is in the tree.
 */
function check(g: PlanGraph, o: PlannerOptions, res: PlannedTrees, strictDegree = true): Set<number>[] {
  const n = g.nodes.length
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set())
  for (const e of g.edges) { adj[e.a]!.add(e.b); adj[e.b]!.add(e.a) }
  assert.equal(res.parents.length, o.trees)
  assert.equal(res.roots.length, o.trees)
  assert.equal(res.forest.length, o.trees)
  const comp = eligibleComponents(g, adj)
  const nComp = Math.max(-1, ...comp) + 1
  const interiors: Set<number>[] = []
  for (let t = 0; t < o.trees; t++) {
    const p = res.parents[t]!
    const roots = res.forest[t]!
    assert.equal(p.length, n)
    assert.equal(roots[0], res.roots[t], `tree ${t}: roots[t] is the forest's first root`)
    assert.equal(roots.length, nComp, `tree ${t}: one root per eligible component`)
    assert.equal(new Set(roots.map((r) => comp[r])).size, nComp, `tree ${t}: the roots are in different components`)
    for (const root of roots) {
      assert.ok(eligible(g.nodes[root]!), `tree ${t}: root ${root} is eligible`)
      assert.equal(p[root], ROOT)
    }
    // Reachable set from the roots: expand only through eligible nodes.
    const reach = new Set(roots)
    const q = [...roots]
    while (q.length > 0) {
      const v = q.pop()!
      if (!eligible(g.nodes[v]!)) continue
      for (const x of adj[v]!) if (!reach.has(x)) { reach.add(x); q.push(x) }
    }
    const children = new Int32Array(n)
    let edges = 0
    for (let i = 0; i < n; i++) {
      if (!reach.has(i)) { assert.equal(p[i], NOT_IN_TREE, `tree ${t}: node ${i} unreachable`); continue }
      if (roots.includes(i)) continue
      const par = p[i]!
      assert.ok(par >= 0 && par < n, `tree ${t}: node ${i} has a parent (${par})`)
      assert.ok(adj[i]!.has(par), `tree ${t}: parent edge ${par}-${i} exists in the graph`)
      children[par]!++
      edges++
    }
    assert.equal(edges, reach.size - roots.length)
    // Acyclic: every reachable node reaches a root within n steps, the root of its own component if eligible.
    for (const i of reach) {
      let v = i, steps = 0
      while (p[v] !== ROOT) { v = p[v]!; assert.ok(v >= 0, `tree ${t}: chain from ${i} ends at a root`); assert.ok(++steps <= n, `tree ${t}: cycle through ${i}`) }
      if (eligible(g.nodes[i]!)) assert.equal(comp[v], comp[i], `tree ${t}: node ${i} hangs in its own component's subtree`)
    }
    const interior = new Set<number>()
    for (let i = 0; i < n; i++) {
      if (children[i]! === 0) continue
      interior.add(i)
      assert.ok(eligible(g.nodes[i]!), `tree ${t}: interior node ${i} is eligible`)
      if (strictDegree) {
        const deg = children[i]! + (p[i] === ROOT ? 0 : 1)
        assert.ok(deg <= o.maxDegree, `tree ${t}: node ${i} degree ${deg} <= ${o.maxDegree}`)
      }
    }
    interiors.push(interior)
  }
  return interiors
}

function depth(p: Int32Array, root: number): number {
  let max = 0
  for (let i = 0; i < p.length; i++) {
    if (p[i] === NOT_IN_TREE) continue
    let d = 0
    for (let v = i; v !== root; v = p[v]!) d++
    max = Math.max(max, d)
  }
  return max
}

function meanJaccard(sets: Set<number>[]): number {
  let sum = 0, cnt = 0
  for (let a = 0; a < sets.length; a++) {
    for (let b = a + 1; b < sets.length; b++) {
      const A = sets[a]!, B = sets[b]!
      let inter = 0
      for (const x of A) if (B.has(x)) inter++
      sum += inter / (A.size + B.size - inter)
      cnt++
    }
  }
  return sum / cnt
}

test('planner: spanning, eligible-interior, degree-bounded trees on random 8-regular graphs (16 and 500 nodes)', () => {
  for (const n of [16, 500]) {
    for (const maxDegree of [3, 4, 6]) {
      const g = regularGraph(n, 8, n * 31 + maxDegree)
      const o = { trees: 4, maxDegree, seed: `s${n}` }
      check(g, o, computeTrees(g, o))
    }
  }
})

test('planner: maxDegree 2 (Hamiltonian path, NP-hard): few nodes exceed the bound and nobody is left out', () => {
  for (const n of [16, 100, 500]) {
    const g = regularGraph(n, 8, n * 17)
    const o = { trees: 4, maxDegree: 2, seed: `p${n}` }
    const res = computeTrees(g, o)
    check(g, o, res, false)
    for (const p of res.parents) {
      const deg = new Int32Array(n)
      for (let i = 0; i < n; i++) if (p[i]! >= 0) { deg[i]!++; deg[p[i]!]!++ }
      const over = Array.from(deg).filter((d) => d > 2)
      assert.ok(over.length <= Math.max(1, n / 20), `n=${n}: ${over.length} nodes over the bound`)
      const excess = over.reduce((a, d) => a + d - 2, 0)
      assert.ok(excess <= Math.max(2, n / 10), `n=${n}: over-bound degrees ${over.join(',')}`)
    }
  }
})

test('planner: upload budget: no node carries many more children over all trees than the mean (random 8-regular, K=4)', () => {
  for (const [n, seed] of [[200, 1], [1000, 2], [1000, 3]] as const) {
    const g = regularGraph(n, 8, seed)
    const o = { trees: 4, maxDegree: 6, seed: `u${seed}` }
    const res = computeTrees(g, o)
    check(g, o, res)
    const total = new Int32Array(n)
    for (const p of res.parents) for (let i = 0; i < n; i++) if (p[i]! >= 0) total[p[i]!]!++
    const budget = childBudget(4, n, n)
    assert.equal(budget, 6, 'the mean is 4 children per node over 4 trees; slack 1.5')
    const sorted = Array.from(total).sort((a, b) => a - b)
    // A root may take maxDegree children in its own tree, and a swap or relaxation may pass the budget by one.
    assert.ok(sorted[Math.floor(n * 0.99)]! <= budget, `n=${n}: p99 children ${sorted[Math.floor(n * 0.99)]}`)
    assert.ok(sorted[n - 1]! <= budget + 2, `n=${n}: most children ${sorted[n - 1]} (budget ${budget})`)
  }
})

test('planner: deterministic; the seed changes the plan', () => {
  const g = regularGraph(100, 8, 7)
  const a = computeTrees(g, { trees: 4, maxDegree: 6, seed: 'epoch-1' })
  const b = computeTrees(g, { trees: 4, maxDegree: 6, seed: 'epoch-1' })
  assert.deepEqual(a, b)
  const c = computeTrees(g, { trees: 4, maxDegree: 6, seed: 'epoch-2' })
  assert.notDeepEqual(a.parents, c.parents)
})

test('planner: interior sets overlap little across trees (mean pairwise Jaccard < 0.5, 100-node 8-regular, K=4)', () => {
  for (const seed of [1, 2, 3]) {
    const g = regularGraph(100, 8, seed)
    const o = { trees: 4, maxDegree: 6, seed: `j${seed}` }
    const res = computeTrees(g, o)
    const interiors = check(g, o, res)
    assert.equal(new Set(res.roots).size, 4, `roots rotate: ${res.roots.join(',')}`)
    const j = meanJaccard(interiors)
    assert.ok(j < 0.5, `seed ${seed}: mean Jaccard ${j.toFixed(3)} (interior sizes ${interiors.map((s) => s.size).join(',')})`)
    // Naive repeat (same tree K times) would give 1.
    const once = computeTrees(g, { ...o, trees: 1 })
    assert.equal(meanJaccard(check(g, { ...o, trees: 2 }, { parents: [once.parents[0]!, once.parents[0]!], roots: [once.roots[0]!, once.roots[0]!], forest: [once.forest[0]!, once.forest[0]!] })), 1)
  }
})

test('planner: every eligible component gets its own subtree (a forest); nodes next to no eligible node are NOT_IN_TREE', () => {
  // 0..5: eligible ring. 6: unattested, attached to 0. 7: attested, attached only to 6. 8: excluded, attached to 7.
  // 9-10: an eligible island (smaller), 10 attached to 6. 11: isolated eligible node. 12: unattested, attached to 8 only.
  const g: PlanGraph = {
    nodes: nodes(13, (i) => (i === 6 || i === 12 ? { attested: false } : i === 8 ? { excluded: true } : {})),
    edges: [
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ a: i, b: (i + 1) % 6, rttMs: 10 })),
      { a: 0, b: 6, rttMs: 10 }, { a: 6, b: 7, rttMs: 10 }, { a: 7, b: 8, rttMs: 10 },
      { a: 9, b: 10, rttMs: 10 }, { a: 10, b: 6, rttMs: 10 }, { a: 8, b: 12, rttMs: 10 },
    ],
  }
  const o = { trees: 3, maxDegree: 3, seed: 'x' }
  const res = computeTrees(g, o)
  check(g, o, res)
  for (const [t, p] of res.parents.entries()) {
    assert.equal(res.forest[t]!.length, 4, 'the ring, 7, 9-10 and 11')
    assert.ok([0, 7, 10].includes(p[6]!), 'the unattested node between the ring, 7 and 10 hangs under one of them')
    assert.equal(new Set([0, 7, 10].filter((x) => p[6] === x)).size, 1, 'under one only')
    assert.equal(p[11], ROOT, 'an isolated eligible node is a subtree of its own')
    assert.equal(p[8], 7, 'an excluded node is a leaf of its eligible neighbour')
    assert.equal(p[12], NOT_IN_TREE, 'next to no eligible node')
    for (const i of [0, 1, 2, 3, 4, 5, 7, 9, 10]) assert.notEqual(p[i], NOT_IN_TREE, `node ${i}`)
  }
})

test('planner: two attested components joined only through non-eligible nodes: both in every tree, one root each, degree bound kept', () => {
  // Two 40-node 6-regular attested groups (0..39, 40..79) and 6 unattested nodes (80..85) each linked to 2 nodes of
  // either group; 86 stock-side: excluded, linked to both groups. No attested link crosses.
  const a = regularEdges(40, 6, 3, randomRtt)
  const b = regularEdges(40, 6, 4, randomRtt).map((e) => ({ ...e, a: e.a + 40, b: e.b + 40 }))
  const cross: PlanEdge[] = []
  for (let u = 80; u < 86; u++) for (const k of [0, 1]) cross.push({ a: (u * 7 + k * 13) % 40, b: u, rttMs: 20 }, { a: 40 + ((u * 11 + k * 5) % 40), b: u, rttMs: 20 })
  cross.push({ a: 5, b: 86, rttMs: 20 }, { a: 45, b: 86, rttMs: 20 })
  const g: PlanGraph = { nodes: nodes(87, (i) => (i >= 80 && i < 86 ? { attested: false } : i === 86 ? { excluded: true } : {})), edges: [...a, ...b, ...cross] }
  for (const seed of ['s1', 's2']) {
    const o = { trees: 4, maxDegree: 5, seed }
    const res = computeTrees(g, o)
    const interiors = check(g, o, res)
    for (const [t, p] of res.parents.entries()) {
      assert.equal(res.forest[t]!.length, 2, `tree ${t}: one root per group`)
      assert.deepEqual(new Set(res.forest[t]!.map((r) => (r < 40 ? 'a' : 'b'))), new Set(['a', 'b']))
      for (let i = 0; i < 87; i++) assert.notEqual(p[i], NOT_IN_TREE, `tree ${t}: node ${i} is in the tree`)
      assert.ok([...interiors[t]!].some((i) => i < 40) && [...interiors[t]!].some((i) => i >= 40 && i < 80), `tree ${t}: both groups relay`)
    }
    // Every eligible node of both groups is interior in some tree or a leaf, never outside: interior-eligible.
    const relays = new Set(interiors.flatMap((x) => [...x]))
    assert.ok([...relays].every((i) => i < 80), 'only attested nodes relay')
  }
  // One component: one root per tree, as before the forest.
  const alone: PlanGraph = { nodes: nodes(40), edges: a }
  const o = { trees: 4, maxDegree: 5, seed: 's1' }
  const one = computeTrees(alone, o)
  assert.deepEqual(one.forest.map((r) => r.length), [1, 1, 1, 1])
})

test('planner: excluded and unattested nodes are leaves; everything reachable is covered', () => {
  const r = prng(99)
  const flags = Array.from({ length: 200 }, () => r())
  const g = regularGraph(200, 8, 5, randomRtt, (i) => ({ excluded: flags[i]! < 0.2, attested: flags[i]! >= 0.1 }))
  const o = { trees: 4, maxDegree: 4, seed: 'ex' }
  const res = computeTrees(g, o)
  check(g, o, res, false)
  for (const p of res.parents) {
    const isParent = new Set(Array.from(p).filter((x) => x >= 0))
    for (let i = 0; i < 200; i++) if (!eligible(g.nodes[i]!)) assert.ok(!isParent.has(i), `non-eligible ${i} is a leaf`)
    // With 8 neighbours of which ~80 % eligible, every node is reachable.
    assert.ok(Array.from(p).every((x) => x !== NOT_IN_TREE))
  }
})

test('planner: the degree bound is relaxed only where needed (hub with more leaf-only neighbours than the bound)', () => {
  // Eligible path 0-1-2-3; node 1 also has 6 unattested neighbours (4..9). maxDegree 3: node 1 must exceed it.
  const g: PlanGraph = {
    nodes: nodes(10, (i) => (i >= 4 ? { attested: false } : {})),
    edges: [{ a: 0, b: 1, rttMs: 1 }, { a: 1, b: 2, rttMs: 1 }, { a: 2, b: 3, rttMs: 1 }, ...[4, 5, 6, 7, 8, 9].map((i) => ({ a: 1, b: i, rttMs: 1 }))],
  }
  const o = { trees: 2, maxDegree: 3, seed: 'hub' }
  const res = computeTrees(g, o)
  check(g, o, res, false)
  for (const p of res.parents) {
    const deg = new Int32Array(10)
    for (let i = 0; i < 10; i++) if (p[i]! >= 0) { deg[i]!++; deg[p[i]!]!++ }
    for (let i = 0; i < 10; i++) if (i !== 1) assert.ok(deg[i]! <= 3, `only node 1 is over the bound (node ${i}: ${deg[i]})`)
    for (let i = 4; i < 10; i++) assert.equal(p[i], 1)
  }
  // Swap instead of relax: star-ish graph where greedy fills the root, but a child can move.
  // Root candidates 0; 0-1, 0-2, 1-2, 2-3 with 3 reachable only via 2... any spanning tree with max degree 2 is a path.
  const h: PlanGraph = {
    nodes: nodes(5),
    edges: [{ a: 0, b: 1, rttMs: 1 }, { a: 0, b: 2, rttMs: 1 }, { a: 0, b: 3, rttMs: 1 }, { a: 1, b: 2, rttMs: 50 }, { a: 3, b: 4, rttMs: 50 }, { a: 2, b: 4, rttMs: 50 }],
  }
  for (const seed of ['a', 'b', 'c', 'd']) {
    const oh = { trees: 3, maxDegree: 2, seed }
    check(h, oh, computeTrees(h, oh)) // a Hamiltonian path exists (1-0-3-4-2 or similar); no relaxation allowed
  }
})

test('planner: no eligible node -> every parent NOT_IN_TREE; empty graph; single node', () => {
  const g: PlanGraph = { nodes: nodes(3, () => ({ attested: false })), edges: [{ a: 0, b: 1, rttMs: 1 }] }
  const res = computeTrees(g, { trees: 2, maxDegree: 3, seed: '' })
  for (const p of res.parents) assert.deepEqual(Array.from(p), [NOT_IN_TREE, NOT_IN_TREE, NOT_IN_TREE])
  assert.deepEqual(res.roots, [NOT_IN_TREE, NOT_IN_TREE])
  assert.deepEqual(computeTrees({ nodes: [], edges: [] }, { trees: 1, maxDegree: 2, seed: '' }).roots, [NOT_IN_TREE])
  const one = computeTrees({ nodes: nodes(1), edges: [] }, { trees: 2, maxDegree: 2, seed: '' })
  assert.deepEqual(one.roots, [0, 0])
  assert.deepEqual(one.parents.map((p) => Array.from(p)), [[ROOT], [ROOT]])
})

test('planner: bad input throws PlannerError', () => {
  const g = (edges: PlanEdge[]): PlanGraph => ({ nodes: nodes(3), edges })
  const o = { trees: 2, maxDegree: 3, seed: 's' }
  assert.throws(() => computeTrees(g([{ a: 0, b: 3, rttMs: 1 }]), o), PlannerError)
  assert.throws(() => computeTrees(g([{ a: -1, b: 1, rttMs: 1 }]), o), PlannerError)
  assert.throws(() => computeTrees(g([{ a: 0.5, b: 1, rttMs: 1 }]), o), PlannerError)
  assert.throws(() => computeTrees(g([{ a: 1, b: 1, rttMs: 1 }]), o), PlannerError)
  assert.throws(() => computeTrees(g([{ a: 0, b: 1, rttMs: NaN }]), o), PlannerError)
  assert.throws(() => computeTrees(g([{ a: 0, b: 1, rttMs: Infinity }]), o), PlannerError)
  assert.throws(() => computeTrees(g([{ a: 0, b: 1, rttMs: -1 }]), o), PlannerError)
  assert.throws(() => computeTrees(g([]), { ...o, trees: 0 }), PlannerError)
  assert.throws(() => computeTrees(g([]), { ...o, trees: 1.5 }), PlannerError)
  assert.throws(() => computeTrees(g([]), { ...o, maxDegree: 1 }), PlannerError)
  assert.doesNotThrow(() => computeTrees(g([{ a: 0, b: 1, rttMs: 0 }]), o))
})

// Speed is a benchmark figure, not a test condition (the time is printed, not asserted: CI machines are noisy).
test('planner: depth <= 8 on a 500-node 8-regular graph with equal RTTs', () => {
  const g = regularGraph(500, 8, 42, () => 50)
  const o = { trees: 4, maxDegree: 6, seed: 'depth' }
  computeTrees(g, o) // warm-up (JIT)
  const t0 = performance.now()
  const res = computeTrees(g, o)
  const ms = performance.now() - t0
  const interiors = check(g, o, res)
  const depths = res.parents.map((p, t) => depth(p, res.roots[t]!))
  for (const d of depths) assert.ok(d <= 8, `depths ${depths.join(',')}`)
  console.log(`500 nodes, K=4: ${ms.toFixed(1)} ms, depths ${depths.join(',')}, interior sizes ${interiors.map((s) => s.size).join(',')}, mean Jaccard ${meanJaccard(interiors).toFixed(3)}`)
})
