/**
 * The schedule of a chaos run (`teecast testnet chaos`), pure: from the testnet, the seed and the workload's length,
 * which faults happen when, on which nodes and links. Faults follow one another and never overlap, so each one's
 * effect (and its healing) is measured on its own:
 * - kill: SIGKILL to a node that is not a Clique signer, restarted from its data on disk after `downMs`;
 * - partition: every link between two halves of the network cut (each half holds signers when there are two or
 *   more), healed after `downMs`;
 * - slow: one link made slow and lossy for `downMs`;
 * - coordinator (tee only): the node that coordinated the newest plan, killed as soon as a new plan is seen, then
 *   restarted after `downMs`.
 * Every fault starts in the first two thirds of the workload, so the rest of it shows the recovery.
 */
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { SeededRandom } from '../../src/shared/rng.ts'
import { portPairKey } from '../../src/shared/linkemu/spec.ts'

export const FAULT_KINDS = ['kill', 'partition', 'slow', 'coordinator'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export type PlannedFault =
  | { kind: 'kill'; atMs: number; downMs: number; node: string }
  | { kind: 'partition'; atMs: number; downMs: number; sides: [string[], string[]]; links: string[] }
  | { kind: 'slow'; atMs: number; downMs: number; link: string; between: [string, string]; delay: string; loss: string }
  | { kind: 'coordinator'; atMs: number; downMs: number }

export interface ChaosPlanOptions {
  kinds: readonly FaultKind[]
  /** How long the workload sends, ms. */
  workloadMs: number
  downMs: number
  seed: string
}

/** Why a fault kind cannot run on this testnet, or undefined. */
export function unsupported(d: TestnetDescription, kind: FaultKind): string | undefined {
  if ((kind === 'partition' || kind === 'slow') && d.link === undefined) {
    return `${kind} needs the link emulator on every link: create the testnet with a link flag, e.g. 'teecast testnet up --delay 1ms'`
  }
  if (kind === 'kill' && d.nodes.every((n) => n.signerKey !== undefined)) return 'kill needs a node that is not a Clique signer'
  if (kind === 'coordinator' && !d.nodes.some((n) => n.propagation === 'tee' && n.tee === true)) return 'coordinator needs tee nodes with an enclave'
  if (kind === 'partition' && d.nodes.length < 2) return 'partition needs two nodes or more'
  return undefined
}

const linkKey = (a: TestnetNode, b: TestnetNode): string => portPairKey(a.p2pPort, b.p2pPort)

export function planChaos(d: TestnetDescription, o: ChaosPlanOptions): PlannedFault[] {
  const rng = new SeededRandom(`chaos/${o.seed}`)
  const byName = new Map(d.nodes.map((n) => [n.name, n]))
  const slot = (o.workloadMs * 2) / 3 / Math.max(1, o.kinds.length)
  return o.kinds.map((kind, i): PlannedFault => {
    const atMs = Math.round(i * slot + Math.min(slot / 4, 2_000))
    switch (kind) {
      case 'kill': {
        const candidates = d.nodes.filter((n) => n.signerKey === undefined)
        return { kind, atMs, downMs: o.downMs, node: rng.shuffle(candidates)[0]!.name }
      }
      case 'partition': {
        const signers = rng.shuffle(d.nodes.filter((n) => n.signerKey !== undefined))
        const others = rng.shuffle(d.nodes.filter((n) => n.signerKey === undefined))
        const a: string[] = []
        const b: string[] = []
        // Signers alternate between the halves, then the others fill the smaller half.
        signers.forEach((n, j) => (j % 2 === 0 ? a : b).push(n.name))
        for (const n of others) (a.length <= b.length ? a : b).push(n.name)
        const inA = new Set(a)
        const links = new Set<string>()
        for (const n of d.nodes) for (const p of n.peers) if (inA.has(n.name) !== inA.has(p)) links.add(linkKey(n, byName.get(p)!))
        return { kind, atMs, downMs: o.downMs, sides: [a, b], links: [...links].sort() }
      }
      case 'slow': {
        const edges = d.nodes.flatMap((n) => n.peers.filter((p) => n.name < p).map((p) => [n.name, p] as [string, string]))
        const between = rng.shuffle(edges)[0]!
        return { kind, atMs, downMs: o.downMs, link: linkKey(byName.get(between[0])!, byName.get(between[1])!), between, delay: '200ms', loss: '2%' }
      }
      case 'coordinator':
        return { kind, atMs, downMs: o.downMs }
    }
  })
}
