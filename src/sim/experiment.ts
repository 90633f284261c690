/**
 * One simulated experiment: a random D-regular network of N nodes, a tx workload from random live origins, optional
 * crashes of a share of the nodes at one instant and message drops, run for either the tee broadcast or an eth/68
 * rule (stock, geth, flood). Deterministic for a seed. Reach is judged against the live nodes still connected to an
 * item's origin at the end of the run.
 */
import { createHash } from 'node:crypto'
import { deriveKey, nodePublicKey } from '../shared/keys.ts'
import { randomRegularGraph } from '../shared/topology.ts'
import { SeededRandom } from '../shared/rng.ts'
import { createEthCore } from '../propagation/registry.ts'
import type { PropagationMode } from '../propagation/interface.ts'
import type { TeeParams } from '../propagation/tee/params.ts'
import type { SignedPlan } from '../propagation/tee/messages.ts'
import { SimulatedQuotingEnclave, produceQuote } from '../tee/qe.ts'
import { createAttestationRoot } from '../tee/root.ts'
import { bundleProgram } from '../tee/sim/bundle.ts'
import { mrSignerOf } from '../tee/sim/sigstruct.ts'
import { COORDINATOR_PROGRAM } from '../tee/programs/index.ts'
import { relayAuthority } from '../tee/plan-auth.ts'
import type { Policy } from '../tee/policy.ts'
import { generateP256 } from '../tee/crypto.ts'
import { percentile } from '../shared/percentile.ts'
import { ItemTracker } from './items.ts'
import { SimNetwork } from './network.ts'
import { SimTeeNode } from './tee-node.ts'
import { syntheticPayload } from './synthetic-items.ts'
import { SimEthNode } from './eth-node.ts'
import { SimChain } from './chain.ts'

export type SimMode = 'tee' | PropagationMode

export interface SimScenario {
  mode: SimMode
  nodes: number
  degree: number
  seed: string
  /** Share of nodes with an enclave (tee only); the rest speak tee/1 as unattested leaves. */
  teeFraction: number
  items: number
  rateTps: number
  /** Encoded tx size, bytes. */
  txBytes: number
  /** One-way link latency range, ms (uniform per link, from the seed). Unused with `regions`. */
  latencyMs: [number, number]
  /**
   * Regions instead of `latencyMs`: each node is put in one region (uniform, from the seed), and a link's one-way
   * latency is half the RTT between its ends' regions (as bench/topologies/three-regions.yaml and FRing).
   */
  regions?: SimRegions
  jitterMs: number
  dropRate: number
  /** Share of nodes that crash at `crashAtMs` (never an item's origin after that). */
  crashFraction: number
  crashAtMs: number
  /** How long each peer of a crashed node takes to notice (network.ts): ms, a per-link [min, max], or Infinity. */
  detectMs: number | readonly [number, number]
  /** Crash runs: the window after the crash for `afterCrash` (copies of txs published in it; reach of later txs). */
  crashWindowMs: number
  /** Churn: share of links that drop once, at a uniform time during the workload, and reconnect after churnDownMs. */
  churnFraction: number
  /** How long a churned link stays down, ms (uniform in the range, from the seed). */
  churnDownMs: [number, number]
  /** Nodes that forward nothing (still answer pulls): the omission fault. */
  omittingFraction: number
  /** Workload starts here (after the first plan, for tee). */
  startMs: number
  /**
   * tee: first run until every live node holds a plan naming every node (as `testnet up` waits for one), then run the
   * scenario from there: its times (start, crash, slots) count from that moment, and the message and byte counts
   * from the workload's start, as the testnet bench counts. Without it the first epoch's reports and plan are counted.
   */
  afterPlan?: boolean
  /**
   * tee, tests: called once the nodes are started, with their relays and ids and a way to schedule probes and crashes
   * on the virtual clock (e.g. to read each node's bootstrap root, or to crash the root before it plans).
   */
  inspect?: (h: SimInspect) => void
  /** Time after the last item for delivery and repair. */
  drainMs: number
  /**
   * Blocks: one block per slot of this many ms (0: no blocks, a tx-only run), sealed by one proposer per slot drawn
   * from the seed, holding the txs in the proposer's pool up to `blockGasLimit` (chain.ts).
   */
  blockIntervalMs: number
  /** Gas limit of a block; every simulated tx is a 21,000-gas transfer. */
  blockGasLimit: number
  /** Each node's upload rate, Mbit/s (Infinity: unlimited). Sends queue behind the node's uplink (network.ts). */
  uploadMbps: number
  /** How long a node takes to handle one received message, ms; a node handles one at a time (network.ts). */
  handleMs: number
  /** eth modes: how long a node's pool takes to add one received tx, ms; the core sees a tx message after (eth-node.ts). */
  poolAddMs: number
  /** Also return each judged tx's publication time and time to 95 % of eligible nodes (`itemTimes`). */
  keepItemTimes?: boolean
  /** tee: check every relay's invariants after every event it handles (tests; throws on the first violation). */
  checkInvariants?: boolean
  /** Called after each virtual second of the run with how far it is (a run of thousands of nodes takes minutes). */
  progress?: (p: SimProgress) => void
  /** Tests: the links, instead of a random `degree`-regular graph (node indexes below `nodes`). */
  edges?: readonly (readonly [number, number])[]
  /** tee, tests: the nodes with an enclave, instead of a `teeFraction` drawn from the seed. */
  attestedNodes?: readonly number[]
  /** eth modes: the tick of the eth/68 node drivers (ms). tee nodes wake at their relay's deadlines instead. */
  tee: Partial<TeeParams>
}

/**
 * The node timing calibrated against the tee16 testnet (bench/calibrate.ts; docs/simulator.md): its 16 node processes
 * share 2 cores. `poolAddMs`: the client's pool add of a received tx (sender recovery and state reads, awaited), 20 ms
 * there; the eth/68 announcement counts stop changing from about 15 ms up. `handleMs`: the wait and work per received
 * message of a node that shares its core with seven others, 4 ms. Both are that host's (its 16 nodes share 2 cores),
 * so the CLI and runExperiment default to 0 (the figures published before them stay reproducible) and the calibration
 * sets them; `handleMs` would not even fit a big run: a 500-node stock run at 50 tx/s hands each node about 360
 * messages a second, which at 4 ms each is more than one core.
 */
export const TESTNET_CALIBRATION = { poolAddMs: 20, handleMs: 4 } as const

/** How far a run is: virtual time reached, the run's end, and events handled so far. */
export interface SimProgress {
  virtualMs: number
  endMs: number
  events: number
}

/** What `SimScenario.inspect` is given. */
export interface SimInspect {
  relays: readonly SimTeeNode['relay'][]
  ids: readonly string[]
  at(t: number, f: () => void): void
  crash(i: number): void
  alive(i: number): boolean
}

export interface SimRegions {
  names: string[]
  /** Round-trip time between regions, ms, by "a-b" (either order; "a-a" inside a region). Every pair is needed. */
  rttMs: Record<string, number>
}

/** FRing's RTT tiers on three regions: 20 ms inside one, 80 ms between the near two, 200 ms to the far one. */
export const FRING_REGIONS: SimRegions = {
  names: ['eu', 'us', 'asia'],
  rttMs: { 'eu-eu': 20, 'us-us': 20, 'asia-asia': 20, 'eu-us': 80, 'eu-asia': 200, 'us-asia': 200 },
}

/** A link's key in a network of `nodes`, the same for a-b and b-a. */
const linkKeyOf = (nodes: number, a: number, b: number): number => Math.min(a, b) * nodes + Math.max(a, b)

/**
 * Per link a-b (keyed by linkKeyOf), its one-way latency, ms: with `regions` half the RTT between the ends'
 * regions, else uniform in `latencyMs`. Also each node's region index (all 0 without regions). Draws from the
 * experiment's stream as before when there are no regions (seeded runs stay the same); regions draw from their own.
 */
export function linkLatencies(s: Pick<SimScenario, 'nodes' | 'seed' | 'latencyMs' | 'regions'>, edges: readonly (readonly [number, number])[], rng: SeededRandom): { latency: Map<number, number>; regionOf: Int32Array } {
  const latency = new Map<number, number>()
  const regionOf = new Int32Array(s.nodes)
  const key = (a: number, b: number): number => linkKeyOf(s.nodes, a, b)
  const r = s.regions
  if (r === undefined) {
    for (const [a, b] of edges) latency.set(key(a, b), s.latencyMs[0] + rng.next() * (s.latencyMs[1] - s.latencyMs[0]))
    return { latency, regionOf }
  }
  if (r.names.length === 0) throw new Error('sim: regions need at least one region name')
  const rtt = (x: string, y: string): number => {
    const v = r.rttMs[`${x}-${y}`] ?? r.rttMs[`${y}-${x}`]
    if (v === undefined || !(v >= 0)) throw new Error(`sim: no RTT >= 0 for regions ${x}-${y} (have ${Object.keys(r.rttMs).join(', ')})`)
    return v
  }
  const oneWay = r.names.map((x) => r.names.map((y) => rtt(x, y) / 2))
  const regionRng = new SeededRandom(`${s.seed}/regions`)
  for (let i = 0; i < s.nodes; i++) regionOf[i] = regionRng.int(r.names.length)
  for (const [a, b] of edges) latency.set(key(a, b), oneWay[regionOf[a]!]![regionOf[b]!]!)
  return { latency, regionOf }
}

export const DEFAULT_SCENARIO: SimScenario = {
  mode: 'tee',
  nodes: 100,
  degree: 8,
  seed: 'sim',
  teeFraction: 1,
  items: 200,
  rateTps: 100,
  txBytes: 110,
  latencyMs: [10, 100],
  jitterMs: 2,
  dropRate: 0,
  crashFraction: 0,
  crashAtMs: 0,
  detectMs: 0,
  crashWindowMs: 10_000,
  churnFraction: 0,
  churnDownMs: [200, 2_000],
  omittingFraction: 0,
  startMs: 3_000,
  drainMs: 10_000,
  // Off here, so that the tests and figures of tx-only runs stay as they were; the CLI turns them on (12 s).
  blockIntervalMs: 0,
  blockGasLimit: 30_000_000,
  uploadMbps: Infinity,
  handleMs: 0,
  poolAddMs: 0,
  tee: {},
}

export interface SimResult {
  scenario: SimScenario
  /**
   * Per item, reached / eligible: the live nodes connected to the origin at the end, or, for an origin that crashed,
   * to any live node the item reached. Items that reached no live node before their origin crashed are left out
   * (`lostWithOrigin`).
   */
  minReach: number
  meanReach: number
  /** Per item, reached / all live nodes (as FRing counts), over the same items. */
  minReachAllLive: number
  meanReachAllLive: number
  /** Items whose origin crashed before any live node had them: not judged. */
  lostWithOrigin: number
  /** Crash runs: the txs published in the `crashWindowMs` after the crash, and those published after that window. */
  afterCrash?: { windowMs: number; inWindow: CrashWindowStats; later: CrashWindowStats }
  itemsFullyReached: number
  items: number
  liveNodes: number
  /** When the workload started (virtual ms): `startMs`, after the wait for a plan with `afterPlan`. */
  workloadStartMs: number
  /** Full payloads received per live node per item (duplicates included; the physical minimum is ~1). */
  receiptsPerNodePerItem: number
  /** Item-related messages / bytes received per live node per item (data + repair; control traffic apart). */
  msgsPerNodePerItem: number
  bytesPerNodePerItem: number
  controlBytesPerNode: number
  /** tee: control bytes received per live node in each epoch of the run ([k] = epoch k; the last may be partial). */
  controlBytesPerEpoch: number[]
  /** tee: control messages received per live node in each epoch of the run. */
  controlMsgsPerEpoch: number[]
  /** tee: `controlBytesPerEpoch` by message type ('tee/report', 'tee/plan', ...): where an epoch's control bytes go. */
  controlBytesPerEpochByType: Record<string, number>[]
  /**
   * tee: control bytes received per live node per ordinary epoch: the mean over the epochs after epoch 0 (which holds
   * the first plan) that lie wholly inside the run. NaN if the run holds no such epoch.
   */
  steadyControlBytesPerNodePerEpoch: number
  /** The same in messages. */
  steadyControlMsgsPerNodePerEpoch: number
  byType: Record<string, { msgs: number; bytes: number }>
  /** tee: report rows received per live node over the run (relay counter reportsIn): mean, 90th percentile, max. */
  reportsIn: { mean: number; p90: number; max: number }
  /** Of `bytesPerNodePerItem`: the tx messages' share, and the blocks' (block messages, eth/68 block sync). */
  txBytesPerNodePerItem: number
  blockBytesPerNodePerItem: number
  /** Time from publication to 50/90/95/100 % of eligible nodes, ms: p50 and p99 (and p95 for 95 %) over items. */
  latency: { to50: { p50: number; p99: number }; to90: { p50: number; p99: number }; to95: { p50: number; p95: number; p99: number }; to100: { p50: number; p99: number } }
  /** With `keepItemTimes`: per judged tx, when it was published and its time to 95 % (Infinity: never), ms. */
  itemTimes?: { at: number; to95: number }[]
  /** Blocks (a run with `blockIntervalMs` > 0). */
  blocks?: SimBlockStats
  /** Per-node uplink queues (with `uploadMbps`): the longest wait a message had behind earlier sends, ms. */
  uplink: { maxBacklogMs: number; meanMaxBacklogMs: number; sentBytesPerItem: { mean: number; p99: number; max: number } }
  plansAccepted: number
  plansRefused: number
  /** tee: the distinct plans nodes adopted, in epoch order, with each node's child count and how many adopted it. */
  plans: { epoch: number; coordinator: string; nodes: string[]; interior: boolean[]; children: number[]; adoptedBy: number }[]
  /** tee: node ids of the omitting relays. */
  omittingIds: string[]
  /** Links that went down (and came back) under churn. */
  churnedLinks: number
  excludedRelays: number
  events: number
  wallMs: number
}

export interface SimBlockStats {
  sealed: number
  /** Txs sealed into blocks, and the mean per block. */
  txsIncluded: number
  meanTxs: number
  /** Mean full block size (RLP [header, txs, uncles]) and mean header size, bytes. */
  meanBlockBytes: number
  headerBytes: number
  /** Time from sealing to 95 % / 100 % of the live nodes connected to the proposer, ms: p50 and max over blocks. */
  to95: { p50: number; max: number }
  to100: { p50: number; max: number }
  /** Per block, the share of those nodes that imported it by the end: the minimum over blocks. */
  minReach: number
  /** Blocks fetched whole over eth/68 (eth modes: after an announcement; tee: compact blocks abandoned). */
  fetchedWhole: number
  /** tee: txs of compact blocks missing from the store at first receipt, and those got by BlockTxs, per node per block. */
  missingTxsPerNodePerBlock?: number
  blockTxsPerNodePerBlock?: number
  abandoned?: number
  rootMismatches?: number
  /** tee: peers refused over block messages (getBlockTxs / blockTxs), by reason: an honest run has none. */
  blockRefusals?: Record<string, number>
}

export interface CrashWindowStats {
  /** Items published in the window, and how many of them were judged (not lost with their origin). */
  items: number
  judged: number
  /** Reach of the live nodes connected to the origin (as `minReach`), and of all live nodes. */
  minReach: number
  meanReach: number
  minReachAllLive: number
  meanReachAllLive: number
  itemsFullyReached: number
  /** Full payloads received per live node per item published in the window (duplicates included). */
  copiesPerNodePerItem: number
}

const CONTROL_TYPES = new Set(['tee/report', 'tee/plan', 'tee/planDelta', 'tee/getPlan', 'tee/beacon', 'tee/planOffer'])
/** Messages that carry or fetch blocks, in every mode. */
const BLOCK_TYPES = new Set(['eth/NewBlock', 'eth/NewBlockHashes', 'eth/GetBlockHeaders', 'eth/BlockHeaders', 'eth/GetBlockBodies', 'eth/BlockBodies', 'tee/blockItems', 'tee/getBlockTxs', 'tee/blockTxs'])

function reportsInStats(xs: number[]): { mean: number; p90: number; max: number } {
  if (xs.length === 0) return { mean: 0, p90: 0, max: 0 }
  const sorted = [...xs].sort((a, b) => a - b)
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, p90: sorted[Math.floor(0.9 * (sorted.length - 1))]!, max: sorted.at(-1)! }
}

export function runExperiment(over: Partial<SimScenario>): SimResult {
  const s: SimScenario = { ...DEFAULT_SCENARIO, ...over, tee: { ...DEFAULT_SCENARIO.tee, ...over.tee } }
  const wall = performance.now()
  const rng = new SeededRandom(`${s.seed}/experiment`)
  const edges = s.edges ?? randomRegularGraph(s.nodes, s.degree, s.seed)
  const { latency } = linkLatencies(s, edges, rng)
  const linkKey = (a: number, b: number): number => linkKeyOf(s.nodes, a, b)
  const net = new SimNetwork(s.nodes, edges, {
    seed: s.seed,
    link: { latencyMs: (a, b) => latency.get(linkKey(a, b)) ?? s.latencyMs[1], jitterMs: s.jitterMs },
    dropRate: s.dropRate,
    detectMs: s.detectMs,
    uploadBps: s.uploadMbps * 1e6,
    handleMs: s.handleMs,
  })
  const tracker = new ItemTracker(s.nodes, s.crashFraction > 0)
  const chain = s.blockIntervalMs > 0 ? new SimChain(s.blockGasLimit, s.txBytes) : undefined
  const blockTracker = new ItemTracker(s.nodes)
  const blocks = chain === undefined ? undefined : { chain, tracker: blockTracker }
  const order = rng.shuffle([...Array(s.nodes).keys()])
  const attested = new Set(s.attestedNodes ?? order.slice(0, Math.max(1, Math.round(s.teeFraction * s.nodes))))
  const crashing = new Set(rng.shuffle([...Array(s.nodes).keys()]).slice(0, Math.round(s.crashFraction * s.nodes)))
  const omitting = new Set([...attested].slice(0, Math.round(s.omittingFraction * s.nodes)))

  let teeNodes: SimTeeNode[] = []
  const ethNodes: SimEthNode[] = []
  if (s.mode === 'tee') {
    const root = createAttestationRoot()
    const qe = SimulatedQuotingEnclave.create(root, () => net.now)
    const bundle = bundleProgram(COORDINATOR_PROGRAM.entry)
    const signer = generateP256()
    const identity = { mrEnclave: bundle.measurement, mrSigner: mrSignerOf(signer.publicKey), isvProdId: COORDINATOR_PROGRAM.isvProdId, isvSvn: COORDINATOR_PROGRAM.isvSvn, debug: false }
    const policy: Policy = { rootPublicKeys: [root.publicKey], enclave: { kind: 'mrenclave', allowed: [bundle.measurement] }, allowDebug: false, maxQuoteAgeSec: 600, maxClockSkewSec: 60 }
    // Node keys from the seed, as a testnet derives them: ids decide the plan's node order, the trees and the
    // coordinator ranking, so random keys would make a seeded run unrepeatable.
    const keys = Array.from({ length: s.nodes }, (_, i) => {
      const priv = deriveKey(s.seed, 'node', i)
      return { priv, id: nodePublicKey(priv) }
    })
    const ids = keys.map((k) => Buffer.from(k.id).toString('hex'))
    const indexOf = new Map(ids.map((id, i) => [id, i]))
    const host = { quote: (key64: Uint8Array, challenge: Uint8Array) => produceQuote(qe, identity, key64, challenge), policy }
    // An attested node's enclave quotes its node id for a report that must vouch for itself (control-plane.ts).
    teeNodes = keys.map((k, i) => new SimTeeNode(i, ids, attested.has(i), relayAuthority(policy, k.priv, k.id, attested.has(i) ? host.quote : undefined), s.tee, net, tracker, host, 20, indexOf, s.checkInvariants ?? false, blocks))
    for (const i of omitting) teeNodes[i]!.omitting = true
    if (s.checkInvariants === true) {
      const all = teeNodes
      for (const n of all) n.afterEvent = () => checkUpForest(all, net.alive, indexOf, net.now)
    }
    net.nodes = teeNodes
    teeNodes.forEach((n, i) => n.start(net.adj[i]!, (p) => 2 * (latency.get(linkKey(i, p)) ?? 0), (p) => attested.has(p)))
    s.inspect?.({ relays: teeNodes.map((n) => n.relay), ids, at: (t, f) => net.q.at(t, f), crash: (i) => net.crash(i), alive: (i) => net.alive[i]! })
  } else {
    for (let i = 0; i < s.nodes; i++) ethNodes.push(new SimEthNode(i, createEthCore(s.mode), net, tracker, s.txBytes, blocks, s.poolAddMs))
    net.nodes = ethNodes
    ethNodes.forEach((n, i) => n.start(net.adj[i]!))
  }

  // Every node wakes at its core's deadlines (tee-node.ts, eth-node.ts): nothing is ticked.
  const t0 = s.afterPlan === true && s.mode === 'tee' ? untilPlanned(net, teeNodes, s.nodes, 5 * teeNodes[0]!.relay.params.epochMs) : 0
  const startMs = t0 + s.startMs
  const crashAtMs = t0 + s.crashAtMs
  const lastItemMs = startMs + ((s.items - 1) * 1000) / s.rateTps
  // Slots up to one interval past the last tx, so that every tx can be sealed; the drain follows the last slot.
  const lastSlotMs = chain === undefined ? 0 : t0 + Math.floor((lastItemMs - t0 + s.blockIntervalMs) / s.blockIntervalMs) * s.blockIntervalMs
  const endMs = Math.max(startMs + (s.items / s.rateTps) * 1000 + s.drainMs, chain === undefined ? 0 : lastSlotMs + s.drainMs)
  if (chain !== undefined) {
    // Proposers draw from their own stream, so that blocks leave the rest of a seeded scenario unchanged.
    const blockRng = new SeededRandom(`${s.seed}/blocks`)
    for (let t = t0 + s.blockIntervalMs; t <= lastSlotMs; t += s.blockIntervalMs) {
      net.q.at(t, () => {
        let p = blockRng.int(s.nodes)
        while (!net.alive[p]) p = blockRng.int(s.nodes)
        const node = s.mode === 'tee' ? teeNodes[p]! : ethNodes[p]!
        const b = chain.seal(p, node.poolKeys(), net.now)
        blockTracker.publish(b.key, p, net.now, 'block')
        node.propose(b)
      })
    }
  }
  if (s.crashFraction > 0) net.q.at(crashAtMs, () => crashing.forEach((i) => net.crash(i)))
  // Churn draws from its own stream, so that adding it leaves the rest of a seeded scenario unchanged.
  const churnRng = new SeededRandom(`${s.seed}/churn`)
  const churned = s.churnFraction > 0 ? churnRng.shuffle(edges.map(([a, b]) => [a, b] as const)).slice(0, Math.round(s.churnFraction * edges.length)) : []
  const workloadMs = (s.items / s.rateTps) * 1000
  for (const [a, b] of churned) {
    const down = startMs + churnRng.next() * workloadMs
    const up = Math.min(endMs, down + s.churnDownMs[0] + churnRng.next() * (s.churnDownMs[1] - s.churnDownMs[0]))
    net.q.at(down, () => net.linkDown(a, b))
    net.q.at(up, () => net.linkUp(a, b))
  }
  // With afterPlan the counts start with the workload (queued first: it runs before the first item at that time).
  const countedFrom = s.afterPlan === true && s.mode === 'tee' ? new Map<number, Map<string, { msgs: number; bytes: number }>>() : undefined
  if (countedFrom !== undefined) net.q.at(startMs, () => net.counters.forEach((c, i) => countedFrom.set(i, new Map([...c.in].map(([t, x]) => [t, { ...x }])))))
  for (let k = 0; k < s.items; k++) {
    net.q.at(startMs + (k * 1000) / s.rateTps, () => {
      let origin = rng.int(s.nodes)
      while (!net.alive[origin]) origin = rng.int(s.nodes)
      const id = createHash('sha256').update(`${s.seed}/item/${k}`).digest()
      const key = id.toString('hex')
      tracker.publish(key, origin, net.now, 'tx')
      if (s.mode === 'tee') teeNodes[origin]!.publish('tx', new Uint8Array(id), syntheticPayload(id, s.txBytes))
      else ethNodes[origin]!.publish(key)
    })
  }
  // Control bytes received by every node so far, sampled at each epoch boundary (the per-epoch control cost).
  const epochMs = s.mode === 'tee' ? teeNodes[0]!.relay.params.epochMs : Infinity
  const controlSoFar = (): [number, number, Map<string, number>] => {
    let b = 0
    let m = 0
    const byType = new Map<string, number>()
    for (const c of net.counters) for (const [type, x] of c.in) if (CONTROL_TYPES.has(type)) {
      b += x.bytes
      m += x.msgs
      byType.set(type, (byType.get(type) ?? 0) + x.bytes)
    }
    return [b, m, byType]
  }
  const controlAt: [number, number, Map<string, number>][] = [[0, 0, new Map()]]
  for (let k = 1; k * epochMs <= endMs; k++) net.q.at(k * epochMs, () => void controlAt.push(controlSoFar()))
  let events = 0
  if (s.progress === undefined) events = net.q.runUntil(endMs)
  else
    // In steps of one virtual second: nothing is queued between steps, so the run is the same as in one go.
    for (let t = net.now; t < endMs; ) {
      t = Math.min(endMs, Math.floor(t / 1000) * 1000 + 1000)
      events += net.q.runUntil(t)
      s.progress({ virtualMs: t, endMs, events })
    }
  controlAt.push(controlSoFar())

  const live = [...Array(s.nodes).keys()].filter((i) => net.alive[i])
  const to50: number[] = []
  const to90: number[] = []
  const to95: number[] = []
  const to100: number[] = []
  const itemTimes = s.keepItemTimes === true ? ([] as { at: number; to95: number }[]) : undefined
  const reachCache = new Map<number, Set<number>>()
  const component = (i: number): Set<number> => {
    let c = reachCache.get(i)
    if (c === undefined) {
      c = net.reachableFrom(i)
      for (const j of c) reachCache.set(j, c)
    }
    return c
  }
  /** Per judged item: when it was published, its reach of connected live nodes and of all live nodes, its copies. */
  const judgedItems: ItemReach[] = []
  const lostAt: number[] = []
  for (const [key, p] of tracker.published) {
    const seen = tracker.firstSeen.get(key)!
    // A live origin: the live nodes still connected to it. A crashed one: the live nodes connected to any live node
    // it reached (its tx is judged by where it got to); if it reached none, it died with its origin and is left out.
    const seenAt = seen.at
    let eligible: Set<number>
    if (net.alive[p.origin]) eligible = component(p.origin)
    else {
      eligible = new Set()
      for (let i = 0; i < s.nodes; i++) if (net.alive[i] && !Number.isNaN(seenAt[i]!) && !eligible.has(i)) for (const j of component(i)) eligible.add(j)
      if (eligible.size === 0) {
        lostAt.push(p.at)
        continue
      }
    }
    let seenLive = 0
    for (let i = 0; i < s.nodes; i++) if (net.alive[i] && !Number.isNaN(seenAt[i]!)) seenLive++
    const times: number[] = []
    for (const i of eligible) if (!Number.isNaN(seenAt[i]!)) times.push(seenAt[i]! - p.at)
    times.sort((a, b) => a - b)
    const reach = times.length / eligible.size
    judgedItems.push({ at: p.at, reach, reachAllLive: seenLive / Math.max(1, live.length), copies: tracker.receiptsOf.get(key) ?? 0 })
    if (reach === 1 && times.length > 0) to100.push(times[times.length - 1]!)
    const at = (q: number): number | undefined => times[Math.ceil(q * eligible.size) - 1]
    const t50 = at(0.5)
    const t90 = at(0.9)
    const t95 = at(0.95)
    if (t50 !== undefined) to50.push(t50)
    if (t90 !== undefined) to90.push(t90)
    // An item short of 95 % counts as never there, so that a run whose queues diverge shows it.
    to95.push(t95 ?? Infinity)
    if (itemTimes !== undefined) itemTimes.push({ at: p.at, to95: t95 ?? Infinity })
  }
  const all = reachStats(judgedItems, lostAt.length, live.length)
  const crashEnd = crashAtMs + s.crashWindowMs
  const within = (from: number, to: number) =>
    reachStats(judgedItems.filter((x) => x.at >= from && x.at < to), lostAt.filter((t) => t >= from && t < to).length, live.length)
  const afterCrash = s.crashFraction > 0 ? { windowMs: s.crashWindowMs, inWindow: within(crashAtMs, crashEnd), later: within(crashEnd, Infinity) } : undefined
  const byType: Record<string, { msgs: number; bytes: number }> = {}
  let msgs = 0
  let bytes = 0
  let control = 0
  let blockBytes = 0
  for (const i of live) for (const [type, all] of net.counters[i]!.in) {
    const before = countedFrom?.get(i)?.get(type)
    const c = before === undefined ? all : { msgs: all.msgs - before.msgs, bytes: all.bytes - before.bytes }
    if (c.msgs === 0) continue
    const row = (byType[type] ??= { msgs: 0, bytes: 0 })
    row.msgs += c.msgs
    row.bytes += c.bytes
    if (CONTROL_TYPES.has(type)) control += c.bytes
    else {
      msgs += c.msgs
      bytes += c.bytes
      if (BLOCK_TYPES.has(type)) blockBytes += c.bytes
    }
  }
  const perNodeItem = live.length * s.items
  const perEpoch = (j: 0 | 1): number[] => controlAt.slice(1).map((x, k) => (x[j] - controlAt[k]![j]) / Math.max(1, live.length))
  const controlBytesPerEpoch = perEpoch(0)
  const controlMsgsPerEpoch = perEpoch(1)
  const controlBytesPerEpochByType = controlAt.slice(1).map((x, k) => Object.fromEntries([...x[2]].map(([type, b]) => [type, (b - (controlAt[k]![2].get(type) ?? 0)) / Math.max(1, live.length)])))
  // Whole ordinary epochs: 1 .. (the last boundary sampled before the end) - 1.
  const steady = (xs: number[]): number => {
    const whole = xs.slice(1, Math.floor(endMs / epochMs))
    return whole.length === 0 ? NaN : whole.reduce((a, b) => a + b, 0) / whole.length
  }
  const pct = (xs: number[]) => ({ p50: round(percentile(xs, 50) ?? NaN), p99: round(percentile(xs, 99) ?? NaN) })
  const blockStats = chain === undefined ? undefined : blockSummary(chain, blockTracker, net, component, s.mode === 'tee' ? teeNodes : ethNodes, teeNodes, live.length)
  let maxBacklog = 0
  let sumBacklog = 0
  // Data bytes (tx and block messages, control left out) each live node sent per item: a mode's throughput limit is
  // its busiest uplinks, not the mean.
  const sent: number[] = []
  for (const i of live) {
    maxBacklog = Math.max(maxBacklog, net.maxUplinkBacklogMs[i]!)
    sumBacklog += net.maxUplinkBacklogMs[i]!
    let b = 0
    for (const [type, c] of net.counters[i]!.out) if (!CONTROL_TYPES.has(type)) b += c.bytes
    sent.push(b / Math.max(1, s.items))
  }
  const excluded = new Set<string>()
  let plansAccepted = 0
  let plansRefused = 0
  for (const n of teeNodes) {
    const plan = n.relay.currentPlan
    if (plan !== undefined) plansAccepted++
    plansRefused += n.relay.counters.plansRefused
    plan?.body.nodes.forEach((id, i) => {
      if (!plan.body.interior[i]) excluded.add(id)
    })
  }
  // One plan, many objects (a plan rebuilt from a delta is a new object): counted by its signature.
  const planCounts = new Map<string, { p: SignedPlan; n: number }>()
  for (const n of teeNodes) {
    for (const sig of new Set(n.adopted.map((p) => Buffer.from(p.signature).toString('hex')))) {
      const c = planCounts.get(sig) ?? { p: n.adopted.find((p) => Buffer.from(p.signature).toString('hex') === sig)!, n: 0 }
      c.n++
      planCounts.set(sig, c)
    }
  }
  const plans = [...planCounts.values()]
    .map(({ p, n: adoptedBy }) => ({ epoch: p.body.epoch, coordinator: p.body.coordinator, nodes: p.body.nodes, interior: p.body.interior, children: childCounts(p.body.parents, p.body.nodes.length), adoptedBy }))
    .sort((a, b) => a.epoch - b.epoch || b.adoptedBy - a.adoptedBy)
  return {
    scenario: s,
    minReach: all.minReach,
    meanReach: all.meanReach,
    minReachAllLive: all.minReachAllLive,
    meanReachAllLive: all.meanReachAllLive,
    lostWithOrigin: lostAt.length,
    afterCrash,
    itemsFullyReached: all.itemsFullyReached,
    items: tracker.published.size,
    liveNodes: live.length,
    workloadStartMs: startMs,
    receiptsPerNodePerItem: live.reduce((a, i) => a + tracker.receipts[i]!, 0) / perNodeItem,
    msgsPerNodePerItem: msgs / perNodeItem,
    bytesPerNodePerItem: bytes / perNodeItem,
    txBytesPerNodePerItem: (bytes - blockBytes) / perNodeItem,
    blockBytesPerNodePerItem: blockBytes / perNodeItem,
    controlBytesPerNode: control / Math.max(1, live.length),
    controlBytesPerEpoch,
    controlMsgsPerEpoch,
    controlBytesPerEpochByType,
    steadyControlBytesPerNodePerEpoch: steady(controlBytesPerEpoch),
    steadyControlMsgsPerNodePerEpoch: steady(controlMsgsPerEpoch),
    byType,
    reportsIn: reportsInStats(live.map((i) => teeNodes[i]?.relay.counters.reportsIn ?? 0)),
    latency: { to50: pct(to50), to90: pct(to90), to95: { ...pct(to95), p95: round(percentile(to95, 95) ?? NaN) }, to100: pct(to100) },
    itemTimes,
    blocks: blockStats,
    uplink: {
      maxBacklogMs: round(maxBacklog),
      meanMaxBacklogMs: round(sumBacklog / Math.max(1, live.length)),
      sentBytesPerItem: { mean: round(sent.reduce((a, b) => a + b, 0) / Math.max(1, sent.length)), p99: round(percentile(sent, 99) ?? NaN), max: round(Math.max(0, ...sent)) },
    },
    plansAccepted,
    plansRefused,
    excludedRelays: excluded.size,
    plans,
    omittingIds: teeNodes.filter((n) => n.omitting).map((n) => n.relay.self),
    churnedLinks: churned.length,
    events,
    wallMs: Math.round(performance.now() - wall),
  }
}

/** Per block: when it reached 95 % and 100 % of the live nodes connected to its proposer (or to any live holder). */
function blockSummary(
  chain: SimChain,
  tracker: ItemTracker,
  net: SimNetwork,
  component: (i: number) => Set<number>,
  nodes: readonly { blocksFetched: number }[],
  teeNodes: readonly SimTeeNode[],
  live: number,
): SimBlockStats {
  const to95: number[] = []
  const to100: number[] = []
  let minReach = chain.blocks.length === 0 ? NaN : 1
  for (const b of chain.blocks) {
    const seen = tracker.firstSeen.get(b.key)!.at
    let eligible: Set<number>
    if (net.alive[b.proposer]) eligible = component(b.proposer)
    else {
      eligible = new Set()
      for (let i = 0; i < net.n; i++) if (net.alive[i] && !Number.isNaN(seen[i]!)) for (const j of component(i)) eligible.add(j)
    }
    if (eligible.size === 0) continue
    const times: number[] = []
    for (const i of eligible) if (!Number.isNaN(seen[i]!)) times.push(seen[i]! - b.sealedAt)
    times.sort((x, y) => x - y)
    minReach = Math.min(minReach, times.length / eligible.size)
    to95.push(times[Math.ceil(0.95 * eligible.size) - 1] ?? Infinity)
    to100.push(times.length === eligible.size ? times[times.length - 1]! : Infinity)
  }
  const p50 = (xs: number[]): number => round(percentile(xs, 50) ?? NaN)
  const max = (xs: number[]): number => (xs.length === 0 ? NaN : round(Math.max(...xs)))
  const txs = chain.blocks.reduce((a, b) => a + b.txs.length, 0)
  const n = Math.max(1, chain.blocks.length)
  const stats: SimBlockStats = {
    sealed: chain.blocks.length,
    txsIncluded: txs,
    meanTxs: txs / n,
    meanBlockBytes: Math.round(chain.blocks.reduce((a, b) => a + chain.blockBytes(b), 0) / n),
    headerBytes: chain.blocks[0]?.headerBytes ?? NaN,
    to95: { p50: p50(to95), max: max(to95) },
    to100: { p50: p50(to100), max: max(to100) },
    minReach,
    fetchedWhole: nodes.reduce((a, x) => a + x.blocksFetched, 0),
  }
  if (teeNodes.length > 0) {
    const perNodeBlock = Math.max(1, live * chain.blocks.length)
    stats.missingTxsPerNodePerBlock = teeNodes.reduce((a, x) => a + x.missingAtRebuild, 0) / perNodeBlock
    stats.blockTxsPerNodePerBlock = teeNodes.reduce((a, x) => a + x.blockTxsReceived, 0) / perNodeBlock
    stats.abandoned = teeNodes.reduce((a, x) => a + x.blocksAbandoned, 0)
    stats.rootMismatches = teeNodes.reduce((a, x) => a + x.rootMismatches, 0)
    const refusals: Record<string, number> = {}
    for (const x of teeNodes) for (const r of x.refusedOverBlocks) refusals[r] = (refusals[r] ?? 0) + 1
    stats.blockRefusals = refusals
  }
  return stats
}

interface ItemReach {
  at: number
  reach: number
  reachAllLive: number
  copies: number
}

/** Reach over judged items (NaN if there are none), and copies per live node per item. */
function reachStats(xs: readonly ItemReach[], lost: number, live: number): CrashWindowStats {
  let minReach = xs.length === 0 ? NaN : 1
  let minReachAllLive = minReach
  let sum = 0
  let sumAll = 0
  let copies = 0
  let full = 0
  for (const x of xs) {
    minReach = Math.min(minReach, x.reach)
    minReachAllLive = Math.min(minReachAllLive, x.reachAllLive)
    sum += x.reach
    sumAll += x.reachAllLive
    copies += x.copies
    if (x.reach === 1) full++
  }
  const n = xs.length
  return { items: xs.length + lost, judged: xs.length, minReach, meanReach: sum / n, minReachAllLive, meanReachAllLive: sumAll / n, itemsFullyReached: full, copiesPerNodePerItem: copies / (live * n) }
}

/** Per node: its children summed over the trees (0 = a leaf everywhere). */
function childCounts(parents: Int32Array[], n: number): number[] {
  const c = new Array<number>(n).fill(0)
  for (const tree of parents) for (const par of tree) if (par >= 0) c[par]!++
  return c
}

const round = (x: number): number => (Number.isFinite(x) ? Math.round(x * 10) / 10 : x)

/**
 * Runs the network in 100 ms steps until every live tee node holds a plan naming all `nodes` (or `limitMs` passes:
 * the scenario then starts anyway, as a testnet would report the missing plan). Returns the time reached.
 */
function untilPlanned(net: SimNetwork, nodes: SimTeeNode[], all: number, limitMs: number): number {
  const planned = (): boolean => nodes.every((n, i) => !net.alive[i] || n.relay.currentPlan?.body.nodes.length === all)
  while (!planned() && net.now < limitMs) net.q.runUntil(net.now + 100)
  return net.now
}

/**
 * The whole network's up-edges (each live node's way up per tree: its plan parent while that link lives, else its
 * stand-in; tree-repair.ts) form a forest: no walk up ever comes back to where it started. Edges are followed only
 * between live nodes running the same plan (the ranks that make the forest are one plan's). Two plans of one epoch
 * (two groups' coordinators, until one plan covers both: control-plane.ts) may for a while hold a loop across them,
 * as a graft names only the epoch; items still cross each link at most once each way, and the loop ends when the
 * nodes agree. Throws on the first loop.
 */
export function checkUpForest(nodes: readonly { relay: { treeWays(): (string | undefined)[]; currentPlan: { body: { epoch: number }; signature: Uint8Array } | undefined } }[], alive: readonly boolean[], indexOf: ReadonlyMap<string, number>, now: number): void {
  const ways = nodes.map((n, i) => (alive[i] ? n.relay.treeWays() : []))
  const epochs = nodes.map((n) => { const p = n.relay.currentPlan; return p === undefined ? '' : `${p.body.epoch}/${Buffer.from(p.signature).toString('hex')}` })
  const trees = Math.max(0, ...ways.map((w) => w.length))
  const state = new Uint8Array(nodes.length)
  for (let t = 0; t < trees; t++) {
    // 0 unvisited, 1 on the current walk, 2 done (its walk ended).
    state.fill(0)
    for (let s = 0; s < nodes.length; s++) {
      const walk: number[] = []
      let x = s
      while (x >= 0 && state[x] === 0) {
        state[x] = 1
        walk.push(x)
        const up = ways[x]![t]
        const y = up === undefined ? -1 : (indexOf.get(up) ?? -1)
        x = y >= 0 && alive[y] && epochs[y] === epochs[x] ? y : -1
      }
      if (x >= 0 && state[x] === 1) throw new Error(`sim: a loop in the live up-edges of tree ${t} at t=${now}: ${walk.slice(walk.indexOf(x)).join(' -> ')} -> ${x}`)
      for (const w of walk) state[w] = 2
    }
  }
}
