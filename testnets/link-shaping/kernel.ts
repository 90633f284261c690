/**
 * Kernel link shaping, as argv lists for `tc` and an `nft -f` script, per peer of one node (each end shapes its own
 * egress, so each direction of a link is shaped once, as the user-space emulator does):
 * - rate: an htb class per peer (matched on the peer's address) with a tbf leaf that holds the rate;
 * - delay, jitter, loss with netem where the kernel has it (clusters), the leaf is then netem with the rate in it;
 * - loss without netem: an nftables rule per peer that drops that share of packets (`numgen random`); TCP
 *   retransmits, as with the emulator's loss.
 * Traffic to anything but a peer (RPC, DNS, metrics) goes to an unshaped default class.
 */
import type { LinkSpec } from '../../src/shared/linkemu/spec.ts'

export interface PeerLink {
  /** The peer's IPv4 address. */
  ip: string
  spec: LinkSpec
}

/** The default class's rate: high enough to never limit. */
const UNSHAPED = '10gbit'
const kbit = (bps: number): string => `${Math.max(8, Math.round(bps / 1000))}kbit`

/** tbf's bucket: a 10th of a second at the rate, at least 2 full-size segments (64 KiB GSO). */
const burstBytes = (bps: number): number => Math.max(2 * 65_536, Math.round(bps / 8 / 10))

export function tcCommands(dev: string, peers: readonly PeerLink[], o: { netem: boolean }): string[][] {
  const cmds: string[][] = [
    ['qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1'],
    ['class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', UNSHAPED],
  ]
  peers.forEach((p, k) => {
    const s = p.spec
    const limited = Number.isFinite(s.rateBps)
    const needsNetem = o.netem && (s.delayMs > 0 || s.jitterMs > 0 || s.loss > 0)
    if (!limited && !needsNetem) return
    const id = (k + 16).toString(16)
    cmds.push(['class', 'add', 'dev', dev, 'parent', '1:', 'classid', `1:${id}`, 'htb', 'rate', limited ? kbit(s.rateBps) : UNSHAPED, ...(limited ? ['burst', String(burstBytes(s.rateBps))] : [])])
    if (needsNetem) {
      cmds.push([
        'qdisc', 'add', 'dev', dev, 'parent', `1:${id}`, 'handle', `${id}:`, 'netem',
        'delay', `${s.delayMs}ms`, ...(s.jitterMs > 0 ? [`${s.jitterMs}ms`] : []),
        ...(s.loss > 0 ? ['loss', `${+(s.loss * 100).toFixed(4)}%`] : []),
        ...(limited ? ['rate', kbit(s.rateBps)] : []),
        'limit', '10000',
      ])
    } else {
      // The bucket: what holds the rate exactly; htb above it only classifies.
      cmds.push(['qdisc', 'add', 'dev', dev, 'parent', `1:${id}`, 'handle', `${id}:`, 'tbf', 'rate', kbit(s.rateBps), 'burst', String(burstBytes(s.rateBps)), 'latency', '400ms'])
    }
    cmds.push(['filter', 'add', 'dev', dev, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${p.ip}/32`, 'flowid', `1:${id}`])
  })
  return cmds
}

/** An `nft -f` script: a table of its own that drops the given share of packets to each lossy peer. */
export function nftLossScript(table: string, peers: readonly PeerLink[]): string | undefined {
  const lossy = peers.filter((p) => p.spec.loss > 0)
  if (lossy.length === 0) return undefined
  const rules = lossy.map((p) => {
    // numgen random mod 1,000,000 < loss * 1e6: the loss share, to a millionth.
    const below = Math.max(1, Math.round(p.spec.loss * 1_000_000))
    return `    ip daddr ${p.ip} numgen random mod 1000000 < ${below} drop`
  })
  return [`table ip ${table} {`, '  chain out {', '    type filter hook output priority 0; policy accept;', ...rules, '  }', '}', ''].join('\n')
}
