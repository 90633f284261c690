/**
 * The propagation seam. Every tx and block the client relays goes through one `Propagation`.
 *
 * The interface sees only peer ids, item metadata and the actions to take: no client objects, no sockets, no timers.
 * A `Propagation` is the policy of the eth/68 core (eth/core.ts), which the devp2p adapter (src/p2p/) and the
 * simulator (src/sim/) both drive. Implementations MUST be deterministic for a given sequence of calls.
 */

/** A peer, named by its devp2p node id (128 hex chars, no 0x). */
export type PeerId = string

/** Where an item came from: a peer, or this node (RPC submission, mined block). */
export type Origin = PeerId | 'local'

export type Hex = `0x${string}`

export interface TxMeta {
  hash: Hex
  /** EIP-2718 type (0 = legacy). */
  type: number
  /** Encoded size in bytes, as announced in NewPooledTransactionHashes. */
  size: number
  /** True when this event put the tx into the local pool (false: already known, or rejected). */
  accepted: boolean
}

export interface BlockMeta {
  hash: Hex
  number: bigint
}

/**
 * Sends, in the order given. The eth/68 core applies the per-peer "known" filter (and in the node the client's
 * senders apply theirs again), so an action never sends an item back to a peer that already has it.
 */
export type TxAction =
  /** eth `Transactions`: the full txs. */
  | { kind: 'push'; to: PeerId[]; txs: TxMeta[] }
  /** eth `NewPooledTransactionHashes`: the peer fetches what it lacks. */
  | { kind: 'announce'; to: PeerId[]; txs: TxMeta[] }

export type BlockAction =
  /** eth `NewBlock`: the full block. */
  | { kind: 'push'; to: PeerId[] }
  /** eth `NewBlockHashes`. */
  | { kind: 'announce'; to: PeerId[] }

export interface RouteContext {
  /** Connected peers, in the peer pool's order. */
  peers: readonly PeerId[]
  origin: Origin
}

/** How txs reached this node: pushed in `Transactions`, fetched after an announcement, or submitted over RPC. */
export type TxArrival = 'push' | 'fetch' | 'rpc'

export interface TxRouteContext extends RouteContext {
  via: TxArrival
}

export interface Propagation {
  readonly mode: PropagationMode
  /** Txs newly accepted into the pool, from a peer or from local RPC. */
  routeTxs(txs: readonly TxMeta[], ctx: TxRouteContext): TxAction[]
  /** The pool, offered to a peer that just connected. */
  routePoolToNewPeer(txs: readonly TxMeta[], peer: PeerId): TxAction[]
  /** Announced hashes this node does not have: which to fetch now from the announcer (GetPooledTransactions). */
  selectFetch(hashes: readonly Hex[], from: PeerId): Hex[]
  /** A block that extends or is about to extend the chain: received from a peer, or mined here. */
  routeBlock(block: BlockMeta, ctx: RouteContext): BlockAction[]
}

export const PROPAGATION_MODES = ['stock', 'geth', 'flood', 'tee'] as const
export type PropagationMode = (typeof PROPAGATION_MODES)[number]

export function isPropagationMode(s: string): s is PropagationMode {
  return (PROPAGATION_MODES as readonly string[]).includes(s)
}
