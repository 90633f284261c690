/**
 * Scenario files (YAML), validated with clear messages. A scenario fixes the network (same seed and topology for every
 * mode), the modes to compare and the workload. Only the fixed-rate transfer workload exists so far.
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { z } from 'zod'
import { PROPAGATION_MODES } from '../src/propagation/interface.ts'
import { parseLinkSpec } from '../testnets/linkemu/spec.ts'
import { validateRegular } from '../testnets/topology.ts'

const linkSchema = z
  .object({ delay: z.string().optional(), jitter: z.string().optional(), rate: z.string().optional(), loss: z.string().optional() })
  .strict()
  .superRefine((l, ctx) => {
    try {
      parseLinkSpec(l)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
    }
  })

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
    network: z
      .object({
        nodes: z.number().int().min(2).max(64),
        degree: z.number().int().min(1),
        signers: z.number().int().min(1),
        seed: z.string().min(1),
        period: z.number().int().min(1).default(2),
        accounts: z.number().int().min(1).default(64),
        link: linkSchema.optional(),
      })
      .strict()
      .superRefine((n, ctx) => {
        const bad = validateRegular(n.nodes, n.degree)
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: bad })
        if (n.signers > n.nodes) ctx.addIssue({ code: 'custom', message: `signers (${n.signers}) exceeds nodes (${n.nodes})` })
      }),
    modes: z.array(z.enum(PROPAGATION_MODES)).min(1),
    workload: z
      .object({
        kind: z.literal('fixed-rate'),
        rate: z.number().positive(),
        count: z.number().int().min(1),
        timeoutSec: z.number().int().min(1).default(120),
      })
      .strict(),
  })
  .strict()

export type Scenario = z.infer<typeof scenarioSchema>

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ScenarioError'
  }
}

export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    throw new ScenarioError(`${source}: not YAML: ${(err as Error).message}`)
  }
  const r = scenarioSchema.safeParse(raw)
  if (!r.success) throw new ScenarioError(`${source}:\n${z.prettifyError(r.error)}`)
  return r.data
}

export function loadScenario(path: string): Scenario {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(err as Error).message}`)
  }
  return parseScenario(text, path)
}
