/**
 * Creates and removes a testnet's network namespaces (plan.ts), with `ip`, `tc` and `nft` (root only):
 * - the bridge with the gateway address, one namespace per node with its veth end, address and loopback up;
 * - per node, its egress to each peer shaped by the kernel: rate by an htb class with a tbf leaf, loss by an nftables
 *   rule in the namespace's own table (the kernel here has no netem);
 * - delay and jitter stay in the user-space emulator: testnet.json keeps only those, the kernel's share goes into
 *   the netns record.
 * Nothing outside the namespaces and the bridge is touched; `teardownNetns` removes all of it, and setup removes
 * what it made when a step fails.
 */
import { execFileSync } from 'node:child_process'
import { readTestnet, writeTestnet } from '../description.ts'
import { parseLinkSpec, specForLink, type LinkSpecFile, type LinkSpecInput } from '../../src/shared/linkemu/spec.ts'
import { nftLossScript, tcCommands, type PeerLink } from '../link-shaping/kernel.ts'
import { planNetns, type NetnsRecord } from './plan.ts'

const NFT_TABLE = 'teecast_links'

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) })
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`)
  }
}

const has = (cmd: string, args: string[]): boolean => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Why --netns cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  if (!has('ip', ['netns', 'list'])) return "'ip netns' is not available (install iproute2)"
  if (!has('tc', ['-V'])) return "'tc' is not available (install iproute2)"
  if (!has('nft', ['--version'])) return "'nft' is not available (install nftables)"
  return undefined
}

/** IPv4 networks already on this host's interfaces, as "a.b.c" /24 stems. */
function usedStems(): Set<string> {
  const addrs = JSON.parse(run('ip', ['-4', '-j', 'addr'])) as { addr_info?: { local: string }[] }[]
  return new Set(addrs.flatMap((i) => (i.addr_info ?? []).map((a) => a.local.slice(0, a.local.lastIndexOf('.')))))
}

/** A plan whose /24 no interface of this host uses. */
export function chooseNetnsPlan(dir: string, names: readonly string[]): NetnsRecord {
  const used = usedStems()
  for (let attempt = 0; attempt < 64; attempt++) {
    const p = planNetns(dir, names, { attempt })
    if (!used.has(p.gateway.slice(0, p.gateway.lastIndexOf('.')))) return p
  }
  throw new Error('no free /24 in 10.200.0.0/13 for the testnet bridge')
}

const only = (o: LinkSpecInput | undefined, keys: (keyof LinkSpecInput)[]): LinkSpecInput | undefined => {
  if (o === undefined) return undefined
  const picked = Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as LinkSpecInput
  return Object.keys(picked).length > 0 ? picked : undefined
}

/** Delay and jitter for the user-space emulator; rate and loss for the kernel. */
export function splitLink(link: LinkSpecFile | undefined): { userspace?: LinkSpecFile; kernel?: LinkSpecFile } {
  if (link === undefined) return {}
  const part = (keys: (keyof LinkSpecInput)[]): LinkSpecFile | undefined => {
    const base = only(link, keys)
    const perLink = link.perLink !== undefined ? Object.fromEntries(Object.entries(link.perLink).map(([k, v]) => [k, only(v, keys) ?? {}])) : undefined
    if (base === undefined && perLink === undefined) return undefined
    return { ...(base ?? {}), ...(perLink !== undefined ? { perLink } : {}) }
  }
  const userspace = part(['delay', 'jitter'])
  const kernel = part(['rate', 'loss'])
  return { ...(userspace !== undefined ? { userspace } : {}), ...(kernel !== undefined ? { kernel } : {}) }
}

export function createNetns(r: NetnsRecord): void {
  run('ip', ['link', 'add', r.bridge, 'type', 'bridge'])
  run('ip', ['addr', 'add', `${r.gateway}/24`, 'dev', r.bridge])
  run('ip', ['link', 'set', r.bridge, 'up'])
  for (const n of r.nodes) {
    run('ip', ['netns', 'add', n.ns])
    run('ip', ['link', 'add', n.hostIf, 'type', 'veth', 'peer', 'name', n.nodeIf, 'netns', n.ns])
    run('ip', ['link', 'set', n.hostIf, 'master', r.bridge, 'up'])
    run('ip', ['-n', n.ns, 'addr', 'add', `${n.ip}/24`, 'dev', n.nodeIf])
    run('ip', ['-n', n.ns, 'link', 'set', n.nodeIf, 'up'])
    // The link emulator's proxies listen on the namespace's own 127.0.0.1.
    run('ip', ['-n', n.ns, 'link', 'set', 'lo', 'up'])
  }
}

/** Each node's egress to each of its peers, shaped as the kernel part of the link spec says. */
export function peerLinks(d: ReturnType<typeof readTestnet>, r: NetnsRecord, kernel: LinkSpecFile): Map<string, PeerLink[]> {
  const spec = parseLinkSpec(kernel)
  const byName = new Map(d.nodes.map((n) => [n.name, n]))
  const ipOf = new Map(r.nodes.map((n) => [n.name, n.ip]))
  return new Map(d.nodes.map((n) => [n.name, n.peers.map((p) => ({ ip: ipOf.get(p)!, spec: specForLink(spec, n.p2pPort, byName.get(p)!.p2pPort) }))]))
}

function shape(r: NetnsRecord, links: Map<string, PeerLink[]>): void {
  for (const n of r.nodes) {
    const peers = links.get(n.name) ?? []
    for (const args of tcCommands(n.nodeIf, peers, { netem: false })) run('tc', ['-n', n.ns, ...args])
    const nft = nftLossScript(NFT_TABLE, peers)
    if (nft !== undefined) run('ip', ['netns', 'exec', n.ns, 'nft', '-f', '-'], nft)
  }
}

/**
 * For the testnet in `dir` (created with the plan's addresses as hosts): creates the namespaces and the bridge,
 * shapes the links, and records it all in testnet.json. On failure, removes what it made and throws.
 */
export function setupNetnsTestnet(dir: string, r: NetnsRecord): NetnsRecord {
  const d = readTestnet(dir)
  const { userspace, kernel } = splitLink(d.link)
  const record: NetnsRecord = { ...r, ...(kernel !== undefined ? { kernelLink: kernel } : {}) }
  try {
    createNetns(record)
    if (kernel !== undefined) shape(record, peerLinks(d, record, kernel))
  } catch (err) {
    teardownNetns(record)
    throw err
  }
  const nsOf = new Map(record.nodes.map((n) => [n.name, n.ns]))
  const { link: _full, ...rest } = d
  writeTestnet(dir, { ...rest, ...(userspace !== undefined ? { link: userspace } : {}), netns: record, nodes: d.nodes.map((n) => ({ ...n, netns: nsOf.get(n.name)! })) })
  return record
}

/**
 * Removes the namespaces (their veth pairs and nft tables go with them) and the bridge; returns what was removed.
 * Goes on past a failed step, so one stuck namespace does not keep the rest, then throws naming what failed.
 */
export function teardownNetns(r: NetnsRecord): string[] {
  const removed: string[] = []
  const failed: string[] = []
  const attempt = (what: string, args: string[]) => {
    try {
      run('ip', args)
      removed.push(what)
    } catch (err) {
      failed.push((err as Error).message)
    }
  }
  const existing = new Set(run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter((x) => x !== ''))
  for (const n of r.nodes) {
    if (!n.ns.startsWith(r.prefix)) continue
    if (existing.has(n.ns)) attempt(n.ns, ['netns', 'del', n.ns])
    // The kernel removes the host end with the namespace, asynchronously: gone by now or soon, either is fine.
    if (has('ip', ['link', 'show', n.hostIf]) && has('ip', ['link', 'del', n.hostIf])) removed.push(n.hostIf)
  }
  if (r.bridge.startsWith(r.prefix) && has('ip', ['link', 'show', r.bridge])) attempt(r.bridge, ['link', 'del', r.bridge])
  if (failed.length > 0) throw new Error(`removing testnet namespaces ${r.prefix}-*: ${failed.join('; ')} (removed: ${removed.join(', ') || 'nothing'})`)
  return removed
}

/** Names of namespaces and links with this prefix that exist now (for tests and `down`'s report). */
export function leftovers(prefix: string): string[] {
  const ns = run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter((x) => x.startsWith(prefix))
  const links = (JSON.parse(run('ip', ['-j', 'link'])) as { ifname: string }[]).map((l) => l.ifname).filter((x) => x.startsWith(prefix))
  return [...ns, ...links]
}
