/**
 * The shaping proxies of one node: one per static peer it dials, started on first dial. Only the dialing end of a
 * link runs a proxy, and the proxy shapes both directions, so every link is emulated exactly once. A link's spec is
 * its entry in spec.perLink (from a topology file) when there is one, else the common spec.
 */
import type { EnodeAddress } from '../enode.ts'
import { startLinkProxy, type LinkProxy } from './proxy.ts'
import { specForLink, type LinkSpec } from './spec.ts'

export class LinkProxies {
  private readonly proxies = new Map<string, Promise<LinkProxy>>()

  constructor(
    /** The default spec, and per-link ones in spec.perLink keyed by the two ends' ports. */
    private readonly spec: LinkSpec,
    /** This node's own devp2p port: picks the per-link spec, and seeds each link's jitter and loss, so runs repeat. */
    private readonly seed: number,
  ) {}

  readonly dialTarget = async (peer: EnodeAddress): Promise<{ host: string; port: number }> => {
    let p = this.proxies.get(peer.id)
    if (p === undefined) {
      p = startLinkProxy({ targetHost: peer.host, targetPort: peer.port, spec: specForLink(this.spec, this.seed, peer.port), seed: this.seed * 65_537 + peer.port })
      this.proxies.set(peer.id, p)
    }
    return { host: '127.0.0.1', port: (await p).port }
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map(async (p) => (await p).close()))
  }
}
