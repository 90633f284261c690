/**
 * Where each node of a testnet lives in Kubernetes: one StatefulSet per propagation mode ("node group"), pods named
 * `<prefix>-<mode>-<ordinal>`, reachable as `<pod>.<prefix>-nodes.<namespace>.svc.cluster.local` through one
 * headless Service. Computed from the flags alone, before the testnet is created, so that the description's hosts
 * are these DNS names from the start.
 */
import type { PropagationMode } from '../../src/propagation/interface.ts'

/** How a Kubernetes testnet shapes its links (here, not in manifests.ts, so the CLI lists them without loading kubernetes-models). */
export type LinkShaping = 'tc' | 'chaos-mesh' | 'userspace' | 'none'
export const LINK_SHAPINGS: readonly LinkShaping[] = ['tc', 'chaos-mesh', 'userspace', 'none']

/** The ports every pod uses (one pod per node, so they need not differ). */
export const K8S_PORTS = { p2p: 30303, rpc: 8545, metrics: 9100 } as const

export interface K8sNames {
  namespace: string
  /** Prefix of every object's name: lets two testnets (stock and tee, say) share a namespace. */
  prefix: string
}

export interface NodePlace {
  index: number
  group: string
  ordinal: number
  pod: string
  host: string
}

export const headlessService = (n: K8sNames): string => `${n.prefix}-nodes`
export const statefulSetName = (n: K8sNames, group: string): string => `${n.prefix}-${group}`

/** DNS-1123 label: what a namespace, a prefix and a group name must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/

export function placeNodes(modes: readonly PropagationMode[], n: K8sNames): NodePlace[] {
  const counts = new Map<string, number>()
  return modes.map((mode, index) => {
    const ordinal = counts.get(mode) ?? 0
    counts.set(mode, ordinal + 1)
    const pod = `${statefulSetName(n, mode)}-${ordinal}`
    return { index, group: mode, ordinal, pod, host: `${pod}.${headlessService(n)}.${n.namespace}.svc.cluster.local` }
  })
}
