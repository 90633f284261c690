/**
 * Per-link values for the link emulator, from a topology file (`network.linkFile` in a bench scenario) or inline
 * (`network.regions`). Nodes are placed in regions and each pair of regions has a round-trip time, as in FRing's
 * evaluation (20 / 80 / 200 ms RTT tiers); every link gets a one-way delay of RTT / 2 in each direction.
 *
 *   regions: { eu: [n0, n1, n2], us: [n3, n4, n5], asia: [n6, n7] }
 *   rtt: { eu-eu: 20ms, us-us: 20ms, asia-asia: 20ms, eu-us: 80ms, eu-asia: 200ms, us-asia: 200ms }
 *   jitter: 2ms        # optional, applied to every link (also rate, loss)
 *   links: { n0-n3: { delay: 5ms } }   # optional per-pair overrides (one-way values)
 *
 * Every node must be in exactly one region, and every pair of regions that holds nodes needs an rtt entry
 * (`a-b` or `b-a`; `a-a` for links inside a region).
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { z } from 'zod'
import { parseDuration, parseLinkSpec, type LinkSpecInput } from '../src/shared/linkemu/spec.ts'

const nodeName = z.string().regex(/^n\d+$/, 'node names look like n0, n1, ...')
const linkValues = z.object({ delay: z.string().optional(), jitter: z.string().optional(), rate: z.string().optional(), loss: z.string().optional() }).strict()

export const regionsSchema = z
  .object({
    regions: z.record(z.string().regex(/^[A-Za-z0-9_]+$/, 'region names: letters, digits, _'), z.array(nodeName).min(1)),
    rtt: z.record(z.string(), z.string()),
    jitter: z.string().optional(),
    rate: z.string().optional(),
    loss: z.string().optional(),
    links: z.record(z.string().regex(/^n\d+-n\d+$/, 'link keys look like n0-n3'), linkValues).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    try {
      parseLinkSpec({ jitter: t.jitter, rate: t.rate, loss: t.loss })
      for (const [k, v] of Object.entries(t.rtt)) parseDuration(v, `rtt ${k}`)
      for (const v of Object.values(t.links ?? {})) parseLinkSpec(v)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
    }
  })

export type RegionTopology = z.infer<typeof regionsSchema>

export class TopologyFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TopologyFileError'
  }
}

export function loadTopologyFile(path: string): RegionTopology {
  let raw: unknown
  try {
    raw = parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new TopologyFileError(`topology file ${path}: ${(err as Error).message}`)
  }
  const r = regionsSchema.safeParse(raw)
  if (!r.success) throw new TopologyFileError(`topology file ${path}:\n${z.prettifyError(r.error)}`)
  return r.data
}

/** Unordered pair key of two node names: "n0-n3" (lower index first). */
export const pairKey = (a: string, b: string): string => {
  const [x, y] = [a, b].sort((p, q) => Number(p.slice(1)) - Number(q.slice(1)))
  return `${x}-${y}`
}

/**
 * The link values of every pair of the `nodes` given (n0..n{nodes-1}), keyed by pairKey: delay = RTT / 2 of the two
 * regions, plus the file's jitter / rate / loss, then any per-pair override. Throws on a node without a region, a
 * node in two regions, a node that does not exist, or a missing RTT.
 */
export function resolveRegionLinks(t: RegionTopology, nodes: number): Map<string, LinkSpecInput> {
  const regionOf = new Map<string, string>()
  for (const [region, members] of Object.entries(t.regions)) {
    for (const m of members) {
      if (Number(m.slice(1)) >= nodes) throw new TopologyFileError(`region ${region}: ${m} does not exist (the network has n0..n${nodes - 1})`)
      const prev = regionOf.get(m)
      if (prev !== undefined) throw new TopologyFileError(`${m} is in two regions: ${prev} and ${region}`)
      regionOf.set(m, region)
    }
  }
  const names = Array.from({ length: nodes }, (_, i) => `n${i}`)
  const missing = names.filter((n) => !regionOf.has(n))
  if (missing.length > 0) throw new TopologyFileError(`no region for ${missing.join(', ')}`)
  const rttMs = (a: string, b: string): number => {
    const v = t.rtt[`${a}-${b}`] ?? t.rtt[`${b}-${a}`]
    if (v === undefined) throw new TopologyFileError(`no rtt for ${a}-${b}`)
    return parseDuration(v, `rtt ${a}-${b}`)
  }
  const overrides = new Map<string, LinkSpecInput>()
  for (const [k, v] of Object.entries(t.links ?? {})) {
    const [a, b] = k.split('-') as [string, string]
    if (a === b || Number(a.slice(1)) >= nodes || Number(b.slice(1)) >= nodes) throw new TopologyFileError(`links: ${k} is not a pair of distinct nodes of this network`)
    overrides.set(pairKey(a, b), v)
  }
  const out = new Map<string, LinkSpecInput>()
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      const a = names[i]!
      const b = names[j]!
      const base: LinkSpecInput = { delay: `${rttMs(regionOf.get(a)!, regionOf.get(b)!) / 2}ms` }
      for (const k of ['jitter', 'rate', 'loss'] as const) if (t[k] !== undefined) base[k] = t[k]
      out.set(pairKey(a, b), { ...base, ...(overrides.get(pairKey(a, b)) ?? {}) })
    }
  }
  return out
}
