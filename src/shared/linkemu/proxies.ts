/**
 * The shaping proxies of one node: one per static peer it dials, started on first dial. Only the dialing end of a
 * link runs a proxy, and the proxy shapes both directions, so every link is emulated exactly once. A link's spec is
 * its entry in spec.perLink (from a topology file) when there is one, else the common spec.
 */
import type { EnodeAddress } from '../enode.ts'
import { startLinkProxy, type LinkProxy } from './proxy.ts'
import { parseLinkSpec, portPairKey, specForLink, type LinkSpec } from './spec.ts'
import { NO_FAULTS, watchLinkFaults, type LinkFaults } from './faults.ts'

export class LinkProxies {
  private readonly proxies = new Map<string, { peerPort: number; proxy: Promise<LinkProxy> }>()
  private faults: LinkFaults = NO_FAULTS
  private readonly unwatch: (() => void) | undefined

  constructor(
    /** The default spec, and per-link ones in spec.perLink keyed by the two ends' ports. */
    private readonly spec: LinkSpec,
    /** This node's own devp2p port: picks the per-link spec, and seeds each link's jitter and loss, so runs repeat. */
    private readonly seed: number,
    /** The testnet's link-faults file (faults.ts), watched while the node runs; unset = no faults. */
    faultsPath?: string,
  ) {
    this.unwatch = faultsPath !== undefined ? watchLinkFaults(faultsPath, (f) => this.applyFaults(f)) : undefined
  }

  /** The link's spec and state under the faults in force: a fault's values replace the link's own. */
  private linkState(peerPort: number): { blocked: boolean; spec: LinkSpec } {
    const own = specForLink(this.spec, this.seed, peerPort)
    const f = this.faults.links[portPairKey(this.seed, peerPort)]
    if (f === undefined) return { blocked: false, spec: own }
    const { cut, ...values } = f
    let spec = own
    try {
      if (Object.keys(values).length > 0) spec = { ...own, ...parseLinkSpec(values) }
    } catch {
      // A fault that does not parse changes nothing; the chaos command checks what it writes.
    }
    return { blocked: cut === true, spec }
  }

  /** The faults this node's proxies apply now (the file as last read). */
  faultsInForce(): LinkFaults {
    return this.faults
  }

  private applyFaults(f: LinkFaults): void {
    this.faults = f
    for (const { peerPort, proxy } of this.proxies.values()) {
      void proxy.then((p) => p.setFault(this.linkState(peerPort)))
    }
  }

  readonly dialTarget = async (peer: EnodeAddress): Promise<{ host: string; port: number }> => {
    let entry = this.proxies.get(peer.id)
    if (entry === undefined) {
      const proxy = startLinkProxy({ targetHost: peer.host, targetPort: peer.port, spec: specForLink(this.spec, this.seed, peer.port), seed: this.seed * 65_537 + peer.port })
      entry = { peerPort: peer.port, proxy }
      this.proxies.set(peer.id, entry)
      void proxy.then((p) => p.setFault(this.linkState(peer.port)))
    }
    return { host: '127.0.0.1', port: (await entry.proxy).port }
  }

  async close(): Promise<void> {
    this.unwatch?.()
    await Promise.all([...this.proxies.values()].map(async (e) => (await e.proxy).close()))
  }
}
