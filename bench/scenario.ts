/**
 * Scenario files (YAML), validated with clear messages. A scenario fixes the network (same seed and topology for every
 * mode), the modes to compare, the workload and how many times each mode is run.
 *
 * Workloads (`workload.kind`):
 * - `fixed-rate`: `count` txs at `rate` tx/s (open loop);
 * - `ramp`: rates from `start` to `end` tx/s in `steps` equal steps (open loop), each step `stepSec` long or
 *   `countPerStep` txs; the report gives per-step results and the max sustained throughput (`maxLatencySec`);
 * - `fixed-load`: closed loop, `inFlight` txs outstanding (a new tx goes out when one is committed) for `count` txs.
 * Every kind takes `mix` (weights of transfer / contractCall / largeCalldata), `calldataBytes`, `warmupSec` (txs sent
 * during the warm-up are left out of every statistic) and `timeoutSec` (inclusion wait after the last send).
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { z } from 'zod'
import { PROPAGATION_MODES } from '../src/propagation/interface.ts'
import { parseLinkSpec } from '../src/shared/linkemu/spec.ts'
import { validateRegular } from '../src/shared/topology.ts'
import { loadTopologyFile, regionsSchema, resolveRegionLinks } from '../testnets/topology-file.ts'
import { dirname, resolve } from 'node:path'

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

const mixSchema = z
  .object({ transfer: z.number().min(0).default(0), contractCall: z.number().min(0).default(0), largeCalldata: z.number().min(0).default(0) })
  .strict()
  .refine((m) => m.transfer + m.contractCall + m.largeCalldata > 0, 'mix: the weights must not all be 0')

/** Fields every workload kind takes. */
const common = {
  timeoutSec: z.number().int().min(1).default(120),
  warmupSec: z.number().min(0).default(0),
  mix: mixSchema.default({ transfer: 1, contractCall: 0, largeCalldata: 0 }),
  calldataBytes: z.number().int().min(1).max(100_000).default(4096),
}

const workloadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed-rate'), rate: z.number().positive(), count: z.number().int().min(1), ...common }).strict(),
  z
    .object({
      kind: z.literal('ramp'),
      start: z.number().positive(),
      end: z.number().positive(),
      steps: z.number().int().min(1).max(100),
      stepSec: z.number().positive().optional(),
      countPerStep: z.number().int().min(1).optional(),
      maxLatencySec: z.number().positive().default(10),
      ...common,
    })
    .strict()
    .superRefine((w, ctx) => {
      if ((w.stepSec === undefined) === (w.countPerStep === undefined)) ctx.addIssue({ code: 'custom', message: 'ramp: give exactly one of stepSec and countPerStep' })
      if (w.steps === 1 && w.start !== w.end) ctx.addIssue({ code: 'custom', message: 'ramp: one step needs start = end' })
    }),
  z.object({ kind: z.literal('fixed-load'), inFlight: z.number().int().min(1), count: z.number().int().min(1), ...common }).strict(),
])

export type Workload = z.infer<typeof workloadSchema>

const fraction = z.number().min(0, 'a fraction of the nodes, 0 to 1').max(1, 'a fraction of the nodes, 0 to 1')
/**
 * Hostile participants, as fractions of `network.nodes` (rounded to whole nodes):
 * - `junkLeaves`: raw devp2p peers run by the bench (on top of the network's nodes) that keep connecting to honest
 *   nodes and inject junk and forged items (tee: as unattested tee/1 leaves; other modes: eth/68);
 * - `omittingRelays`: node processes (the last ones, never a Clique signer) that forward nothing they should relay.
 * The workload goes to honest nodes only, and the adversary figures count honest nodes only. `clean: true` also runs
 * every mode without adversaries first (reported as mode `<mode>-clean`, same figures), the baseline in the same run.
 */
const adversariesSchema = z.object({ junkLeaves: fraction.default(0), omittingRelays: fraction.default(0), clean: z.boolean().default(false) }).strict()

export type Adversaries = z.infer<typeof adversariesSchema>

/** Whole junk leaves and omitting relays of a scenario. */
export function adversaryCounts(a: Adversaries | undefined, nodes: number): { junkLeaves: number; omittingRelays: number } {
  return { junkLeaves: Math.round((a?.junkLeaves ?? 0) * nodes), omittingRelays: Math.round((a?.omittingRelays ?? 0) * nodes) }
}

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
        /** tee mode: epoch length, s (a new broadcast plan per epoch). Short epochs give a full plan soon after start. */
        teeEpochSec: z.number().min(2).max(86_400).default(10),
        link: linkSchema.optional(),
        /** Per-link values from a topology file (path relative to the scenario file), see testnets/topology-file.ts. */
        linkFile: z.string().min(1).optional(),
        /** The same, inline. */
        regions: regionsSchema.optional(),
      })
      .strict()
      .superRefine((n, ctx) => {
        const bad = validateRegular(n.nodes, n.degree)
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: bad })
        if (n.signers > n.nodes) ctx.addIssue({ code: 'custom', message: `signers (${n.signers}) exceeds nodes (${n.nodes})` })
        if (n.linkFile !== undefined && n.regions !== undefined) ctx.addIssue({ code: 'custom', message: 'give linkFile or regions, not both' })
        if (n.regions !== undefined) {
          try {
            resolveRegionLinks(n.regions, n.nodes)
          } catch (err) {
            ctx.addIssue({ code: 'custom', path: ['regions'], message: (err as Error).message })
          }
        }
      }),
    modes: z.array(z.enum(PROPAGATION_MODES)).min(1),
    /** Each mode runs this many times, each on a fresh testnet. */
    repetitions: z.number().int().min(1).max(20).default(1),
    workload: workloadSchema,
    adversaries: adversariesSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.adversaries === undefined) return
    const n = s.network.nodes
    const c = adversaryCounts(s.adversaries, n)
    for (const k of ['junkLeaves', 'omittingRelays'] as const) {
      if (s.adversaries[k] > 0 && c[k] === 0) ctx.addIssue({ code: 'custom', path: ['adversaries', k], message: `${s.adversaries[k]} of ${n} nodes rounds to none; give at least ${(1 / n).toFixed(3)}` })
    }
    const free = n - s.network.signers - 1
    if (c.omittingRelays > free) ctx.addIssue({ code: 'custom', path: ['adversaries', 'omittingRelays'], message: `${c.omittingRelays} omitting relays, but only ${Math.max(0, free)} of ${n} nodes are neither Clique signers nor needed as the one honest follower` })
  })

export type Scenario = z.infer<typeof scenarioSchema>

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ScenarioError'
  }
}

/**
 * Parses and checks a scenario. A `network.linkFile` is read relative to `baseDir` and its content put into
 * `network.regions` (so summary.json records the regions a run used).
 */
export function parseScenario(text: string, source = 'scenario', baseDir = '.'): Scenario {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    throw new ScenarioError(`${source}: not YAML: ${(err as Error).message}`)
  }
  const r = scenarioSchema.safeParse(raw)
  if (!r.success) throw new ScenarioError(`${source}:\n${z.prettifyError(r.error)}`)
  const n = r.data.network
  if (n.linkFile !== undefined) {
    try {
      n.regions = loadTopologyFile(resolve(baseDir, n.linkFile))
      resolveRegionLinks(n.regions, n.nodes)
    } catch (err) {
      throw new ScenarioError(`${source}: network.linkFile: ${(err as Error).message}`)
    }
  }
  return r.data
}

export function loadScenario(path: string): Scenario {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(err as Error).message}`)
  }
  return parseScenario(text, path, dirname(path))
}
