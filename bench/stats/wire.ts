/** Wire cost per committed tx and per node, by message, from two teecast_p2pStats snapshots of every node. */
import type { P2pStats } from '../../src/rpc/teecast.ts'
import { TX_MESSAGE_KEYS, BLOCK_MESSAGE_KEYS } from '../../src/p2p/message-names.ts'

export interface WireCost {
  /** Mean over nodes, per committed tx: messages and bytes received, by message key. */
  byMessage: Record<string, { msgsIn: number; bytesIn: number }>
  txMsgsIn: number
  txBytesIn: number
  blockBytesIn: number
  /** Full tx payloads received that the node already had, per node per committed tx. */
  duplicateTxs: number
}

export function wireCost(before: ReadonlyMap<string, P2pStats>, after: ReadonlyMap<string, P2pStats>, committed: number): WireCost {
  const nodes = [...after.keys()]
  const per = Math.max(1, committed) * Math.max(1, nodes.length)
  const byMessage: WireCost['byMessage'] = {}
  let dups = 0
  for (const name of nodes) {
    const a = after.get(name)!
    const b = before.get(name)
    for (const [k, c] of Object.entries(a.messages)) {
      const p = b?.messages[k]
      const m = (byMessage[k] ??= { msgsIn: 0, bytesIn: 0 })
      m.msgsIn += (c.in - (p?.in ?? 0)) / per
      m.bytesIn += (c.bytesIn - (p?.bytesIn ?? 0)) / per
    }
    dups += a.duplicates.tx - (b?.duplicates.tx ?? 0)
  }
  const sum = (keys: readonly string[], f: 'msgsIn' | 'bytesIn') => keys.reduce((s, k) => s + (byMessage[k]?.[f] ?? 0), 0)
  return {
    byMessage,
    txMsgsIn: sum(TX_MESSAGE_KEYS, 'msgsIn'),
    txBytesIn: sum(TX_MESSAGE_KEYS, 'bytesIn'),
    blockBytesIn: sum(BLOCK_MESSAGE_KEYS, 'bytesIn'),
    duplicateTxs: dups / per,
  }
}
