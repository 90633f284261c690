/**
 * `geth`: go-ethereum's rules (eth/handler.go BroadcastTransactions, BroadcastBlock): full txs to floor(sqrt(n))
 * peers and hashes to the rest; txs over 4 KiB (and blob txs) are announce-only; NewBlock to floor(sqrt(n)) peers,
 * NewBlockHashes to the rest. Only txs this event accepted are relayed, whatever way they arrived.
 */
import type { BlockAction, BlockMeta, Hex, PeerId, Propagation, RouteContext, TxAction, TxMeta, TxRouteContext } from './interface.ts'
import { announcePool, fetchAll, splitPeers, sqrtBlockRoute } from './fanout.ts'

/** go-ethereum txMaxBroadcastSize: larger txs are only announced. */
export const GETH_MAX_BROADCAST_SIZE = 4096
const BLOB_TX_TYPE = 3

export class GethPropagation implements Propagation {
  readonly mode = 'geth' as const

  routeTxs(txs: readonly TxMeta[], ctx: TxRouteContext): TxAction[] {
    const fresh = txs.filter((t) => t.accepted)
    if (fresh.length === 0) return []
    const small = fresh.filter((t) => t.size <= GETH_MAX_BROADCAST_SIZE && t.type !== BLOB_TX_TYPE)
    const { full, rest } = splitPeers(ctx.peers, Math.floor(Math.sqrt(ctx.peers.length)))
    return [
      { kind: 'push', to: full, txs: small },
      // The known filter drops what the full peers were just sent, so they get only the large ones announced.
      { kind: 'announce', to: [...full, ...rest], txs: fresh },
    ]
  }

  routePoolToNewPeer(txs: readonly TxMeta[], peer: PeerId): TxAction[] {
    return announcePool(txs, peer)
  }

  selectFetch(hashes: readonly Hex[]): Hex[] {
    return fetchAll(hashes)
  }

  routeBlock(_block: BlockMeta, ctx: RouteContext): BlockAction[] {
    return sqrtBlockRoute(ctx.peers)
  }
}
