/**
 * `tee` as seen by the eth/68 seam. Items between tee/1 peers travel on the relay (relay.ts, driven by the devp2p
 * adapter); eth/68 is left with the peers that do not speak tee/1, which get the client's own rules (stock), so mixed
 * networks keep working. Txs: a peer whose tee/1 hello is under way counts as a tee peer (`carriesTxs`; the relay's
 * digests cover the hello once it is up), and a returning tee peer is not sent the pool again (`hadSession`). Blocks:
 * only a peer whose hello is done counts (`isTeePeer`), since a block sent before is not sent again on tee/1.
 */
import type { BlockAction, BlockMeta, Hex, PeerId, Propagation, RouteContext, TxAction, TxMeta, TxRouteContext } from '../interface.ts'
import { StockPropagation } from '../stock.ts'

/** What the seam asks the tee/1 driver about a peer (TeeAdapter). */
export interface TeePeers {
  /** Its tee/1 hello is done. */
  isTeePeer(peer: PeerId): boolean
  /** Txs to it go over tee/1: its hello is done, or under way for a short grace. */
  carriesTxs(peer: PeerId): boolean
  /** A tee/1 session with it was up before: it got our items then, and the relay's digests resume where they stopped. */
  hadSession(peer: PeerId): boolean
}

const NO_TEE_PEERS: TeePeers = { isTeePeer: () => false, carriesTxs: () => false, hadSession: () => false }

export class TeePropagation implements Propagation {
  readonly mode = 'tee' as const
  private readonly eth = new StockPropagation()

  constructor(private readonly peers: TeePeers = NO_TEE_PEERS) {}

  routeTxs(txs: readonly TxMeta[], ctx: TxRouteContext): TxAction[] {
    return this.eth.routeTxs(txs, { ...ctx, peers: ctx.peers.filter((p) => !this.peers.carriesTxs(p)) })
  }

  /**
   * The pool goes to a new peer over eth/68 as stock sends it, unless it is a tee peer coming back: it has what we had
   * when its session went down, and the relay digests the rest (each reconnect on a backlogged link re-announced the
   * whole pool). A tee peer seen for the first time gets it: the relay's digests reach back seconds, not the pool.
   */
  routePoolToNewPeer(txs: readonly TxMeta[], peer: PeerId): TxAction[] {
    return this.peers.carriesTxs(peer) && this.peers.hadSession(peer) ? [] : this.eth.routePoolToNewPeer(txs, peer)
  }

  selectFetch(hashes: readonly Hex[]): Hex[] {
    return this.eth.selectFetch(hashes)
  }

  routeBlock(block: BlockMeta, ctx: RouteContext): BlockAction[] {
    return this.eth.routeBlock(block, { ...ctx, peers: ctx.peers.filter((p) => !this.peers.isTeePeer(p)) })
  }
}
