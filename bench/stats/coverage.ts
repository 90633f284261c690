/**
 * Propagation latency of one item: from its origin time (RPC acceptance, or sealing for a block) until it was first
 * seen at a given share of the nodes. `seenAt` holds each node's first-seen time (null: never seen).
 */
export interface Coverage {
  /** ms until >= 50 %, 90 %, 100 % of nodes had it; null when that share never had it. */
  p50: number | null
  p90: number | null
  p100: number | null
  /** Share of nodes that had it at all. */
  reached: number
}

export function coverage(originAt: number, seenAt: readonly (number | null)[]): Coverage {
  const n = seenAt.length
  const seen = seenAt.filter((t): t is number => t !== null).map((t) => Math.max(0, t - originAt)).sort((a, b) => a - b)
  const at = (share: number): number | null => {
    const k = Math.ceil(share * n)
    return k <= seen.length && k > 0 ? seen[k - 1]! : null
  }
  return { p50: at(0.5), p90: at(0.9), p100: at(1), reached: n === 0 ? 0 : seen.length / n }
}
