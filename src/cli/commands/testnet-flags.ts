/** Flags shared by `testnet up` and `testnet k8s`: the network they describe, checked the same way for both. */
import { DEFAULT_TESTNET, type CreateTestnetOptions } from '../../../testnets/create.ts'
import { validateRegular } from '../../shared/topology.ts'
import { isPropagationMode, PROPAGATION_MODES, type PropagationMode } from '../../propagation/interface.ts'
import { badInput } from '../errors.ts'
import { parseLinkSpec } from '../../shared/linkemu/spec.ts'

/** `--propagation stock` for all, or `--propagation stock --propagation n3=flood` for per-node overrides. */
export function parsePropagationFlags(values: string[], nodes: number): { base: PropagationMode; overrides: Record<number, PropagationMode> } {
  let base: PropagationMode = DEFAULT_TESTNET.propagation
  const overrides: Record<number, PropagationMode> = {}
  for (const v of values) {
    const m = /^n?(\d+)=(.+)$/.exec(v)
    const mode = m === null ? v : m[2]!
    if (!isPropagationMode(mode)) throw badInput(`--propagation: "${mode}" is not one of ${PROPAGATION_MODES.join(', ')}`)
    if (m === null) base = mode
    else {
      const i = Number(m[1])
      if (i >= nodes) throw badInput(`--propagation ${v}: there are only ${nodes} nodes (n0..n${nodes - 1})`)
      overrides[i] = mode
    }
  }
  return { base, overrides }
}

/** The largest degree <= 4 that a connected regular graph on `nodes` nodes can have. */
export function defaultDegree(nodes: number): number {
  let d = Math.min(DEFAULT_TESTNET.degree, Math.max(1, nodes - 1))
  if ((nodes * d) % 2 !== 0) d -= 1
  return Math.max(1, d)
}


/** The link emulator flags (--delay, --jitter, --rate, --loss) as testnet.json stores them, checked; none given = undefined. */
export function linkFromFlags(a: { delay?: string; jitter?: string; rate?: string; loss?: string }): Record<string, string> | undefined {
  const given = Object.entries({ delay: a.delay, jitter: a.jitter, rate: a.rate, loss: a.loss }).filter((e): e is [string, string] => e[1] !== undefined)
  if (given.length === 0) return undefined
  const link = Object.fromEntries(given)
  try {
    parseLinkSpec(link)
  } catch (err) {
    throw badInput(`--${(err as Error).message}`)
  }
  return link
}

/** The flags that describe the network itself, as `testnet up` and `testnet k8s` both take them. */
export interface NetworkFlags {
  nodes: number
  signers: number
  degree?: number
  seed: string
  propagation: string[]
  period: number
  accounts: number
  delay?: string
  jitter?: string
  rate?: string
  loss?: string
  'tee-fraction'?: number
  'tee-epoch'?: number
}

export type NetworkOptions = Pick<CreateTestnetOptions, 'nodes' | 'signers' | 'degree' | 'seed' | 'propagation' | 'propagationOverrides' | 'period' | 'accounts' | 'link' | 'teeFraction' | 'teeEpochMs'>

/** Checks the network flags (bad input: exit 2) and turns them into testnet options. */
export function networkFromFlags(a: NetworkFlags): NetworkOptions {
  if (!(Number.isInteger(a.nodes) && a.nodes >= 1)) throw badInput(`--nodes must be a whole number >= 1, got ${a.nodes}`)
  const degree = a.degree ?? defaultDegree(a.nodes)
  const bad = validateRegular(a.nodes, degree)
  if (bad !== undefined) throw badInput(bad)
  if (!(Number.isInteger(a.signers) && a.signers >= 1 && a.signers <= a.nodes)) throw badInput(`--signers must be between 1 and --nodes (${a.nodes}), got ${a.signers}`)
  if (!(a.period >= 1 && Number.isInteger(a.period))) throw badInput(`--period must be a whole number of seconds >= 1, got ${a.period}`)
  if (!(Number.isInteger(a.accounts) && a.accounts >= 1)) throw badInput(`--accounts must be a whole number >= 1, got ${a.accounts}`)
  const teeFraction = a['tee-fraction']
  if (teeFraction !== undefined && !(teeFraction >= 0 && teeFraction <= 1)) throw badInput(`--tee-fraction must be between 0 and 1, got ${teeFraction}`)
  const teeEpoch = a['tee-epoch']
  if (teeEpoch !== undefined && !(teeEpoch >= 2 && teeEpoch <= 86_400)) throw badInput(`--tee-epoch must be between 2 and 86400 seconds, got ${teeEpoch}`)
  const { base, overrides } = parsePropagationFlags(a.propagation, a.nodes)
  const link = linkFromFlags(a)
  return {
    nodes: a.nodes,
    signers: a.signers,
    degree,
    seed: a.seed,
    propagation: base,
    propagationOverrides: overrides,
    period: a.period,
    accounts: a.accounts,
    ...(link !== undefined ? { link } : {}),
    ...(teeFraction !== undefined ? { teeFraction } : {}),
    ...(teeEpoch !== undefined ? { teeEpochMs: Math.round(teeEpoch * 1000) } : {}),
  }
}
