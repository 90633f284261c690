/**
 * Per-node wire cost of a workload: the difference of two teecast_p2pStats snapshots, divided by the number of
 * committed txs. "tx messages" are the eth messages that carry txs or their hashes (message-names.ts).
 */
import { rpcCall } from '../src/rpc/client.ts'
import { TX_MESSAGE_KEYS, BLOCK_MESSAGE_KEYS } from '../src/p2p/message-names.ts'
import type { P2pStats } from '../src/rpc/teecast.ts'
import type { TestnetDescription } from '../testnets/description.ts'
import { setTimeout as sleep } from 'node:timers/promises'

/** Every node's teecast_p2pStats; a call that fails is retried twice, 1 s apart (a node under full load can drop one). */
export async function snapshotStats(d: TestnetDescription): Promise<Map<string, P2pStats>> {
  const one = async (url: string): Promise<P2pStats> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await rpcCall<P2pStats>(url, 'teecast_p2pStats')
      } catch (e) {
        if (attempt >= 3) throw e
        await sleep(1000)
      }
    }
  }
  const all = await Promise.all(d.nodes.map(async (n) => [n.name, await one(n.rpcUrl)] as const))
  return new Map(all)
}

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
  duplicateTxs: number
  byMessage: Record<string, { in: number; bytesIn: number }>
}

export function txCostPerNode(before: Map<string, P2pStats>, after: Map<string, P2pStats>, committed: number): NodeTxCost[] {
  const per = Math.max(1, committed)
  const out: NodeTxCost[] = []
  for (const [name, a] of after) {
    const b = before.get(name)
    const delta = (key: string, f: 'in' | 'out' | 'bytesIn' | 'bytesOut'): number => (a.messages[key]?.[f] ?? 0) - (b?.messages[key]?.[f] ?? 0)
    const sum = (keys: readonly string[], f: 'in' | 'out' | 'bytesIn' | 'bytesOut'): number => keys.reduce((s, k) => s + delta(k, f), 0)
    const byMessage: NodeTxCost['byMessage'] = {}
    for (const k of TX_MESSAGE_KEYS) byMessage[k] = { in: delta(k, 'in') / per, bytesIn: delta(k, 'bytesIn') / per }
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
