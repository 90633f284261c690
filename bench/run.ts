/**
 * Runs one mode of a scenario once: a fresh testnet with the scenario's seed and topology (and per-link values from
 * its regions, if any), the workload, then the measures of DESIGN.md collected from the nodes (teecast_p2pStats,
 * teecast_firstSeen, /proc), the testnet stopped. bench/scenario-run.ts runs every mode and repetition and writes
 * OUT/summary.json (schema in bench/report/summary.ts), OUT/nodes.csv, OUT/report.md and OUT/report.html.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET } from '../testnets/create.ts'
import { launchTestnet, stopTestnet } from '../testnets/launcher.ts'
import { readTestnet, writeTestnet, type TestnetDescription } from '../testnets/description.ts'
import { runWorkload, type LiveCounts, type LoadShape, type WorkloadResult } from './workload/workload.ts'
import { rampSteps } from './workload/open-loop.ts'
import { TX_KINDS } from './workload/tx-factory.ts'
import { resolveRegionLinks } from '../testnets/topology-file.ts'
import { portPairKey, type LinkSpecFile, type LinkSpecInput } from '../src/shared/linkemu/spec.ts'
import { snapshotStats } from './p2p-snapshot.ts'
import { rpcCall } from '../src/rpc/client.ts'
import type { P2pStats } from '../src/rpc/teecast.ts'
import type { PropagationMode } from '../src/propagation/interface.ts'
import { TX_MESSAGE_KEYS } from '../src/p2p/message-names.ts'
import type { Scenario } from './scenario.ts'
import { percentiles } from '../src/shared/percentile.ts'
import { coverage, type Coverage } from './stats/coverage.ts'
import { wireCost } from './stats/wire.ts'
import { maxSustainedTps, stepResults } from './stats/ramp.ts'
import { timeSeries, type ByteSample } from './stats/timeseries.ts'
import { nodeUsage } from './node-usage.ts'
import { measureClockOffset, type ClockOffset } from './clock-offset.ts'
import { waitUntilReady } from '../testnets/launcher.ts'
import type { ModeResult, NodeResult } from './report/summary.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { adversaryFigures, adversaryPlan, honestNodes, markOmitting, startAdversaries } from './adversary/live.ts'

export interface RunCounts extends LiveCounts {
  mode: string
  repetition: number
  repetitions: number
}

export interface RunOptions {
  outDir: string
  /** devp2p port of node 0; RPC and metrics ports follow. */
  basePort?: number
  onProgress?: (msg: string) => void
  /** Live counters of the running workload, about 4 times a second. */
  onCounts?: (c: RunCounts) => void
}

/** n0's head for the block count; a node too busy to answer three times gives NaN (the per-block figure is then 0). */
async function blockNumber(url: string): Promise<number> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return Number(await rpcCall<string>(url, 'eth_blockNumber', [], 20_000))
    } catch {
      await sleep(1000)
    }
  }
  return Number.NaN
}
const bytesSample = (m: Map<string, P2pStats>): ByteSample => ({ at: Date.now(), bytesIn: [...m.values()].reduce((t, x) => t + Object.values(x.messages).reduce((u, c) => u + c.bytesIn, 0), 0) })
const FIRST_SEEN_BATCH = 5_000

async function firstSeen(url: string, hashes: string[]): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {}
  for (let i = 0; i < hashes.length; i += FIRST_SEEN_BATCH) Object.assign(out, await rpcCall(url, 'teecast_firstSeen', [hashes.slice(i, i + FIRST_SEEN_BATCH)]))
  return out
}

/**
 * Per block from..to on `ref`'s chain: every node's first-seen time for it. A block's origin is its earliest
 * sighting, which is its sealer's (the sealer records it when sealed).
 */
async function blockSightings(d: TestnetDescription, ref: TestnetDescription['nodes'][number], from: number, to: number, offsets: Map<string, ClockOffset>): Promise<(number | null)[][]> {
  const hashes: string[] = []
  for (let n = from; n <= to; n++) {
    const b = await rpcCall<{ hash: string } | null>(ref.rpcUrl, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false], 20_000)
    if (b !== null) hashes.push(b.hash)
  }
  const seenByNode = await Promise.all(d.nodes.map(async (x) => onLocalClock(await firstSeen(x.rpcUrl, hashes), offsets.get(x.name))))
  return hashes.map((h) => seenByNode.map((m) => m[h] ?? null))
}

/** A node's first-seen times moved onto this process's clock (no offset = same clock). */
function onLocalClock(seen: Record<string, number | null>, offset: ClockOffset | undefined): Record<string, number | null> {
  if (offset === undefined) return seen
  return Object.fromEntries(Object.entries(seen).map(([h, t]) => [h, t === null ? null : t - offset.offsetMs]))
}

async function cpuAndRss(d: TestnetDescription): Promise<Map<string, { cpuSeconds: number; peakRssMB: number } | null>> {
  return new Map(await Promise.all(d.nodes.map(async (x) => [x.name, (await nodeUsage(x)).usage] as const)))
}

/** The load shape of a scenario's workload. */
export function loadShape(w: Scenario['workload']): LoadShape {
  if (w.kind === 'fixed-rate') return { kind: 'open', steps: [{ rate: w.rate, count: w.count }] }
  if (w.kind === 'ramp') return { kind: 'open', steps: rampSteps(w) }
  return { kind: 'closed', inFlight: w.inFlight, count: w.count }
}

/** testnet.json's link entry for the scenario: the common values plus, with regions, one entry per linked pair of nodes. */
export function testnetLinks(n: Scenario['network'], d: Pick<TestnetDescription, 'nodes'>): LinkSpecFile | undefined {
  if (n.regions === undefined) return n.link
  const pairs = resolveRegionLinks(n.regions, d.nodes.length)
  const byName = new Map(d.nodes.map((x) => [x.name, x]))
  const perLink: Record<string, LinkSpecInput> = {}
  for (const a of d.nodes) {
    for (const peer of a.peers) {
      const b = byName.get(peer)!
      const [x, y] = [a, b].sort((p, q) => p.p2pPort - q.p2pPort)
      perLink[portPairKey(x!.p2pPort, y!.p2pPort)] = pairs.get(`${x!.name}-${y!.name}`) ?? pairs.get(`${y!.name}-${x!.name}`)!
    }
  }
  return { ...(n.link ?? {}), perLink }
}

/** `label`: the mode's name in the results and its result dir (default the mode; `tee-clean` for a clean baseline). */
export async function runMode(s: Scenario, mode: PropagationMode, o: RunOptions, repetition = 1, label: string = mode): Promise<{ result: ModeResult; nodes: NodeResult[] }> {
  const dir = join(o.outDir, s.repetitions > 1 ? `${label}-r${repetition}` : label)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const base = o.basePort ?? 30600
  const n = s.network
  const w = s.workload
  createTestnet({
    ...DEFAULT_TESTNET,
    dir,
    nodes: n.nodes,
    signers: n.signers,
    degree: n.degree,
    seed: n.seed,
    period: n.period,
    accounts: n.accounts,
    propagation: mode,
    basePort: base,
    baseRpcPort: base + n.nodes,
    baseMetricsPort: 0,
    link: n.link,
    teeEpochMs: n.teeEpochSec * 1000,
  })
  if (n.regions !== undefined) {
    const t = readTestnet(dir)
    ;(t as { link?: LinkSpecFile }).link = testnetLinks(n, t)
    writeTestnet(dir, t)
  }
  const adversaries = adversaryPlan(s)
  if (adversaries !== undefined) markOmitting(dir, adversaries)
  const tag = s.repetitions > 1 ? `${label} #${repetition}` : label
  try {
    o.onProgress?.(`${tag}: starting ${n.nodes} nodes`)
    // Start-up is CPU-bound (every process loads the client): on 2 cores, 16 nodes need about a minute before RPC.
    const d = await launchTestnet(dir, { readyTimeoutMs: 60_000 + 10_000 * n.nodes })
    return await measureTestnet(d, s, label, o, repetition)
  } finally {
    await stopTestnet(dir)
    // Keep logs and testnet.json, drop the chain data.
    for (let i = 0; i < n.nodes; i++) rmSync(join(dir, `n${i}`), { recursive: true, force: true })
  }
}

/**
 * Runs the scenario's workload on a testnet that runs elsewhere (other hosts, Kubernetes): its testnet.json gives
 * RPC URLs and no local pids. CPU and RSS come from each node's /metrics, and first-seen times are moved onto this
 * process's clock by each node's measured offset (reported in the result).
 */
export async function runOnTestnet(d: TestnetDescription, s: Scenario, o: RunOptions, repetition = 1): Promise<{ result: ModeResult; nodes: NodeResult[] }> {
  // The omitting relays are chosen and started by runMode; a testnet run elsewhere has none of them.
  if (s.adversaries !== undefined) throw new Error(`scenario ${s.name} has adversaries: they need fresh local testnets (run it without --testnet)`)
  const modes = [...new Set(d.nodes.map((x) => x.propagation))]
  const mode = modes.length === 1 ? modes[0]! : 'mixed'
  o.onProgress?.(`${mode}: waiting for ${d.nodes.length} nodes (peers, block 1, synced)`)
  // Pods may still be pulling the image and starting: minutes on a large cluster.
  await waitUntilReady(d, d.nodes, { readyTimeoutMs: 600_000 + 5_000 * d.nodes.length, onProgress: o.onProgress })
  const offsets = new Map<string, ClockOffset>()
  for (const x of d.nodes) offsets.set(x.name, await measureClockOffset(x.rpcUrl))
  const worst = Math.max(...[...offsets.values()].map((c) => Math.abs(c.offsetMs)))
  o.onProgress?.(`${mode}: clock offsets measured, largest ${worst.toFixed(1)} ms`)
  return measureTestnet(d, s, mode, o, repetition, offsets)
}

/** The workload and the measures, on a running testnet. */
export async function measureTestnet(
  d: TestnetDescription,
  s: Scenario,
  mode: string,
  o: RunOptions,
  repetition: number,
  offsets: Map<string, ClockOffset> = new Map(),
): Promise<{ result: ModeResult; nodes: NodeResult[] }> {
  const n = s.network
  const w = s.workload
  const tag = s.repetitions > 1 ? `${mode} #${repetition}` : mode
  {
    let usage0 = await cpuAndRss(d)
    let before: Map<string, P2pStats> = await snapshotStats(d)
    // Cumulative bytes received by all nodes: at the snapshots, and every 2 s while the workload runs (bytes/s series).
    const samples: ByteSample[] = [bytesSample(before)]
    let head0 = await blockNumber(d.nodes[0]!.rpcUrl)
    let sampling = false
    const sampler = setInterval(() => {
      if (sampling) return
      sampling = true
      snapshotStats(d)
        .then((m) => samples.push(bytesSample(m)))
        // A node too busy to answer leaves a gap in the series (a null bin), not a failed run.
        .catch((err: Error) => o.onProgress?.(`${tag}: bytes sample skipped: ${err.message}`))
        .finally(() => {
          sampling = false
        })
    }, 2000)
    const shape = loadShape(w)
    const adversaries = adversaryPlan(s)
    // Adversaries act for the whole workload; honest users send to honest nodes.
    const live = adversaries !== undefined ? await startAdversaries(d, d.nodes[0]!.propagation, adversaries) : undefined
    if (adversaries !== undefined) o.onProgress?.(`${tag}: adversaries: ${adversaries.junkLeaves} junk leaves, omitting ${adversaries.omitting.join(', ') || 'none'}`)
    o.onProgress?.(`${tag}: ${w.kind} workload${w.warmupSec > 0 ? ` after ${w.warmupSec} s of warm-up` : ''}`)
    const r: WorkloadResult = await runWorkload(d, {
      ...(adversaries !== undefined ? { targets: honestNodes(d, adversaries) } : {}),
      shape,
      warmupSec: w.warmupSec,
      mix: w.mix,
      calldataBytes: w.calldataBytes,
      seed: n.seed,
      inclusionTimeoutMs: w.timeoutSec * 1000,
      onWarmupEnd:
        w.warmupSec > 0
          ? async () => {
              usage0 = await cpuAndRss(d)
              before = await snapshotStats(d)
              samples.push(bytesSample(before))
              head0 = await blockNumber(d.nodes[0]!.rpcUrl)
            }
          : undefined,
      onCounts: o.onCounts !== undefined ? (c) => o.onCounts!({ ...c, mode, repetition, repetitions: s.repetitions }) : undefined,
    })
    clearInterval(sampler)
    const seenAdversaries = await live?.stop()
    await sleep(d.period * 1000)
    const after = await snapshotStats(d)
    samples.push(bytesSample(after))
    const blocks = (await blockNumber(d.nodes[0]!.rpcUrl)) - head0
    const wire = wireCost(before, after, r.committed)
    const measured = r.sent.filter((t) => t.warmup !== true)
    const measuredRejected = r.rejected.filter((t) => t.warmup !== true)
    // Propagation: from acceptance at the node that took the tx over RPC to first sight at every node.
    const hashes = measured.map((t) => t.hash)
    const seenByNode = await Promise.all(d.nodes.map(async (x) => onLocalClock(await firstSeen(x.rpcUrl, hashes), offsets.get(x.name))))
    const byName = new Map(d.nodes.map((x, i) => [x.name, i]))
    const cov = measured.map((t) => {
      const origin = seenByNode[byName.get(t.node)!]![t.hash] ?? t.acceptedAt
      return coverage(origin, seenByNode.map((m) => m[t.hash] ?? null))
    })
    const pickFrom = (cs: Coverage[], f: 'p50' | 'p90' | 'p100') => percentiles(cs.map((c) => c[f]).filter((v): v is number => v !== null))
    const pick = (f: 'p50' | 'p90' | 'p100') => pickFrom(cov, f)
    // The newest block is left out: it may still be on its way when this runs.
    const blockCov = Number.isFinite(blocks) && blocks > 1
      ? (await blockSightings(d, d.nodes[0]!, head0 + 1, head0 + blocks - 1, offsets)).map((seen) => {
          const sighted = seen.filter((t): t is number => t !== null)
          return coverage(sighted.length > 0 ? Math.min(...sighted) : 0, seen)
        })
      : []
    const inclusionMs = measured.filter((t) => t.includedSeenAt !== undefined).map((t) => t.includedSeenAt! - t.acceptedAt)
    const inclusion = percentiles(inclusionMs)
    const t0 = measured.length > 0 ? Math.min(...measured.map((t) => t.sentAt)) : Date.now()
    const usage1 = await cpuAndRss(d)
    const nodes: NodeResult[] = d.nodes.map((x) => {
      const u = usage1.get(x.name)
      const a = after.get(x.name)!
      const b = before.get(x.name)!
      const delta = (k: string, f: 'in' | 'bytesIn') => (a.messages[k]?.[f] ?? 0) - (b.messages[k]?.[f] ?? 0)
      return {
        mode,
        repetition,
        node: x.name,
        peers: a.peers,
        cpuSeconds: (u?.cpuSeconds ?? 0) - (usage0.get(x.name)?.cpuSeconds ?? 0),
        // /proc gives the peak (VmHWM); /metrics the current RSS, so the larger of the two samples.
        peakRssMB: Math.max(u?.peakRssMB ?? 0, usage0.get(x.name)?.peakRssMB ?? 0),
        txMsgsIn: TX_MESSAGE_KEYS.reduce((t, k) => t + delta(k, 'in'), 0),
        txBytesIn: TX_MESSAGE_KEYS.reduce((t, k) => t + delta(k, 'bytesIn'), 0),
        duplicateTxs: a.duplicates.tx - b.duplicates.tx,
      }
    })
    const sendSpanS = measured.length > 1 ? (Math.max(...measured.map((t) => t.sentAt)) - Math.min(...measured.map((t) => t.sentAt))) / 1000 : 0
    const kinds: ModeResult['kinds'] = {}
    for (const k of TX_KINDS) {
      const mine = measured.filter((t) => t.kind === k)
      if (r.gasLimits?.[k] !== undefined) kinds[k] = { sent: mine.length, committed: mine.filter((t) => t.block !== undefined).length, gasLimit: r.gasLimits[k] }
    }
    const steps = w.kind === 'ramp' && r.steps !== undefined ? stepResults(r.steps, r.sent, r.rejected) : undefined
    const result: ModeResult = {
      mode,
      repetition,
      offeredTxPerS: w.kind === 'fixed-rate' ? w.rate : sendSpanS > 0 ? (measured.length - 1) / sendSpanS : 0,
      txs: measured.length + measuredRejected.length,
      warmupTxs: r.sent.length + r.rejected.length - measured.length - measuredRejected.length,
      committed: r.committed,
      rejected: measuredRejected.length,
      committedTxPerS: r.txPerSecond,
      inclusionLatencyMs: inclusion,
      propagationMs: { to50: pick('p50'), to90: pick('p90'), to100: pick('p100') },
      reachedAllNodes: cov.filter((c) => c.reached === 1).length / Math.max(1, cov.length),
      blockPropagationMs: { to50: pickFrom(blockCov, 'p50'), to90: pickFrom(blockCov, 'p90'), to100: pickFrom(blockCov, 'p100') },
      blocksReachedAllNodes: blockCov.filter((c) => c.reached === 1).length / Math.max(1, blockCov.length),
      perTxPerNode: { txMsgsIn: wire.txMsgsIn, txBytesIn: wire.txBytesIn, blockBytesIn: wire.blockBytesIn, duplicateTxs: wire.duplicateTxs, byMessage: wire.byMessage },
      blocks: Number.isFinite(blocks) ? blocks : 0,
      blockBytesInPerBlockPerNode: blocks > 0 ? (wire.blockBytesIn * r.committed) / blocks : 0,
      kinds,
      ...(r.contract !== undefined ? { contract: r.contract } : {}),
      cpuSecondsPerNode: nodes.reduce((t, x) => t + x.cpuSeconds, 0) / nodes.length,
      peakRssMBMax: Math.max(...nodes.map((x) => x.peakRssMB)),
      latencyCdfMs: cov.map((c) => c.p100).filter((v): v is number => v !== null).sort((a, b) => a - b),
      blockCdfMs: blockCov.map((c) => c.p100).filter((v): v is number => v !== null).sort((a, b) => a - b),
      inclusionCdfMs: [...inclusionMs].sort((a, b) => a - b),
      timeSeries: timeSeries(t0, measured.filter((t) => t.includedSeenAt !== undefined).map((t) => t.includedSeenAt!), samples),
      ...(steps !== undefined && w.kind === 'ramp' ? { steps, maxSustainedTps: maxSustainedTps(steps, w.maxLatencySec * 1000) } : {}),
      ...(adversaries !== undefined && seenAdversaries !== undefined
        ? { adversaries: adversaryFigures(d, adversaries, { hashes, byNode: seenByNode }, before, after, r.committed, seenAdversaries) }
        : {}),
      ...(offsets.size > 0 ? { clockOffsetsMs: Object.fromEntries([...offsets].map(([k, c]) => [k, { offsetMs: +c.offsetMs.toFixed(2), rttMs: +c.rttMs.toFixed(2) }])) } : {}),
    }
    return { result, nodes }
  }
}
