/** Flags shared by `testnet up` and `testnet k8s`: per-node propagation overrides and the default degree. */
import { DEFAULT_TESTNET } from '../../../testnets/create.ts'
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
