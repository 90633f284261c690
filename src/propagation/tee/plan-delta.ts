/**
 * A plan as a delta against the plan before it: what a relay sends instead of the whole plan when its peer runs the
 * same base. The enclave still signs the whole body (plan.ts); the delta only says how to rebuild that body from the
 * base, and the receiver checks the signature over the rebuilt bytes. So a delta is compression, not trust: a wrong
 * or forged delta rebuilds a body whose signature does not verify.
 *
 * Nodes are named by index: removals by their index in the base, parent changes by index in the new plan. Only ids
 * that join the membership travel as 64-byte ids. In a stable network (same members, same reports, so the planner
 * returns the same trees) the delta is the header alone: epoch and coordinator.
 *
 * Mapping: a node of the new plan that was in the base keeps its base interior flag and parents (base parent indexes
 * mapped into the new plan; a parent that left becomes NOT_IN_TREE) unless the delta lists it; a node that joins
 * starts as a non-relay outside every tree. `interiorFlips` and `parents` then give what differs. The exclusions
 * (a few, usually none) travel whole, in new-plan indexes.
 */
import { createHash } from 'node:crypto'
import { encodePlanBody, NOT_IN_TREE, validatePlanBody } from './plan.ts'
import { MAX_PLAN_NODES, PLAN_VERSION } from './constants.ts'
import { TeeError } from './errors.ts'
import type { PlanBody, PlanDelta, PlanDiff, SignedPlan } from './messages.ts'

export type { PlanDelta, PlanDiff } from './messages.ts'

// Keyed by the body bytes, not the signed plan: every node that rebuilds one delta holds the same bytes (below).
const hashMemo = new WeakMap<Uint8Array, Uint8Array>()

/** SHA-256 of a plan's signed body: how a delta names its base. */
export function planHash(p: SignedPlan): Uint8Array {
  let h = hashMemo.get(p.bodyBytes)
  if (h === undefined) {
    h = new Uint8Array(createHash('sha256').update(p.bodyBytes).digest())
    hashMemo.set(p.bodyBytes, h)
  }
  return h
}

/**
 * Rebuilds already made, per delta and base body (both immutable once built). A node applies a delta once; the
 * simulator passes one delta object to thousands of nodes that hold one base, and without this each kept its own
 * O(N) copy of the same rebuilt body: O(N^2) memory per epoch.
 */
const rebuilt = new WeakMap<PlanDiff, { base: PlanBody; out: { body: PlanBody; bodyBytes: Uint8Array } }>()

/** Base index -> new index (undefined: the node left), for the membership change `removed` + `added`. */
function mergeMembers(base: readonly string[], removed: readonly number[], added: readonly string[]): { nodes: string[]; map: (number | undefined)[] } {
  const gone = new Set(removed)
  const nodes: string[] = []
  const map: (number | undefined)[] = new Array(base.length)
  let a = 0
  for (let b = 0; b < base.length; b++) {
    while (a < added.length && added[a]! < base[b]!) nodes.push(added[a++]!)
    if (gone.has(b)) continue
    map[b] = nodes.length
    nodes.push(base[b]!)
  }
  while (a < added.length) nodes.push(added[a++]!)
  return { nodes, map }
}

/** The new plan's interior and parents as the base alone would give them (see the header's mapping). */
function mapped(base: PlanBody, map: (number | undefined)[], n: number): { interior: boolean[]; parents: Int32Array[] } {
  const interior = new Array<boolean>(n).fill(false)
  const parents = base.parents.map(() => new Int32Array(n).fill(NOT_IN_TREE))
  for (let b = 0; b < base.nodes.length; b++) {
    const i = map[b]
    if (i === undefined) continue
    interior[i] = base.interior[b]!
    base.parents.forEach((tree, t) => {
      const par = tree[b]!
      parents[t]![i] = par < 0 ? par : (map[par] ?? NOT_IN_TREE)
    })
  }
  return { interior, parents }
}

/** The diff that rebuilds `next` from `base`, or undefined when it cannot (another version or tree count). */
export function diffPlans(base: PlanBody, next: PlanBody): PlanDiff | undefined {
  if (base.version !== next.version || base.parents.length !== next.parents.length) return undefined
  const inNext = new Set(next.nodes)
  const inBase = new Set(base.nodes)
  const removed = base.nodes.flatMap((id, b) => (inNext.has(id) ? [] : [b]))
  const added = next.nodes.filter((id) => !inBase.has(id))
  const { map } = mergeMembers(base.nodes, removed, added)
  const m = mapped(base, map, next.nodes.length)
  const interiorFlips = next.interior.flatMap((v, i) => (v !== m.interior[i] ? [i] : []))
  const parents = next.parents.map((tree, t) => {
    const out: [number, number][] = []
    tree.forEach((par, i) => {
      if (par !== m.parents[t]![i]) out.push([i, par])
    })
    return out
  })
  return { epoch: next.epoch, coordinator: next.coordinator, removed, added, interiorFlips, parents, ...(next.excluded !== undefined ? { excluded: next.excluded } : {}) }
}

/** Rebuilds the plan body from its base and a diff; throws INVALID_PLAN if the diff does not fit the base. */
export function applyPlanDiff(base: PlanBody, d: PlanDiff): { body: PlanBody; bodyBytes: Uint8Array } {
  const hit = rebuilt.get(d)
  if (hit !== undefined && hit.base === base) return hit.out
  const out = rebuildPlan(base, d)
  rebuilt.set(d, { base, out })
  return out
}

function rebuildPlan(base: PlanBody, d: PlanDiff): { body: PlanBody; bodyBytes: Uint8Array } {
  const bad = (why: string): never => {
    throw new TeeError('INVALID_PLAN', `plan delta for epoch ${d.epoch}: ${why}`)
  }
  if (d.parents.length !== base.parents.length) bad(`${d.parents.length} trees, the base has ${base.parents.length}`)
  for (let k = 0; k < d.removed.length; k++) if (d.removed[k]! >= base.nodes.length || (k > 0 && d.removed[k]! <= d.removed[k - 1]!)) bad('removed indexes are not ascending base indexes')
  if (base.nodes.length - d.removed.length + d.added.length > MAX_PLAN_NODES) bad('too many nodes')
  const { nodes, map } = mergeMembers(base.nodes, d.removed, d.added)
  const n = nodes.length
  const m = mapped(base, map, n)
  for (const i of d.interiorFlips) {
    if (!(i >= 0 && i < n)) bad(`interior flip of node ${i} outside 0..${n - 1}`)
    m.interior[i] = !m.interior[i]
  }
  d.parents.forEach((changes, t) => {
    for (const [i, par] of changes) {
      if (!(i >= 0 && i < n)) bad(`tree ${t}: parent change of node ${i} outside 0..${n - 1}`)
      m.parents[t]![i] = par
    }
  })
  const body: PlanBody = { version: PLAN_VERSION, epoch: d.epoch, coordinator: d.coordinator, nodes, interior: m.interior, parents: m.parents, ...(d.excluded !== undefined && d.excluded.length > 0 ? { excluded: d.excluded } : {}) }
  // Sorted unique ids (a joining id already there, or out of order, fails here), one root, no cycles.
  validatePlanBody(body)
  return { body, bodyBytes: encodePlanBody(body) }
}

/** The delta of `next` against `base`, or undefined if none fits (a full plan is sent instead). */
export function planDeltaOf(base: SignedPlan, next: SignedPlan): PlanDelta | undefined {
  const diff = diffPlans(base.body, next.body)
  if (diff === undefined) return undefined
  return { baseHash: planHash(base), diff, enclaveKey: next.enclaveKey, signature: next.signature, quote: next.quote }
}

/** Bytes a diff puts on the wire, roughly (to choose between a delta and the full plan). */
export function planDiffBytes(d: PlanDiff): number {
  return 2 * d.removed.length + 64 * d.added.length + 2 * d.interiorFlips.length + d.parents.reduce((a, t) => a + 4 * t.length, 0) + 7 * (d.excluded?.length ?? 0)
}
