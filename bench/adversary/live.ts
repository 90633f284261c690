/**
 * A scenario's `adversaries:` on a real testnet: which node processes omit (marked in testnet.json before launch,
 * so that they start with the node's omission mode), the junk leaves (testnets/adversary/junk-leaf.ts) that run in
 * this process for the whole workload, and, in tee mode, a poller of the plan that records per epoch whether each
 * omitting relay may still relay (is interior). `adversaryFigures` turns what was seen into the figures of
 * ModeResult.adversaries: reach and bytes over honest nodes only.
 */
import { readFileSync } from 'node:fs'
import { createCommonFromGethGenesis } from '@ethereumjs/common'
import { hexToBytes } from '@ethereumjs/util'
import { rpcCall } from '../../src/rpc/client.ts'
import type { P2pStats, TeeStatus } from '../../src/rpc/teecast.ts'
import { readTestnet, writeTestnet, type TestnetDescription } from '../../testnets/description.ts'
import { JunkLeaf, type JunkLeafStats } from '../../testnets/adversary/junk-leaf.ts'
import type { AdversaryTarget } from '../../testnets/adversary/peer.ts'
import { adversaryCounts, type Scenario } from '../scenario.ts'
import type { AdversaryResult } from '../report/summary.ts'

export interface AdversaryPlan {
  junkLeaves: number
  /** Names of the omitting node processes. */
  omitting: string[]
}

/** The scenario's adversaries as whole nodes; the omitting relays are the last nodes (never a Clique signer). */
export function adversaryPlan(s: Scenario): AdversaryPlan | undefined {
  if (s.adversaries === undefined) return undefined
  const c = adversaryCounts(s.adversaries, s.network.nodes)
  const n = s.network.nodes
  return { junkLeaves: c.junkLeaves, omitting: Array.from({ length: c.omittingRelays }, (_, i) => `n${n - 1 - i}`) }
}

/** Marks the omitting nodes in DIR/testnet.json (read by `teecast node --dir`); before the launch. */
export function markOmitting(dir: string, plan: AdversaryPlan): void {
  if (plan.omitting.length === 0) return
  const d = readTestnet(dir)
  for (const x of d.nodes) if (plan.omitting.includes(x.name)) x.adversaryOmit = true
  writeTestnet(dir, d)
}

export const honestNodes = (d: TestnetDescription, plan: AdversaryPlan): TestnetDescription['nodes'] => d.nodes.filter((x) => !plan.omitting.includes(x.name))

interface EpochSighting {
  epoch: number
  /** ms since epoch when the poller first saw this plan. */
  seenAt: number
  /** Omitting relays that may relay (are interior) in it. */
  interiorOmitting: string[]
  /** Nodes in the plan (junk leaves an honest node reported as links can be in it, as leaves). */
  planNodes: number
}

export interface RunningAdversaries {
  /** Stops the junk leaves and the plan poller. */
  stop(): Promise<{ junk: JunkLeafStats; epochs: EpochSighting[]; startEpoch: number | null; counters?: Record<string, number> }>
}

/** Starts the junk leaves and (tee) the plan poller, as the workload starts. */
export async function startAdversaries(d: TestnetDescription, mode: string, plan: AdversaryPlan): Promise<RunningAdversaries> {
  const honest = honestNodes(d, plan)
  const genesis = JSON.parse(readFileSync(d.genesisPath, 'utf8'))
  const common = createCommonFromGethGenesis(genesis, { chain: 'teecast' })
  const g = await rpcCall<{ hash: string; difficulty: string }>(honest[0]!.rpcUrl, 'eth_getBlockByNumber', ['0x0', false])
  const genesisHash = hexToBytes(g.hash as `0x${string}`)
  common.setForkHashes(genesisHash)
  const targets: AdversaryTarget[] = honest.map((x) => ({ host: x.host, port: x.p2pPort, nodeId: x.nodeId, common }))
  const tee = mode === 'tee'
  const epochs: EpochSighting[] = []
  let epoch = 0
  const nodeIdOf = new Map(d.nodes.map((x) => [x.nodeId, x.name]))
  let counters0: Record<string, number> | undefined
  let counters: Record<string, number> | undefined
  const poll = async (): Promise<void> => {
    try {
      const st = await rpcCall<TeeStatus>(honest[0]!.rpcUrl, 'teecast_teeStatus', [], 5_000)
      counters0 ??= st.counters
      counters = st.counters
      if (st.epoch === null) return
      epoch = Math.max(epoch, st.epoch)
      if (epochs.at(-1)?.epoch === st.epoch) return
      epochs.push({ epoch: st.epoch, seenAt: Date.now(), planNodes: st.planNodes, interiorOmitting: st.interior.map((id) => nodeIdOf.get(id)).filter((n): n is string => n !== undefined && plan.omitting.includes(n)) })
    } catch {
      // A busy node misses a poll; the next one sees the same plan.
    }
  }
  if (tee) await poll()
  const startEpoch = tee ? (epochs.at(-1)?.epoch ?? null) : null
  const poller = tee ? setInterval(() => void poll(), 1_000) : undefined
  const leaves = Array.from({ length: plan.junkLeaves }, (_, i) =>
    new JunkLeaf({ protocol: tee ? 'tee' : 'eth', targets, first: i, genesisHash, genesisTd: BigInt(g.difficulty), epoch: () => epoch }))
  for (const l of leaves) l.start()
  return {
    async stop() {
      if (poller !== undefined) clearInterval(poller)
      if (tee) await poll()
      const stats = await Promise.all(leaves.map((l) => l.stop()))
      const delta = counters0 !== undefined && counters !== undefined ? Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, v - (counters0![k] ?? 0)])) : undefined
      return { junk: mergeJunkStats(stats), epochs, startEpoch, ...(delta !== undefined ? { counters: delta } : {}) }
    },
  }
}

function mergeJunkStats(all: JunkLeafStats[]): JunkLeafStats {
  const out: JunkLeafStats = { connections: 0, failedDials: 0, disconnectedBy: {}, disconnectedAfter: {}, notDisconnected: 0, sent: {}, disconnectAfterMs: [] }
  const add = <K extends string>(to: Partial<Record<K, number>>, from: Partial<Record<K, number>>) => {
    for (const [k, v] of Object.entries(from) as [K, number][]) to[k] = (to[k] ?? 0) + v
  }
  for (const s of all) {
    out.connections += s.connections
    out.failedDials += s.failedDials
    out.notDisconnected += s.notDisconnected
    add(out.disconnectedBy, s.disconnectedBy)
    add(out.disconnectedAfter, s.disconnectedAfter)
    add(out.sent, s.sent)
    out.disconnectAfterMs.push(...s.disconnectAfterMs)
  }
  out.disconnectAfterMs.sort((a, b) => a - b)
  return out
}

const sumBytesIn = (s: P2pStats): number => Object.values(s.messages).reduce((t, c) => t + c.bytesIn, 0)
/** Messages a relay sends on its own to pass txs on (pushes and announcements; not answers to requests). */
const RELAY_KEYS = ['eth/Transactions', 'eth/NewPooledTransactionHashes', 'tee/TxItems'] as const
const txMsgsOut = (s: P2pStats): number => RELAY_KEYS.reduce((t, k) => t + (s.messages[k]?.out ?? 0), 0)

/**
 * The figures over honest nodes: reach = share of (measured tx, honest node) pairs where the node held the tx; bytes
 * received (every protocol) per honest node per committed tx; what the omitting relays sent; and, in tee mode, per
 * omitting relay whether it was interior when the workload started and after how many epochs it no longer was.
 */
export function adversaryFigures(
  d: TestnetDescription,
  plan: AdversaryPlan,
  seen: { hashes: string[]; byNode: Record<string, number | null>[] },
  before: Map<string, P2pStats>,
  after: Map<string, P2pStats>,
  committed: number,
  live: Awaited<ReturnType<RunningAdversaries['stop']>>,
): AdversaryResult {
  const honestIdx = d.nodes.map((x, i) => [x, i] as const).filter(([x]) => !plan.omitting.includes(x.name))
  let pairs = 0
  let delivered = 0
  let all = 0
  for (const h of seen.hashes) {
    let here = 0
    for (const [, i] of honestIdx) if (seen.byNode[i]![h] != null) here++
    pairs += honestIdx.length
    delivered += here
    if (here === honestIdx.length) all++
  }
  const delta = (name: string, f: (s: P2pStats) => number) => f(after.get(name)!) - f(before.get(name)!)
  const honestBytes = honestIdx.reduce((t, [x]) => t + delta(x.name, sumBytesIn), 0)
  const protocols: Record<string, number> = {}
  for (const [x] of honestIdx) {
    const a = after.get(x.name)!
    const b = before.get(x.name)!
    for (const [k, c] of Object.entries(a.messages)) {
      const proto = k.split('/')[0]!
      protocols[proto] = (protocols[proto] ?? 0) + c.bytesIn - (b.messages[k]?.bytesIn ?? 0)
    }
  }
  const per = (bytes: number) => (committed > 0 && honestIdx.length > 0 ? bytes / honestIdx.length / committed : 0)
  const honestTxOut = honestIdx.reduce((t, [x]) => t + delta(x.name, txMsgsOut), 0) / Math.max(1, honestIdx.length)
  const exclusion = live.startEpoch === null
    ? undefined
    : plan.omitting.map((node) => {
        const start = live.startEpoch!
        const interiorAtStart = live.epochs.find((e) => e.epoch === start)?.interiorOmitting.includes(node) ?? false
        // Epochs (after the start) where a new plan made it a leaf, and where one let it relay again.
        let first: number | null = null
        const readmitted: number[] = []
        let excluded = 0
        let prevInterior = interiorAtStart
        const later = live.epochs.filter((e) => e.epoch > start)
        for (const e of later) {
          const interior = e.interiorOmitting.includes(node)
          if (!interior) {
            excluded++
            if (prevInterior) first ??= e.epoch - start
          } else if (!prevInterior && first !== null) readmitted.push(e.epoch - start)
          prevInterior = interior
        }
        return { node, interiorAtStart, firstExcludedAfterEpochs: first, readmittedAfterEpochs: readmitted, epochsExcluded: excluded, epochsSeen: later.length }
      })
  return {
    honestNodes: honestIdx.length,
    junkLeaves: plan.junkLeaves,
    omittingRelays: plan.omitting,
    reach: pairs > 0 ? delivered / pairs : 0,
    reachedAllHonest: seen.hashes.length > 0 ? all / seen.hashes.length : 0,
    bytesInPerHonestNodePerTx: per(honestBytes),
    bytesInPerHonestNodePerTxByProtocol: Object.fromEntries(Object.entries(protocols).map(([k, v]) => [k, per(v)])),
    omitting: plan.omitting.map((node) => ({ node, txMsgsOut: delta(node, txMsgsOut), honestMeanTxMsgsOut: honestTxOut })),
    junk: live.junk,
    ...(exclusion !== undefined ? { exclusion, epochs: live.epochs.map((e) => ({ epoch: e.epoch, planNodes: e.planNodes, interiorOmitting: e.interiorOmitting })) } : {}),
    ...(live.counters !== undefined ? { teeCounters: { node: honestIdx[0]![0].name, ...live.counters } } : {}),
  }
}
