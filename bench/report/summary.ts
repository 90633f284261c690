/**
 * summary.json, one file per bench run (documented field by field; every number is measured in that run):
 * { scenario, gitCommit, startedAt, finishedAt, modes: ModeResult[] }. nodes.csv has one NodeResult per line.
 */
import type { Percentiles } from '../stats/percentile.ts'
import type { Scenario } from '../scenario.ts'

export interface ModeResult {
  mode: string
  offeredTxPerS: number
  committed: number
  /** Sends refused by RPC after retries. */
  rejected: number
  /** Committed txs / (last inclusion seen - first send). */
  committedTxPerS: number
  /** RPC acceptance (client side) to the tx seen in a block by the poller, ms. */
  inclusionLatencyMs: Percentiles
  /** Per tx: ms from acceptance at its RPC node until 50 / 90 / 100 % of nodes first held it; percentiles over txs. */
  propagationMs: { to50: Percentiles; to90: Percentiles; to100: Percentiles }
  /** Share of txs that reached every node. */
  reachedAllNodes: number
  /** Mean over nodes, per committed tx, received. */
  perTxPerNode: {
    txMsgsIn: number
    txBytesIn: number
    blockBytesIn: number
    duplicateTxs: number
    byMessage: Record<string, { msgsIn: number; bytesIn: number }>
  }
  cpuSecondsPerNode: number
  peakRssMBMax: number
  /** Sorted time-to-all-nodes of every tx, ms: the latency CDF. */
  latencyCdfMs: number[]
}

export interface NodeResult {
  mode: string
  node: string
  peers: number
  cpuSeconds: number
  peakRssMB: number
  txMsgsIn: number
  txBytesIn: number
  duplicateTxs: number
}

export interface Summary {
  scenario: Scenario
  gitCommit: string
  startedAt: string
  finishedAt: string
  modes: ModeResult[]
}

export function nodesCsv(rows: NodeResult[]): string {
  const cols: (keyof NodeResult)[] = ['mode', 'node', 'peers', 'cpuSeconds', 'peakRssMB', 'txMsgsIn', 'txBytesIn', 'duplicateTxs']
  return [cols.join(','), ...rows.map((r) => cols.map((c) => (typeof r[c] === 'number' ? +(r[c] as number).toFixed(3) : r[c])).join(','))].join('\n') + '\n'
}

const f = (v: number | null, d = 1): string => (v === null ? '-' : v.toFixed(d))

export function markdownTable(s: Summary): string {
  const head = '| mode | committed | tx/s | tx msgs in/tx/node | tx bytes in/tx/node | dup txs/tx/node | to all nodes p50 / p99 ms | inclusion p50 / p99 ms | CPU s/node |'
  const sep = '|---|---|---|---|---|---|---|---|---|'
  const rows = s.modes.map(
    (m) =>
      `| ${m.mode} | ${m.committed}/${s.scenario.workload.count} | ${f(m.committedTxPerS)} | ${f(m.perTxPerNode.txMsgsIn, 2)} | ${f(m.perTxPerNode.txBytesIn, 0)} | ${f(m.perTxPerNode.duplicateTxs, 2)} | ${f(m.propagationMs.to100.p50, 0)} / ${f(m.propagationMs.to100.p99, 0)} | ${f(m.inclusionLatencyMs.p50, 0)} / ${f(m.inclusionLatencyMs.p99, 0)} | ${f(m.cpuSecondsPerNode, 1)} |`,
  )
  return [head, sep, ...rows].join('\n') + '\n'
}
