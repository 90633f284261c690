/**
 * `tee` as seen by the eth/68 seam. Items between tee/1 peers travel on the relay (relay.ts, driven by the devp2p
 * adapter); eth/68 is left with the peers that do not speak tee/1, which get the client's own rules (stock), so mixed
 * networks keep working. Before a peer's tee/1 hello completes it counts as an eth peer: nothing is lost, at worst
 * an early tx goes both ways.
 */
import type { BlockAction, BlockMeta, Hex, PeerId, Propagation, RouteContext, TxAction, TxMeta, TxRouteContext } from '../interface.ts'
import { StockPropagation } from '../stock.ts'

export class TeePropagation implements Propagation {
  readonly mode = 'tee' as const
  private readonly eth = new StockPropagation()

  constructor(private readonly isTeePeer: (peer: PeerId) => boolean = () => false) {}

  private ethOnly(peers: readonly PeerId[]): PeerId[] {
    return peers.filter((p) => !this.isTeePeer(p))
  }

  routeTxs(txs: readonly TxMeta[], ctx: TxRouteContext): TxAction[] {
    return this.eth.routeTxs(txs, { ...ctx, peers: this.ethOnly(ctx.peers) })
  }

  routePoolToNewPeer(txs: readonly TxMeta[], peer: PeerId): TxAction[] {
    return this.isTeePeer(peer) ? [] : this.eth.routePoolToNewPeer(txs, peer)
  }

  selectFetch(hashes: readonly Hex[]): Hex[] {
    return this.eth.selectFetch(hashes)
  }

  routeBlock(block: BlockMeta, ctx: RouteContext): BlockAction[] {
    return this.eth.routeBlock(block, { ...ctx, peers: this.ethOnly(ctx.peers) })
  }
}
