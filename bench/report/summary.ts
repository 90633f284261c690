/**
 * summary.json, one file per bench run (documented field by field; every number is measured in that run):
 * { scenario, gitCommit, startedAt, finishedAt, modes: ModeResult[], failed? }, one ModeResult per mode. With
 * `repetitions: R > 1` in the scenario, each mode runs R times on a fresh testnet: the mode's top-level fields are
 * its first repetition, `repetitions` holds all R results (same fields) and `headline` the mean / min / max over them
 * of the headline figures. nodes.csv has one NodeResult per line (per node, mode and repetition).
 *
 * Warm-up txs (`workload.warmupSec`) are sent before the measured ones and are left out of every figure but the wire
 * cost's denominator (counters are read when the warm-up ends, so warm-up traffic still in flight is counted).
 */
import type { Percentiles } from '../../src/shared/percentile.ts'
import type { Spread, StepResult } from '../stats/ramp.ts'
import type { Scenario } from '../scenario.ts'
import type { TimePoint } from '../stats/timeseries.ts'
import type { TxKind } from '../workload/tx-factory.ts'

/** A scenario's `adversaries:` in one run; every figure is over honest nodes (not the omitting relays). */
export interface AdversaryResult {
  honestNodes: number
  junkLeaves: number
  omittingRelays: string[]
  /** Share of (measured tx, honest node) pairs where the node came to hold the tx. */
  reach: number
  /** Share of measured txs that reached every honest node. */
  reachedAllHonest: number
  /** Bytes received over every protocol (p2p, eth, tee), per honest node per committed tx; and split by protocol. */
  bytesInPerHonestNodePerTx: number
  bytesInPerHonestNodePerTxByProtocol: Record<string, number>
  /** Per omitting relay: tx pushes and announcements it sent (eth Transactions + NewPooledTransactionHashes, tee TxItems), against an honest node's mean. */
  omitting: { node: string; txMsgsOut: number; honestMeanTxMsgsOut: number }[]
  /** What the junk leaves sent and how the honest nodes ended their connections. */
  junk: {
    connections: number
    failedDials: number
    disconnectedBy: Record<string, number>
    disconnectedAfter: Record<string, number>
    notDisconnected: number
    sent: Record<string, number>
    disconnectAfterMs: number[]
  }
  /**
   * tee: per omitting relay, over the plans seen after the one running when the workload started: whether it was
   * interior (may relay) in that first plan; how many epochs after it a plan first made it a leaf (null: never);
   * the epochs after which a plan let it relay again; in how many of the later plans it was a leaf, of how many seen.
   */
  exclusion?: { node: string; interiorAtStart: boolean; firstExcludedAfterEpochs: number | null; readmittedAfterEpochs: number[]; epochsExcluded: number; epochsSeen: number }[]
  /** tee: the plans seen during the workload: nodes in each (junk leaves can be leaves of it), omitting relays interior. */
  epochs?: { epoch: number; planNodes: number; interiorOmitting: string[] }[]
  /** tee: the first honest node's relay counters over the workload (teecast_teeStatus: floodFallbacks, repaired, itemsRefused, ...). */
  teeCounters?: Record<string, number | string>
}

export interface ModeResult {
  mode: string
  /** 1-based repetition this result comes from. */
  repetition: number
  /** fixed-rate: the scenario rate; ramp and fixed-load: measured txs / (last measured send - first), tx/s. */
  offeredTxPerS: number
  /** Measured txs the workload tried to send (accepted by RPC + refused); warm-up txs not included. */
  txs: number
  /** Warm-up txs sent (not in any figure). */
  warmupTxs: number
  /** Measured txs in blocks. */
  committed: number
  /** Measured sends refused by RPC after retries. */
  rejected: number
  /** Committed txs / (last inclusion seen - first measured send). */
  committedTxPerS: number
  /** RPC acceptance (client side) to the tx seen in a block by the poller, ms. */
  inclusionLatencyMs: Percentiles
  /** Per tx: ms from acceptance at its RPC node until 50 / 90 / 100 % of nodes first held it; percentiles over txs. */
  propagationMs: { to50: Percentiles; to90: Percentiles; to100: Percentiles }
  /** Share of txs that reached every node. */
  reachedAllNodes: number
  /**
   * Per block added to n0's chain between the stats snapshots (but the newest, which may still be in flight): ms
   * from its first sighting (at its sealer) until 50 / 90 / 100 % of nodes first held it, by whatever path (push,
   * announcement, tee, sync); percentiles over blocks.
   */
  blockPropagationMs: { to50: Percentiles; to90: Percentiles; to100: Percentiles }
  /** Share of those blocks that reached every node. */
  blocksReachedAllNodes: number
  /** Mean over nodes, per committed tx, received. */
  perTxPerNode: {
    txMsgsIn: number
    txBytesIn: number
    blockBytesIn: number
    duplicateTxs: number
    byMessage: Record<string, { msgsIn: number; bytesIn: number }>
  }
  /** Blocks added to n0's chain between the stats snapshots, and block-related bytes received per node per block. */
  blocks: number
  blockBytesInPerBlockPerNode: number
  /** Per tx kind of the mix: measured txs sent and committed, and the gas limit the workload gave them. */
  kinds: Partial<Record<TxKind, { sent: number; committed: number; gasLimit: number }>>
  /**
   * Remote testnets (bench run --testnet): per node, its clock minus the bench's, ms, and the probe's round trip
   * (the offset is exact to +- half of it). First-seen times were corrected by these offsets.
   */
  clockOffsetsMs?: Record<string, { offsetMs: number; rttMs: number }>
  /** The counter contract the contractCall txs call (mix with contractCall only). */
  contract?: string
  cpuSecondsPerNode: number
  peakRssMBMax: number
  /** The scenario's adversaries (scenario `adversaries:`); absent without them. */
  adversaries?: AdversaryResult
  /** Sorted time-to-all-nodes of every tx, ms: the latency CDF. */
  latencyCdfMs: number[]
  /** Sorted time-to-all-nodes of every measured block, ms (absent in runs before it was recorded). */
  blockCdfMs?: number[]
  /** Sorted inclusion latencies of the committed txs, ms. */
  inclusionCdfMs?: number[]
  /** Committed tx/s and bytes/s received over all nodes, in 2 s bins from the first measured send. */
  timeSeries?: TimePoint[]
  /**
   * ramp only: per step, offered tx/s, txs, committed and committedShare (of that step's txs), committedTxPerS
   * (measured txs seen in a block during the step's window / window length) and inclusion latency percentiles.
   */
  steps?: StepResult[]
  /**
   * ramp only: the highest offered rate of a step with >= 95 % of its txs committed and p99 inclusion latency <=
   * workload.maxLatencySec; null when no step qualifies.
   */
  maxSustainedTps?: number | null
  /** repetitions > 1 only: every repetition's result (the first is this one), CDFs and time series included. */
  repetitions?: Omit<ModeResult, 'repetitions' | 'headline'>[]
  /** repetitions > 1 only: mean / min / max over the repetitions. */
  headline?: Headline
}

export interface Headline {
  committedTxPerS: Spread
  inclusionP50Ms: Spread
  inclusionP99Ms: Spread
  toAllNodesP50Ms: Spread
  toAllNodesP99Ms: Spread
  txMsgsInPerTxPerNode: Spread
  txBytesInPerTxPerNode: Spread
  cpuSecondsPerNode: Spread
  /** ramp only. */
  maxSustainedTps?: Spread
}

export interface NodeResult {
  mode: string
  repetition: number
  node: string
  peers: number
  cpuSeconds: number
  peakRssMB: number
  txMsgsIn: number
  txBytesIn: number
  duplicateTxs: number
}

/** Where and how the run ran: what a reader needs to judge the figures. */
export interface Environment {
  nodeVersion: string
  platform: string
  cpuModel: string
  cpus: number
  /** 1, 5 and 15 min load averages when the run started and when it ended. */
  loadAverageStart: number[]
  loadAverageEnd: number[]
  /** Uncommitted changes to tracked files when the run started (null: not a git checkout). */
  gitDirty: boolean | null
}

export interface Summary {
  scenario: Scenario
  gitCommit: string
  /** Absent in runs recorded before it existed. */
  environment?: Environment
  startedAt: string
  finishedAt: string
  modes: ModeResult[]
  /** Runs that failed (and are in no figure), with the reason; absent when every run went through. */
  failed?: { mode: string; repetition: number; error: string }[]
}

export function nodesCsv(rows: NodeResult[]): string {
  const cols: (keyof NodeResult)[] = ['mode', 'repetition', 'node', 'peers', 'cpuSeconds', 'peakRssMB', 'txMsgsIn', 'txBytesIn', 'duplicateTxs']
  return [cols.join(','), ...rows.map((r) => cols.map((c) => (typeof r[c] === 'number' ? +(r[c] as number).toFixed(3) : r[c])).join(','))].join('\n') + '\n'
}

/** nodes.csv back into rows (the file nodesCsv writes: no quoting, since no field holds a comma). */
export function parseNodesCsv(text: string): NodeResult[] {
  const [head, ...lines] = text.trim().split('\n')
  const cols = head!.split(',') as (keyof NodeResult)[]
  return lines.map((line) => {
    const cells = line.split(',')
    return Object.fromEntries(cols.map((c, i) => [c, c === 'mode' || c === 'node' ? cells[i] : Number(cells[i])])) as unknown as NodeResult
  })
}

const f = (v: number | null | undefined, d = 1): string => (v === null || v === undefined ? '-' : v.toFixed(d))
const sp = (s: Spread | undefined, d = 1): string => (s === undefined || s.mean === null ? '-' : `${f(s.mean, d)} (${f(s.min, d)}-${f(s.max, d)})`)

function row(m: ModeResult, label = m.mode): string {
  return `| ${label} | ${m.committed}/${m.txs} | ${f(m.committedTxPerS)} | ${f(m.perTxPerNode.txMsgsIn, 2)} | ${f(m.perTxPerNode.txBytesIn, 0)} | ${f(m.perTxPerNode.duplicateTxs, 2)} | ${f(m.propagationMs.to100.p50, 0)} / ${f(m.propagationMs.to100.p99, 0)} | ${f(m.inclusionLatencyMs.p50, 0)} / ${f(m.inclusionLatencyMs.p99, 0)} | ${f(m.blockBytesInPerBlockPerNode, 0)} | ${f(m.blockPropagationMs?.to100.p50, 0)} / ${f(m.blockPropagationMs?.to100.p99, 0)} | ${f(m.cpuSecondsPerNode, 1)} |`
}

/**
 * Each mode's max sustained tx/s against stock's in the same repetition (the repetitions interleave the modes, so a
 * pair ran minutes apart under the same load), and the ratio of the means; undefined without a stock ramp.
 */
export function sustainedAgainstStock(ramps: readonly ModeResult[]): string | undefined {
  const stock = ramps.find((m) => m.mode === 'stock')
  if (stock === undefined) return undefined
  const reps = (m: ModeResult): (number | null)[] => (m.repetitions ?? [m]).map((r) => r.maxSustainedTps ?? null)
  const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a === null || a === undefined || b === null || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`)
  const base = reps(stock)
  const parts = ramps
    .filter((m) => m !== stock)
    .map((m) => {
      const own = reps(m)
      const paired = own.map((v, i) => ratio(v, base[i])).join(', ')
      const means = ratio(m.headline?.maxSustainedTps?.mean ?? own[0], stock.headline?.maxSustainedTps?.mean ?? base[0])
      return own.length > 1 ? `${m.mode} ${paired} (ratio of the means ${means})` : `${m.mode} ${paired}`
    })
  return parts.length === 0 ? undefined : `max sustained tx/s against stock, repetition by repetition: ${parts.join('; ')}`
}

export function markdownTable(s: Summary): string {
  const head = '| mode | committed | tx/s | tx msgs in/tx/node | tx bytes in/tx/node | dup txs/tx/node | to all nodes p50 / p99 ms | inclusion p50 / p99 ms | block bytes in/block/node | block to all nodes p50 / p99 ms | CPU s/node |'
  const sep = '|---|---|---|---|---|---|---|---|---|---|---|'
  const rows = s.modes.flatMap((m) => (m.repetitions === undefined ? [row(m)] : m.repetitions.map((r) => row(r as ModeResult, `${m.mode} #${r.repetition}`))))
  const out = [head, sep, ...rows]
  const withHeadline = s.modes.filter((m) => m.headline !== undefined)
  if (withHeadline.length > 0) {
    out.push('', '| mode | repetitions | tx/s mean (min-max) | inclusion p50 ms | to all nodes p50 ms | tx msgs in/tx/node | max sustained tx/s |', '|---|---|---|---|---|---|---|')
    for (const m of withHeadline) {
      const h = m.headline!
      out.push(`| ${m.mode} | ${m.repetitions!.length} | ${sp(h.committedTxPerS)} | ${sp(h.inclusionP50Ms, 0)} | ${sp(h.toAllNodesP50Ms, 0)} | ${sp(h.txMsgsInPerTxPerNode, 2)} | ${sp(h.maxSustainedTps)} |`)
    }
  }
  const ramps = s.modes.filter((m) => m.steps !== undefined)
  if (ramps.length > 0) {
    out.push('', '| mode | offered tx/s | txs | committed | committed tx/s | inclusion p50 / p99 ms |', '|---|---|---|---|---|---|')
    for (const m of ramps) {
      // With repetitions, the steps are those of the first (each repetition's are in summary.json).
      const label = m.repetitions === undefined ? m.mode : `${m.mode} #1`
      for (const st of m.steps!) out.push(`| ${label} | ${f(st.offeredTxPerS)} | ${st.txs} | ${(st.committedShare * 100).toFixed(0)} % | ${f(st.committedTxPerS)} | ${f(st.inclusionLatencyMs.p50, 0)} / ${f(st.inclusionLatencyMs.p99, 0)} |`)
    }
    const sustained = (m: ModeResult): string => (m.headline?.maxSustainedTps !== undefined ? `${sp(m.headline.maxSustainedTps)} over ${m.repetitions!.length} repetitions` : f(m.maxSustainedTps))
    out.push('', `max sustained tx/s (>= 95 % committed, p99 inclusion <= ${s.scenario.workload.kind === 'ramp' ? s.scenario.workload.maxLatencySec : '-'} s): ${ramps.map((m) => `${m.mode} ${sustained(m)}`).join(', ')}`)
    const against = sustainedAgainstStock(ramps)
    if (against !== undefined) out.push('', against)
  }
  const adv = s.modes.flatMap((m) => m.repetitions ?? [m]).filter((m) => m.adversaries !== undefined) as ModeResult[]
  if (adv.length > 0) {
    out.push('', '| mode | honest nodes | junk leaves | omitting relays | reach (tx, honest node) | txs to every honest node | bytes in/tx/honest node (all protocols) | junk connections dropped by honest nodes | omitting relay tx msgs out (honest mean) | omitting relays excluded (epochs after the start) |', '|---|---|---|---|---|---|---|---|---|---|')
    for (const m of adv) {
      const a = m.adversaries!
      const dropped = Object.values(a.junk.disconnectedBy).reduce((t, v) => t + v, 0)
      const excl = a.exclusion === undefined
        ? '-'
        : a.exclusion.map((e) => `${e.node}: ${!e.interiorAtStart ? 'not interior at start; ' : ''}${e.firstExcludedAfterEpochs === null ? 'not excluded' : `first after ${e.firstExcludedAfterEpochs}`}${e.readmittedAfterEpochs.length > 0 ? `, readmitted after ${e.readmittedAfterEpochs.join(', ')}` : ''}; a leaf in ${e.epochsExcluded}/${e.epochsSeen} plans`).join(', ') || '-'
      const omit = a.omitting.map((o) => `${o.node} ${o.txMsgsOut} (${f(o.honestMeanTxMsgsOut, 0)})`).join(', ') || '-'
      out.push(`| ${m.mode}${m.repetitions !== undefined || s.scenario.repetitions > 1 ? ` #${m.repetition}` : ''} | ${a.honestNodes} | ${a.junkLeaves} | ${a.omittingRelays.join(' ') || '-'} | ${(a.reach * 100).toFixed(2)} % | ${(a.reachedAllHonest * 100).toFixed(1)} % | ${f(a.bytesInPerHonestNodePerTx, 0)} | ${dropped}/${a.junk.connections} | ${omit} | ${excl} |`)
    }
  }
  for (const x of s.failed ?? []) out.push('', `FAILED: ${x.mode}${s.scenario.repetitions > 1 ? ` #${x.repetition}` : ''}: ${x.error}`)
  return out.join('\n') + '\n'
}
