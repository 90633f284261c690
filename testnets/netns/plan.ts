/**
 * The layout of a testnet in network namespaces (`teecast testnet up --netns`), computed before anything is created:
 * one bridge, and per node a namespace with one end of a veth pair, the other end on the bridge. Every name starts
 * with a prefix derived from the testnet dir, so two testnets never collide and `down` removes exactly its own.
 * Addresses come from 10.200.0.0/13 (private), a /24 per testnet: the bridge holds .1 (so the caller reaches the
 * nodes' RPC), node i holds .(i + 2).
 */
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import type { LinkSpecFile } from '../../src/shared/linkemu/spec.ts'

/** Node addresses .2 to .254 of the /24. */
export const NETNS_MAX_NODES = 253

export interface NetnsNode {
  name: string
  /** Namespace name. */
  ns: string
  /** veth end on the bridge, in the caller's namespace (<= 15 characters). */
  hostIf: string
  /** veth end inside the namespace. */
  nodeIf: string
  ip: string
}

/** What testnet.json keeps of it: enough for `down` to remove everything. */
export interface NetnsRecord {
  prefix: string
  bridge: string
  /** "10.x.y.0/24". */
  subnet: string
  gateway: string
  nodes: NetnsNode[]
  /** Rate and loss, applied by the kernel (delay and jitter stay in testnet.json's link, for the emulator). */
  kernelLink?: LinkSpecFile
}

/** 6 hex digits of the testnet dir's absolute path. */
export function netnsPrefix(dir: string): string {
  return `tc${createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 6)}`
}

/** Which /24: from the prefix, moved on by `attempt` when that one is taken. */
export function subnetFor(prefix: string, attempt = 0): string {
  const h = Number.parseInt(prefix.slice(2), 16) + attempt
  return `10.${200 + ((h >> 8) % 8)}.${h % 256}.0/24`
}

export function planNetns(dir: string, names: readonly string[], o: { attempt?: number } = {}): NetnsRecord {
  if (names.length > NETNS_MAX_NODES) throw new Error(`--netns holds at most ${NETNS_MAX_NODES} nodes (one /24), got ${names.length}`)
  const prefix = netnsPrefix(dir)
  const subnet = subnetFor(prefix, o.attempt)
  const net = subnet.slice(0, subnet.lastIndexOf('.'))
  return {
    prefix,
    bridge: `${prefix}br`,
    subnet,
    gateway: `${net}.1`,
    nodes: names.map((name, i) => ({ name, ns: `${prefix}-${name}`, hostIf: `${prefix}v${i}`, nodeIf: 'eth0', ip: `${net}.${i + 2}` })),
  }
}
