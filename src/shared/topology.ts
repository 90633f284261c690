/**
 * Random connected D-regular peer graphs, deterministic from a seed.
 */
import { SeededRandom } from './rng.ts'

/** Undirected edges as [i, j] with i < j, sorted. */
export type Edge = [number, number]

export const TOPOLOGY_MAX_ATTEMPTS = 10_000

export function validateRegular(n: number, d: number): string | undefined {
  if (!Number.isInteger(n) || n < 2) return `--nodes must be an integer >= 2, got ${n}`
  if (!Number.isInteger(d) || d < 1) return `--degree must be an integer >= 1, got ${d}`
  if (d >= n) return `--degree ${d} needs more than ${d} nodes, got ${n}`
  if ((n * d) % 2 !== 0) return `a ${d}-regular graph on ${n} nodes does not exist (nodes x degree must be even)`
  if (d === 1 && n > 2) return `a 1-regular graph on ${n} nodes is not connected; use --degree >= 2`
  return undefined
}

export function randomRegularGraph(n: number, d: number, seed: string): Edge[] {
  const bad = validateRegular(n, d)
  if (bad !== undefined) throw new Error(bad)
  const rng = new SeededRandom(`topology/${n}/${d}/${seed}`)
  for (let attempt = 0; attempt < TOPOLOGY_MAX_ATTEMPTS; attempt++) {
    const edges = pairStubs(n, d, rng)
    if (edges !== undefined && isConnected(n, edges)) return edges.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  }
  throw new Error(`no connected ${d}-regular graph on ${n} nodes found in ${TOPOLOGY_MAX_ATTEMPTS} attempts`)
}

/**
 * Steger-Wormald pairing: join a random free stub to a random free stub that keeps the graph simple; start over
 * only when no such stub is left. Unlike the plain pairing model (retry the whole matching on any self-loop or
 * double edge), it succeeds quickly on dense graphs such as 16 nodes of degree 8.
 */
function pairStubs(n: number, d: number, rng: SeededRandom): Edge[] | undefined {
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

export function neighbours(n: number, edges: readonly Edge[]): number[][] {
  const adj: number[][] = Array.from({ length: n }, () => [])
  for (const [a, b] of edges) {
    adj[a]!.push(b)
    adj[b]!.push(a)
  }
  for (const l of adj) l.sort((x, y) => x - y)
  return adj
}

export function isConnected(n: number, edges: readonly Edge[]): boolean {
  const adj = neighbours(n, edges)
  const seen = new Set<number>([0])
  const stack = [0]
  while (stack.length > 0) {
    for (const m of adj[stack.pop()!]!) {
      if (!seen.has(m)) {
        seen.add(m)
        stack.push(m)
      }
    }
  }
  return seen.size === n
}
