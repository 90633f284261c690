/**
 * `stock`: the EthereumJS client 0.10.5 rules, kept exactly, including their quirks (they are the baseline):
 * - txs pushed to us: full `Transactions` (all received txs, accepted or not) to the first max(1, floor(n/4)) peers,
 *   hashes of the accepted ones to the rest (txpool.ts handleAnnouncedTxs);
 * - txs we fetched after an announcement: hashes of all of them to every peer (handleAnnouncedTxHashes);
 * - txs submitted over RPC: hashes to every peer, then full txs to every peer (eth.ts sendRawTransaction); the
 *   per-peer known filter makes the second step a no-op, so RPC txs spread by announce-then-fetch;
 * - a new peer gets the hashes of the whole pool;
 * - blocks: NewBlock to the first floor(sqrt(n)) peers, NewBlockHashes to the rest (fullsync.ts handleNewBlock).
 */
import type { BlockAction, BlockMeta, Hex, Propagation, PeerId, RouteContext, TxAction, TxMeta, TxRouteContext } from './interface.ts'
import { announcePool, fetchAll, splitPeers, sqrtBlockRoute } from './fanout.ts'

export class StockPropagation implements Propagation {
  readonly mode = 'stock' as const

  routeTxs(txs: readonly TxMeta[], ctx: TxRouteContext): TxAction[] {
    const all = [...txs]
    switch (ctx.via) {
      case 'push': {
        const { full, rest } = splitPeers(ctx.peers, Math.max(1, Math.floor(ctx.peers.length / 4)))
        return [
          { kind: 'push', to: full, txs: all },
          { kind: 'announce', to: rest, txs: all.filter((t) => t.accepted) },
        ]
      }
      case 'fetch':
        return [{ kind: 'announce', to: [...ctx.peers], txs: all }]
      case 'rpc':
        return [
          { kind: 'announce', to: [...ctx.peers], txs: all },
          { kind: 'push', to: [...ctx.peers], txs: all },
        ]
    }
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
