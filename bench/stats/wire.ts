/**
 * Wire cost per committed tx from two teecast_p2pStats snapshots of every node: per node (`teecast testnet send`'s
 * table) and the mean over nodes (the bench summary). "tx messages" are the eth messages that carry txs or their
 * hashes (message-names.ts).
 */
import type { P2pStats } from '../../src/rpc/teecast.ts'
import { TX_MESSAGE_KEYS, BLOCK_MESSAGE_KEYS } from '../../src/p2p/message-names.ts'

type Counter = 'in' | 'out' | 'bytesIn' | 'bytesOut'

export interface NodeTxCost {
  node: string
  propagation: string
  peers: number
  /** Per committed tx, received by this node. */
  txMsgsIn: number
  txBytesIn: number
  txMsgsOut: number
  txBytesOut: number
  /** Block-related bytes received per committed tx (NewBlock, hashes, headers, bodies). */
  blockBytesIn: number
  /** Full tx payloads received that the node already had (a count, not per tx). */
  duplicateTxs: number
  /** Every message key the node counted: messages and bytes received per committed tx. */
  byMessage: Record<string, { msgsIn: number; bytesIn: number }>
}

export interface WireCost {
  /** Mean over nodes, per committed tx: messages and bytes received, by message key. */
  byMessage: Record<string, { msgsIn: number; bytesIn: number }>
  txMsgsIn: number
  txBytesIn: number
  blockBytesIn: number
  /** Full tx payloads received that the node already had, per node per committed tx. */
  duplicateTxs: number
}

/** Each node's cost per committed tx, ordered by node name (n2 before n10). */
export function txCostPerNode(before: ReadonlyMap<string, P2pStats>, after: ReadonlyMap<string, P2pStats>, committed: number): NodeTxCost[] {
  const per = Math.max(1, committed)
  const out: NodeTxCost[] = []
  for (const [name, a] of after) {
    const b = before.get(name)
    const delta = (key: string, f: Counter): number => (a.messages[key]?.[f] ?? 0) - (b?.messages[key]?.[f] ?? 0)
    const sum = (keys: readonly string[], f: Counter): number => keys.reduce((s, k) => s + delta(k, f), 0)
    const byMessage: NodeTxCost['byMessage'] = {}
    for (const k of Object.keys(a.messages)) byMessage[k] = { msgsIn: delta(k, 'in') / per, bytesIn: delta(k, 'bytesIn') / per }
    out.push({
      node: name,
      propagation: a.propagation,
      peers: a.peers,
      txMsgsIn: sum(TX_MESSAGE_KEYS, 'in') / per,
      txBytesIn: sum(TX_MESSAGE_KEYS, 'bytesIn') / per,
      txMsgsOut: sum(TX_MESSAGE_KEYS, 'out') / per,
      txBytesOut: sum(TX_MESSAGE_KEYS, 'bytesOut') / per,
      blockBytesIn: sum(BLOCK_MESSAGE_KEYS, 'bytesIn') / per,
      duplicateTxs: a.duplicates.tx - (b?.duplicates.tx ?? 0),
      byMessage,
    })
  }
  return out.sort((x, y) => x.node.localeCompare(y.node, undefined, { numeric: true }))
}

/** The mean over nodes of `txCostPerNode`. */
export function wireCost(before: ReadonlyMap<string, P2pStats>, after: ReadonlyMap<string, P2pStats>, committed: number): WireCost {
  const nodes = txCostPerNode(before, after, committed)
  const n = Math.max(1, nodes.length)
  const mean = (f: (c: NodeTxCost) => number): number => nodes.reduce((s, c) => s + f(c), 0) / n
  const byMessage: WireCost['byMessage'] = {}
  for (const c of nodes) {
    for (const [k, v] of Object.entries(c.byMessage)) {
      const m = (byMessage[k] ??= { msgsIn: 0, bytesIn: 0 })
      m.msgsIn += v.msgsIn / n
      m.bytesIn += v.bytesIn / n
    }
  }
  return {
    byMessage,
    txMsgsIn: mean((c) => c.txMsgsIn),
    txBytesIn: mean((c) => c.txBytesIn),
    blockBytesIn: mean((c) => c.blockBytesIn),
    duplicateTxs: mean((c) => c.duplicateTxs) / Math.max(1, committed),
  }
}
