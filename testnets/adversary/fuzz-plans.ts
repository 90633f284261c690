/**
 * Valid plan bodies for the tee/1 fuzz targets, from a seed: sorted unique ids, an interior set, and trees of three
 * shapes (random: depth ~log n; chain: depth n, the worst case for a walk to the root; star), now and then with a
 * second root (a forest). Also a "next epoch" of
 * a plan (members leave and join, trees change), so plan deltas are real diffs between real plans.
 */
import fc from 'fast-check'
import { NOT_IN_TREE, ROOT } from '../../src/propagation/tee/plan.ts'
import { PLAN_VERSION } from '../../src/propagation/tee/constants.ts'
import type { Exclusion, PlanBody } from '../../src/propagation/tee/messages.ts'

/** mulberry32: a small seeded PRNG, so one fast-check integer stands for a whole plan. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type TreeShape = 'random' | 'chain' | 'star'

/** 64-byte ids as hex, sorted and unique: a 4-byte ordinal (spaced by `gap`) and 60 random bytes. */
function ids(n: number, rnd: () => number, offset = 0, gap = 4): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    let tail = ''
    for (let k = 0; k < 15; k++) tail += Math.floor(rnd() * 2 ** 32).toString(16).padStart(8, '0')
    out.push(((offset + i) * gap).toString(16).padStart(8, '0') + tail)
  }
  return out
}

function tree(n: number, interior: boolean[], shape: TreeShape, rnd: () => number): Int32Array {
  const t = new Int32Array(n).fill(NOT_IN_TREE)
  const order = [...Array(n).keys()].sort(() => rnd() - 0.5)
  const relays: number[] = []
  order.forEach((i) => {
    // A root may relay (plan.ts); now and then another relay roots a subtree of its own (a forest, planner.ts).
    if (interior[i] && (relays.length === 0 || rnd() < 0.05)) t[i] = ROOT
    else if (relays.length === 0 || rnd() < 0.1) return
    else if (shape === 'chain') t[i] = relays[relays.length - 1]!
    else if (shape === 'star') t[i] = relays[0]!
    else t[i] = relays[Math.floor(rnd() * relays.length)]!
    if (interior[i]) relays.push(i)
  })
  return t
}

/**
 * Exclusions of a valid plan (plan body v2): about one node in ten, ascending; a relay's exclusion ended before the
 * epoch (it is remembered), a leaf's may run on. Absent when there are none (one plan, one encoding).
 */
function exclusions(interior: boolean[], epoch: number, rnd: () => number): { excluded?: Exclusion[] } {
  const out: Exclusion[] = []
  interior.forEach((relays, node) => {
    if (rnd() >= 0.1) return
    const strikes = 1 + Math.floor(rnd() * 4)
    if (relays) {
      if (epoch > 0) out.push({ node, strikes, until: Math.floor(rnd() * epoch) })
    } else out.push({ node, strikes, until: epoch + Math.floor(rnd() * 64) })
  })
  return out.length > 0 ? { excluded: out } : {}
}

export interface PlanSpec {
  seed: number
  n: number
  trees: number
  shape: TreeShape
}

export function planOf(s: PlanSpec): PlanBody {
  const rnd = prng(s.seed)
  const nodes = ids(s.n, rnd)
  const interior = nodes.map(() => s.shape === 'chain' || rnd() < 0.7)
  const parents = Array.from({ length: s.trees }, () => tree(s.n, interior, s.shape, rnd))
  const epoch = Math.floor(rnd() * 1000)
  return { version: PLAN_VERSION, epoch, coordinator: nodes[0] ?? ids(1, rnd)[0]!, nodes, interior, parents, ...exclusions(interior, epoch, rnd) }
}

/** The next epoch of `base`: some members leave, some join (ids between the old ones), new trees. */
export function nextPlanOf(base: PlanBody, seed: number, keepTrees: boolean): PlanBody {
  const rnd = prng(seed)
  const kept = base.nodes.filter(() => rnd() > 0.2)
  const joined = ids(Math.floor(rnd() * 4), rnd, Math.floor(rnd() * base.nodes.length), 4).map((id) => `${id.slice(0, 7)}${'123'[Math.floor(rnd() * 3)]}${id.slice(8)}`)
  const nodes = [...new Set([...kept, ...joined])].sort()
  if (keepTrees && nodes.length === base.nodes.length) return { ...base, epoch: base.epoch + 1 }
  const interior = nodes.map(() => rnd() < 0.7)
  const parents = base.parents.map(() => tree(nodes.length, interior, rnd() < 0.2 ? 'chain' : 'random', rnd))
  return { version: PLAN_VERSION, epoch: base.epoch + 1, coordinator: nodes[0] ?? base.coordinator, nodes, interior, parents, ...exclusions(interior, base.epoch + 1, rnd) }
}

/** Mostly small plans; now and then a large one with deep (chain) trees, where a quadratic check shows. */
export const planSpec: fc.Arbitrary<PlanSpec> = fc.oneof(
  { weight: 100, arbitrary: fc.record({ seed: fc.nat(), n: fc.integer({ min: 0, max: 24 }), trees: fc.integer({ min: 1, max: 4 }), shape: fc.constantFrom<TreeShape>('random', 'chain', 'star') }) },
  { weight: 5, arbitrary: fc.record({ seed: fc.nat(), n: fc.integer({ min: 1, max: 8 }), trees: fc.integer({ min: 60, max: 64 }), shape: fc.constantFrom<TreeShape>('random', 'chain') }) },
  { weight: 1, arbitrary: fc.record({ seed: fc.nat(), n: fc.integer({ min: 1000, max: 2000 }), trees: fc.integer({ min: 1, max: 4 }), shape: fc.constant<TreeShape>('chain') }) },
)
