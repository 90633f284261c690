/**
 * randomRegularGraph keeps every seed's graph: the pairing now finds stubs through per-node counts instead of
 * scanning the free list, and must pick the very same stubs. The reference here is the plain scan it replaced
 * (the same Steger-Wormald steps, O(free stubs) each), run on the same seeds; the testnets and the simulator's
 * calibration rely on a seed naming one topology.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isConnected, randomRegularGraph, TOPOLOGY_MAX_ATTEMPTS, type Edge } from '../../src/shared/topology.ts'
import { SeededRandom } from '../../src/shared/rng.ts'

function scanPairStubs(n: number, d: number, rng: SeededRandom): Edge[] | undefined {
  const free: number[] = []
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) free.push(i)
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set())
  const edges: Edge[] = []
  while (free.length > 0) {
    const ai = rng.int(free.length)
    const a = free[ai]!
    const candidates: number[] = []
    for (let j = 0; j < free.length; j++) {
      const b = free[j]!
      if (b !== a && !adj[a]!.has(b)) candidates.push(j)
    }
    if (candidates.length === 0) return undefined
    const bj = candidates[rng.int(candidates.length)]!
    const b = free[bj]!
    adj[a]!.add(b)
    adj[b]!.add(a)
    edges.push([Math.min(a, b), Math.max(a, b)])
    for (const idx of [ai, bj].sort((x, y) => y - x)) free.splice(idx, 1)
  }
  return edges
}

function scanGraph(n: number, d: number, seed: string): Edge[] {
  const rng = new SeededRandom(`topology/${n}/${d}/${seed}`)
  for (let attempt = 0; attempt < TOPOLOGY_MAX_ATTEMPTS; attempt++) {
    const edges = scanPairStubs(n, d, rng)
    if (edges !== undefined && isConnected(n, edges)) return edges.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  }
  throw new Error('no graph')
}

test('randomRegularGraph gives the same graph for a seed as the plain scan of free stubs, dense and sparse', () => {
  const cases: [number, number][] = [[4, 3], [8, 4], [10, 6], [16, 8], [17, 8], [9, 8], [64, 8], [100, 6], [501, 4], [2000, 8]]
  for (const [n, d] of cases) for (const seed of ['a', 'b', '11', 'sim']) {
    assert.deepEqual(randomRegularGraph(n, d, seed), scanGraph(n, d, seed), `n ${n}, degree ${d}, seed ${seed}`)
  }
})

test('randomRegularGraph: every node has degree d, no loops or double edges, connected', () => {
  for (const [n, d] of [[16, 8], [1000, 8], [999, 6]] as const) {
    const edges = randomRegularGraph(n, d, 'x')
    const deg = new Array<number>(n).fill(0)
    const seen = new Set<string>()
    for (const [a, b] of edges) {
      assert.ok(a < b, `edge ${a}-${b} is ordered and not a loop`)
      assert.ok(!seen.has(`${a}-${b}`), `edge ${a}-${b} once`)
      seen.add(`${a}-${b}`)
      deg[a]!++
      deg[b]!++
    }
    assert.ok(deg.every((x) => x === d))
    assert.ok(isConnected(n, edges))
  }
})
