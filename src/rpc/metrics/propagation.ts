/**
 * Propagation metrics of one node, from what the node itself can know:
 * - a block's propagation latency: its header timestamp (the earliest moment Clique lets it be sealed) to its first
 *   sighting here, for blocks that came over the wire. It includes the sealer's build time and an out-of-turn
 *   signer's wiggle delay, and on several machines their clock skew; on one machine, no skew.
 * - a tx's inclusion latency: its first sighting here to the first sighting here of a block that includes it. A node
 *   cannot know when a tx was created elsewhere, so cross-node tx propagation is the bench's job (first-seen times
 *   of every node, teecast_firstSeen).
 * Per-peer framed bytes (at most PEER_LABEL_LIMIT peers by 8-hex-digit id, the rest summed as "other"), the tee/1
 * plan gauges, and build_info.
 */
import promClient from 'prom-client'
import type { InstalledPropagation } from '../../p2p/install.ts'
import { teeStatus } from '../teecast.ts'

/** Seconds: loopback deliveries take milliseconds, a stalled catch-up tens of seconds. */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]

export function createPropagationMetrics(register: promClient.Registry, p: InstalledPropagation): void {
  const block = new promClient.Histogram({
    name: 'teecast_block_propagation_seconds',
    help: 'Blocks received over the wire: header timestamp to first sighting here, seconds',
    buckets: LATENCY_BUCKETS,
    registers: [register],
  })
  const inclusion = new promClient.Histogram({
    name: 'teecast_tx_inclusion_seconds',
    help: 'Txs: first sighting here to the first sighting here of a block that includes them, seconds',
    buckets: LATENCY_BUCKETS,
    registers: [register],
  })
  const firstSeen = new promClient.Counter({
    name: 'teecast_first_seen_total',
    help: 'Txs and blocks first held here, by kind and by how (received over the wire, or local: RPC or sealed)',
    labelNames: ['kind', 'via'],
    registers: [register],
  })
  const committed = new promClient.Counter({
    name: 'teecast_chain_transactions_total',
    help: 'Txs in the blocks this node came to hold (each block once): committed tx/s is its rate',
    registers: [register],
  })
  p.stats.onFirstSeen((e) => {
    firstSeen.inc({ kind: e.kind, via: e.received ? 'wire' : 'local' })
    if (e.block === undefined) return
    const txs = e.block.txHashes()
    committed.inc(txs.length)
    if (e.received) block.observe(Math.max(0, e.at / 1000 - e.block.timestampSec))
    for (const h of txs) {
      const t = p.stats.firstSeenAt('tx', h)
      if (t !== undefined && t <= e.at) inclusion.observe((e.at - t) / 1000)
    }
  })
  new promClient.Counter({
    name: 'teecast_p2p_peer_bytes_total',
    help: 'devp2p framed bytes by peer (8-hex-digit node id; past 64 peers summed as "other") and direction',
    labelNames: ['peer', 'direction'],
    registers: [register],
    collect() {
      this.reset()
      for (const [peer, c] of p.stats.peerBytes) {
        this.inc({ peer, direction: 'in' }, c.in)
        this.inc({ peer, direction: 'out' }, c.out)
      }
    },
  })
  if (p.tee !== undefined) {
    const tee = p.tee
    const gauge = (name: string, help: string, read: (s: ReturnType<typeof teeStatus>) => number): void => {
      new promClient.Gauge({
        name,
        help,
        registers: [register],
        collect() {
          this.set(read(teeStatus(tee, p.selfId)))
        },
      })
    }
    gauge('teecast_tee_epoch', 'Epoch of the current tee/1 plan (-1: no plan yet)', (s) => s.epoch ?? -1)
    gauge('teecast_tee_plan_nodes', 'Nodes in the current tee/1 plan', (s) => s.planNodes)
    gauge('teecast_tee_plan_interior_nodes', 'Nodes that may relay (interior) in the current plan', (s) => s.interior.length)
    gauge('teecast_tee_attested', '1 when this node runs an attested enclave, else 0', (s) => (s.attested ? 1 : 0))
    gauge('teecast_tee_in_plan', '1 when this node is in the current plan, else 0', (s) => (s.inPlan ? 1 : 0))
    gauge('teecast_tee_relay_trees', 'Trees of the current plan in which this node has children', (s) => s.relays)
    gauge('teecast_tee_peers', 'Connected peers that speak tee/1', (s) => s.teePeers.length)
    new promClient.Counter({
      name: 'teecast_tee_relay_events_total',
      help: 'tee/1 relay counters (published, received, duplicates, pulls, repaired, floodFallbacks, plansRefused, planPushes)',
      labelNames: ['event'],
      registers: [register],
      collect() {
        this.reset()
        for (const [event, n] of Object.entries(tee.relay.counters)) this.inc({ event }, n)
      },
    })
  }
}

export function createBuildInfo(register: promClient.Registry, o: { version: string; mode: string; clientVersion: string }): void {
  const g = new promClient.Gauge({
    name: 'teecast_build_info',
    help: 'Always 1; the labels say what runs: teecast version, propagation mode, Node.js version, EthereumJS client version',
    labelNames: ['version', 'mode', 'node_version', 'client_version'],
    registers: [register],
  })
  g.set({ version: o.version, mode: o.mode, node_version: process.version, client_version: o.clientVersion }, 1)
}
