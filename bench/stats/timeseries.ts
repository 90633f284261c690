/**
 * A run's time series, in bins of `binSec` from the first measured send: committed tx/s (measured txs whose
 * inclusion the poller saw in the bin) and bytes/s received over all nodes (from samples of the nodes' cumulative
 * byte counters, spread evenly between two samples).
 */
export interface TimePoint {
  /** Start of the bin, seconds since the first measured send. */
  tSec: number
  committedTxPerS: number
  /** null where no pair of samples covers the bin. */
  bytesInPerS: number | null
}

export interface ByteSample {
  at: number
  /** Framed bytes received so far, summed over nodes and messages. */
  bytesIn: number
}

export function timeSeries(t0: number, includedAt: readonly number[], samples: readonly ByteSample[], binSec = 2): TimePoint[] {
  const ends = [...includedAt, ...samples.map((s) => s.at)]
  if (ends.length === 0) return []
  const bins = Math.max(0, Math.floor((Math.max(...ends) - t0) / (binSec * 1000))) + 1
  const out: TimePoint[] = Array.from({ length: bins }, (_, i) => ({ tSec: i * binSec, committedTxPerS: 0, bytesInPerS: null }))
  for (const t of includedAt) {
    const i = Math.floor((t - t0) / (binSec * 1000))
    if (i >= 0 && i < bins) out[i]!.committedTxPerS += 1 / binSec
  }
  const sorted = [...samples].sort((a, b) => a.at - b.at)
  for (const p of out) {
    const from = t0 + p.tSec * 1000
    const to = from + binSec * 1000
    // Bytes in [from, to): the samples around each end, linearly interpolated.
    const at = (t: number): number | null => {
      const j = sorted.findIndex((s) => s.at >= t)
      if (j <= 0) return j === 0 && sorted[0]!.at === t ? sorted[0]!.bytesIn : null
      const [a, b] = [sorted[j - 1]!, sorted[j]!]
      return a.bytesIn + ((b.bytesIn - a.bytesIn) * (t - a.at)) / (b.at - a.at)
    }
    const [x, y] = [at(from), at(to)]
    p.bytesInPerS = x !== null && y !== null ? (y - x) / binSec : null
  }
  return out
}
