/**
 * Random connected D-regular peer graphs, deterministic from a seed (pairing model: shuffle N*D stubs, pair them,
 * retry on self-loops, double edges or a disconnected result).
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
    const stubs: number[] = []
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) stubs.push(i)
    rng.shuffle(stubs)
    const seen = new Set<string>()
    const edges: Edge[] = []
    let ok = true
    for (let i = 0; i < stubs.length; i += 2) {
      const a = Math.min(stubs[i]!, stubs[i + 1]!)
      const b = Math.max(stubs[i]!, stubs[i + 1]!)
      const k = `${a}-${b}`
      if (a === b || seen.has(k)) {
        ok = false
        break
      }
      seen.add(k)
      edges.push([a, b])
    }
    if (ok && isConnected(n, edges)) return edges.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  }
  throw new Error(`no connected ${d}-regular graph on ${n} nodes found in ${TOPOLOGY_MAX_ATTEMPTS} attempts`)
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
