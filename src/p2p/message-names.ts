/** Wire message names as `<proto>/<Name>`, the keys of teecast_p2pStats and of the Prometheus labels. */

const P2P_NAMES = ['Hello', 'Disconnect', 'Ping', 'Pong']
// eth/68 codes, from the devp2p spec (eth.md).
const ETH_NAMES = [
  'Status',
  'NewBlockHashes',
  'Transactions',
  'GetBlockHeaders',
  'BlockHeaders',
  'GetBlockBodies',
  'BlockBodies',
  'NewBlock',
  'NewPooledTransactionHashes',
  'GetPooledTransactions',
  'PooledTransactions',
  'GetNodeData',
  'NodeData',
  'GetReceipts',
  'Receipts',
]

/** A subprotocol may name its own messages (tee/1 does); eth's names come from the table above. */
export interface NamedProtocol {
  messageName?(code: number): string | undefined
}

export function messageKey(proto: string, code: number, impl?: NamedProtocol): string {
  const table = proto === 'p2p' ? P2P_NAMES : proto === 'eth' ? ETH_NAMES : undefined
  const name = table?.[code] ?? impl?.messageName?.(code) ?? `code${code}`
  return `${proto}/${name}`
}

/** Message keys that carry transactions, for per-tx cost figures. */
export const TX_MESSAGE_KEYS = [
  'eth/Transactions',
  'eth/NewPooledTransactionHashes',
  'eth/GetPooledTransactions',
  'eth/PooledTransactions',
  'tee/TxItems',
  'tee/Digest',
  'tee/Pull',
] as const

/** Message keys that carry blocks or block announcements. */
export const BLOCK_MESSAGE_KEYS = [
  'eth/NewBlock',
  'eth/NewBlockHashes',
  'eth/GetBlockHeaders',
  'eth/BlockHeaders',
  'eth/GetBlockBodies',
  'eth/BlockBodies',
  'tee/BlockItems',
  'tee/GetBlockTxs',
  'tee/BlockTxs',
] as const
