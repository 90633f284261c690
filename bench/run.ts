/**
 * Runs a scenario: for each mode, a fresh testnet with the scenario's seed and topology, the workload, then the
 * measures of DESIGN.md collected from the nodes (teecast_p2pStats, teecast_firstSeen, /proc), the testnet stopped.
 * Results go to OUT/summary.json (schema in bench/report/summary.ts), OUT/nodes.csv, OUT/report.md and OUT/report.html.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET } from '../testnets/create.ts'
import { launchTestnet, stopTestnet } from '../testnets/launcher.ts'
import { runTransferWorkload } from '../testnets/workload.ts'
import { snapshotStats } from '../testnets/wire-report.ts'
import { rpcCall } from '../src/rpc/client.ts'
import type { PropagationMode } from '../src/propagation/interface.ts'
import type { Scenario } from './scenario.ts'
import { percentiles } from './stats/percentile.ts'
import { coverage } from './stats/coverage.ts'
import { wireCost } from './stats/wire.ts'
import { processUsage } from './process-usage.ts'
import type { ModeResult, NodeResult } from './report/summary.ts'

export interface RunOptions {
  outDir: string
  /** devp2p port of node 0; RPC and metrics ports follow. */
  basePort?: number
  onProgress?: (msg: string) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const FIRST_SEEN_BATCH = 5_000

async function firstSeen(url: string, hashes: string[]): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {}
  for (let i = 0; i < hashes.length; i += FIRST_SEEN_BATCH) Object.assign(out, await rpcCall(url, 'teecast_firstSeen', [hashes.slice(i, i + FIRST_SEEN_BATCH)]))
  return out
}

export async function runMode(s: Scenario, mode: PropagationMode, o: RunOptions): Promise<{ result: ModeResult; nodes: NodeResult[] }> {
  const dir = join(o.outDir, mode)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const base = o.basePort ?? 30600
  const n = s.network
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
  })
  try {
    o.onProgress?.(`${mode}: starting ${n.nodes} nodes`)
    const d = await launchTestnet(dir, { readyTimeoutMs: 120_000 })
    const cpu0 = new Map(d.nodes.map((x) => [x.name, processUsage(x.pid!)?.cpuSeconds ?? 0]))
    const before = await snapshotStats(d)
    o.onProgress?.(`${mode}: ${s.workload.count} txs at ${s.workload.rate} tx/s`)
    const w = await runTransferWorkload(d, { count: s.workload.count, rate: s.workload.rate, inclusionTimeoutMs: s.workload.timeoutSec * 1000 })
    await sleep(d.period * 1000)
    const after = await snapshotStats(d)
    const wire = wireCost(before, after, w.committed)
    // Propagation: from acceptance at the node that took the tx over RPC to first sight at every node.
    const hashes = w.sent.map((t) => t.hash)
    const seenByNode = await Promise.all(d.nodes.map((x) => firstSeen(x.rpcUrl, hashes)))
    const byName = new Map(d.nodes.map((x, i) => [x.name, i]))
    const cov = w.sent.map((t) => {
      const origin = seenByNode[byName.get(t.node)!]![t.hash] ?? t.acceptedAt
      return coverage(origin, seenByNode.map((m) => m[t.hash] ?? null))
    })
    const pick = (f: 'p50' | 'p90' | 'p100') => percentiles(cov.map((c) => c[f]).filter((v): v is number => v !== null))
    const inclusion = percentiles(w.sent.filter((t) => t.includedSeenAt !== undefined).map((t) => t.includedSeenAt! - t.acceptedAt))
    const nodes: NodeResult[] = d.nodes.map((x) => {
      const u = processUsage(x.pid!)
      const a = after.get(x.name)!
      const b = before.get(x.name)!
      const delta = (k: string, f: 'in' | 'bytesIn') => (a.messages[k]?.[f] ?? 0) - (b.messages[k]?.[f] ?? 0)
      return {
        mode,
        node: x.name,
        peers: a.peers,
        cpuSeconds: (u?.cpuSeconds ?? 0) - (cpu0.get(x.name) ?? 0),
        peakRssMB: u?.peakRssMB ?? 0,
        txMsgsIn: ['eth/Transactions', 'eth/NewPooledTransactionHashes', 'eth/GetPooledTransactions', 'eth/PooledTransactions'].reduce((t, k) => t + delta(k, 'in'), 0),
        txBytesIn: ['eth/Transactions', 'eth/NewPooledTransactionHashes', 'eth/GetPooledTransactions', 'eth/PooledTransactions'].reduce((t, k) => t + delta(k, 'bytesIn'), 0),
        duplicateTxs: a.duplicates.tx - b.duplicates.tx,
      }
    })
    const result: ModeResult = {
      mode,
      offeredTxPerS: s.workload.rate,
      committed: w.committed,
      rejected: w.rejected.length,
      committedTxPerS: w.txPerSecond,
      inclusionLatencyMs: inclusion,
      propagationMs: { to50: pick('p50'), to90: pick('p90'), to100: pick('p100') },
      reachedAllNodes: cov.filter((c) => c.reached === 1).length / Math.max(1, cov.length),
      perTxPerNode: { txMsgsIn: wire.txMsgsIn, txBytesIn: wire.txBytesIn, blockBytesIn: wire.blockBytesIn, duplicateTxs: wire.duplicateTxs, byMessage: wire.byMessage },
      cpuSecondsPerNode: nodes.reduce((t, x) => t + x.cpuSeconds, 0) / nodes.length,
      peakRssMBMax: Math.max(...nodes.map((x) => x.peakRssMB)),
      latencyCdfMs: cov.map((c) => c.p100).filter((v): v is number => v !== null).sort((a, b) => a - b),
    }
    return { result, nodes }
  } finally {
    await stopTestnet(dir)
    // Keep logs and testnet.json, drop the chain data.
    for (let i = 0; i < n.nodes; i++) rmSync(join(dir, `n${i}`), { recursive: true, force: true })
  }
}
