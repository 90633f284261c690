/**
 * The eth/68 core's inputs and outputs, as plain data: decoded wire messages, local items, peer info and actions.
 * Hashes are 0x-prefixed hex; sizes are encoded tx sizes in bytes (what eth/68 announces).
 */
import type { Hex, PeerId } from '../interface.ts'

/** A tx as eth/68 describes it: enough to route it, announce it and count its bytes. */
export interface EthTx {
  hash: Hex
  /** EIP-2718 type (0 = legacy). */
  type: number
  /** Encoded size in bytes. */
  size: number
}

/** A hash as announced in NewPooledTransactionHashes; the node's seam sees the hash only (patch client 016). */
export interface EthAnnounced {
  hash: Hex
  type?: number
  size?: number
}

export interface EthBlock {
  hash: Hex
  number: bigint
}

/** Decoded eth/68 messages the core takes. `reqId` is optional where a driver cannot see it (see core.ts). */
export type EthMsg =
  | { t: 'Transactions'; txs: EthTx[] }
  | { t: 'NewPooledTransactionHashes'; txs: EthAnnounced[] }
  | { t: 'GetPooledTransactions'; reqId: number; hashes: Hex[] }
  | { t: 'PooledTransactions'; reqId?: number; txs: EthTx[] }
  | { t: 'NewBlock'; block: EthBlock }
  | { t: 'NewBlockHashes'; blocks: EthBlock[] }

/** An item that starts here: a tx the pool took from RPC, or a block this node sealed. */
export type EthLocal = { kind: 'tx'; tx: EthTx } | { kind: 'block'; block: EthBlock }

/** What the core learns when a peer comes up: the pool's content at that moment, to offer it (the client does). */
export interface EthPeerInfo {
  pool: readonly EthTx[]
}

export type EthAction =
  | { t: 'send-Transactions'; to: PeerId; txs: EthTx[] }
  | { t: 'send-NewPooledTransactionHashes'; to: PeerId; txs: EthTx[] }
  | { t: 'send-GetPooledTransactions'; to: PeerId; reqId: number; hashes: Hex[] }
  /** Answer a request with the txs of `hashes` the pool holds (an empty list too: the client always answers). */
  | { t: 'serve-PooledTransactions'; to: PeerId; reqId: number; hashes: Hex[] }
  | { t: 'send-NewBlock'; to: PeerId; block: EthBlock }
  | { t: 'send-NewBlockHashes'; to: PeerId; blocks: EthBlock[] }
  /** Hand txs to the pool; the driver reports each verdict with `onPoolResult(hash, accepted, from)`. */
  | { t: 'deliver-txs'; from: PeerId; txs: EthTx[] }
  /** Hand a block to the chain. */
  | { t: 'deliver-block'; from: PeerId; block: EthBlock }
  /** Announced blocks: the chain fetches the ones it lacks (the client's block fetcher, patch client 012). */
  | { t: 'fetch-block'; from: PeerId; blocks: EthBlock[] }
