/** `flood`: pre-eth/65 behaviour: every accepted tx and every block in full to every peer, no announcements. */
import type { BlockAction, BlockMeta, Hex, PeerId, Propagation, RouteContext, TxAction, TxMeta, TxRouteContext } from './interface.ts'
import { fetchAll } from './fanout.ts'

export class FloodPropagation implements Propagation {
  readonly mode = 'flood' as const

  routeTxs(txs: readonly TxMeta[], ctx: TxRouteContext): TxAction[] {
    const fresh = txs.filter((t) => t.accepted)
    return fresh.length === 0 ? [] : [{ kind: 'push', to: [...ctx.peers], txs: fresh }]
  }

  routePoolToNewPeer(txs: readonly TxMeta[], peer: PeerId): TxAction[] {
    return txs.length === 0 ? [] : [{ kind: 'push', to: [peer], txs: [...txs] }]
  }

  selectFetch(hashes: readonly Hex[]): Hex[] {
    return fetchAll(hashes)
  }

  routeBlock(_block: BlockMeta, ctx: RouteContext): BlockAction[] {
    return [{ kind: 'push', to: [...ctx.peers] }]
  }
}
