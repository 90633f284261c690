/**
 * `tee` as seen by the eth/68 seam. Items between tee/1 peers travel on the relay (relay.ts, driven by the devp2p
 * adapter); eth/68 is left with the peers that do not speak tee/1, which get the client's own rules (stock), so mixed
 * networks keep working. Txs: a peer whose tee/1 hello is under way counts as a tee peer (`carriesTxs`; the relay's
 * digests cover the hello once it is up), so a reconnect does not re-announce the whole pool over eth/68. Blocks: only
 * a peer whose hello is done counts (`isTeePeer`), since a block sent before is not sent again on tee/1.
 */
import type { BlockAction, BlockMeta, Hex, PeerId, Propagation, RouteContext, TxAction, TxMeta, TxRouteContext } from '../interface.ts'
import { StockPropagation } from '../stock.ts'

export class TeePropagation implements Propagation {
  readonly mode = 'tee' as const
  private readonly eth = new StockPropagation()

  constructor(
    private readonly isTeePeer: (peer: PeerId) => boolean = () => false,
    private readonly carriesTxs: (peer: PeerId) => boolean = isTeePeer,
  ) {}

  routeTxs(txs: readonly TxMeta[], ctx: TxRouteContext): TxAction[] {
    return this.eth.routeTxs(txs, { ...ctx, peers: ctx.peers.filter((p) => !this.carriesTxs(p)) })
  }

  routePoolToNewPeer(txs: readonly TxMeta[], peer: PeerId): TxAction[] {
    return this.carriesTxs(peer) ? [] : this.eth.routePoolToNewPeer(txs, peer)
  }

  selectFetch(hashes: readonly Hex[]): Hex[] {
    return this.eth.selectFetch(hashes)
  }

  routeBlock(block: BlockMeta, ctx: RouteContext): BlockAction[] {
    return this.eth.routeBlock(block, { ...ctx, peers: ctx.peers.filter((p) => !this.isTeePeer(p)) })
  }
}
