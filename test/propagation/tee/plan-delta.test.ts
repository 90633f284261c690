/**
 * Plan deltas (plan-delta.ts): a diff rebuilds the exact signed body from its base, for an unchanged membership, for
 * nodes that leave and join, and for changed trees; the codec carries it and getPlan; a diff that does not fit its
 * base fails with INVALID_PLAN.
 */
import { test } from 'node:test'
import { RLP } from '@ethereumjs/rlp'
import assert from 'node:assert/strict'
import { encodePlanBody, NOT_IN_TREE, planViewOf, ROOT } from '../../../src/propagation/tee/plan.ts'
import { applyPlanDiff, diffPlans, planDiffBytes, type PlanDelta } from '../../../src/propagation/tee/plan-delta.ts'
import { decodeTeeMessage, encodeTeeMessage } from '../../../src/propagation/tee/codec.ts'
import { isTeeError } from '../../../src/propagation/tee/errors.ts'
import { PLAN_VERSION } from '../../../src/propagation/tee/constants.ts'
import type { PlanBody } from '../../../src/propagation/tee/messages.ts'

const id = (i: number): string => i.toString(16).padStart(2, '0').repeat(64)

/** Tree 0: 0 -> {1, 2}, 1 -> {3, 4}, 2 -> {5}, 6 outside; tree 1: 3 -> {0, 4, 6}, 0 -> {1, 2}, 2 -> {5}. */
function base(): PlanBody {
  return {
    version: PLAN_VERSION,
    epoch: 7,
    coordinator: id(3),
    nodes: [0, 1, 2, 3, 4, 5, 6].map(id),
    interior: [true, true, true, true, false, false, false],
    parents: [Int32Array.from([ROOT, 0, 0, 1, 1, 2, NOT_IN_TREE]), Int32Array.from([3, 0, 0, ROOT, 3, 2, 3])],
  }
}

const roundTrip = (a: PlanBody, b: PlanBody): void => {
  const d = diffPlans(a, b)
  assert.ok(d !== undefined)
  const { body, bodyBytes } = applyPlanDiff(a, d)
  assert.deepEqual(body, b)
  assert.deepEqual(bodyBytes, encodePlanBody(b), 'the exact bytes the enclave signed')
}

test('plan delta: the next epoch of a stable network is a header-only diff', () => {
  const next = { ...base(), epoch: 8, coordinator: id(1) }
  const d = diffPlans(base(), next)!
  assert.deepEqual([d.removed, d.added, d.interiorFlips, d.parents.flat()], [[], [], [], []])
  assert.equal(planDiffBytes(d), 0)
  roundTrip(base(), next)
})

test('plan delta: nodes leave and join, trees change, relays flip; the rebuilt body is the new one, byte for byte', () => {
  // Node 4 (a leaf) and 5 leave; 8 and 9 join (one in each tree); node 2 loses its relay role and 6 gains one.
  const next: PlanBody = {
    version: PLAN_VERSION,
    epoch: 8,
    coordinator: id(0),
    nodes: [0, 1, 2, 3, 6, 8, 9].map(id),
    interior: [true, true, false, true, true, false, false],
    parents: [Int32Array.from([ROOT, 0, 0, 1, NOT_IN_TREE, 1, 0]), Int32Array.from([3, 0, 0, ROOT, 3, 4, NOT_IN_TREE])],
  }
  roundTrip(base(), next)
  const d = diffPlans(base(), next)!
  assert.deepEqual(d.removed, [4, 5])
  assert.deepEqual(d.added, [id(8), id(9)])
  assert.ok(planDiffBytes(d) < encodePlanBody(next).length, 'smaller than the plan')
  // And back again.
  roundTrip(next, base())
})

test('plan delta: a diff that does not fit its base is INVALID_PLAN', () => {
  const next = { ...base(), epoch: 8 }
  const d = diffPlans(base(), next)!
  const invalid = (e: unknown): boolean => isTeeError(e, 'INVALID_PLAN')
  assert.throws(() => applyPlanDiff(base(), { ...d, removed: [9] }), invalid)
  assert.throws(() => applyPlanDiff(base(), { ...d, removed: [3, 3] }), invalid)
  assert.throws(() => applyPlanDiff(base(), { ...d, added: [id(2)] }), invalid, 'an id that is already a member')
  assert.throws(() => applyPlanDiff(base(), { ...d, interiorFlips: [7] }), invalid)
  assert.throws(() => applyPlanDiff(base(), { ...d, parents: [[[1, 5]], []] }), invalid, 'a child under a leaf')
  assert.throws(() => applyPlanDiff(base(), { ...d, parents: [[[0, 1]], []] }), invalid, 'a cycle')
  assert.throws(() => applyPlanDiff(base(), { ...d, parents: [[]] }), invalid, 'another tree count')
})

test('plan delta: the codec carries planDelta and getPlan, and refuses malformed ones', () => {
  const next: PlanBody = { ...base(), epoch: 8, nodes: [0, 1, 2, 3, 4, 5, 8].map(id), parents: [Int32Array.from([ROOT, 0, 0, 1, 1, 2, NOT_IN_TREE]), Int32Array.from([3, 0, 0, ROOT, 3, 2, NOT_IN_TREE])] }
  const diff = diffPlans(base(), next)!
  const delta: PlanDelta = { baseHash: new Uint8Array(32).fill(1), diff, enclaveKey: new Uint8Array(65).fill(4), signature: new Uint8Array(64).fill(5), quote: new Uint8Array(300).fill(6) }
  const e = encodeTeeMessage({ t: 'planDelta', delta })
  const back = decodeTeeMessage(e.code, e.payload)
  assert.deepEqual(back, { t: 'planDelta', delta })
  const g = encodeTeeMessage({ t: 'getPlan', epoch: 8 })
  assert.deepEqual(decodeTeeMessage(g.code, g.payload), { t: 'getPlan', epoch: 8 })
  const malformed = (e: unknown): boolean => isTeeError(e, 'MALFORMED_MESSAGE')
  assert.throws(() => decodeTeeMessage(e.code, encodeTeeMessage({ t: 'planDelta', delta: { ...delta, baseHash: new Uint8Array(31) } }).payload), malformed)
  // An odd byte count in the removed list, and a 63-byte joining id, in an otherwise valid payload.
  const fields = RLP.decode(e.payload) as Uint8Array[]
  for (const [k, v] of [[3, new Uint8Array(3)], [4, new Uint8Array(63)]] as const) {
    const f = [...fields]
    f[k] = v
    assert.throws(() => decodeTeeMessage(e.code, RLP.encode(f)), malformed, `field ${k}`)
  }
})

test('plan delta: exclusions travel whole in the diff and on the wire; the rebuilt body carries them byte for byte', () => {
  // Node 5 (a leaf) is excluded through epoch 12; node 4 left the plan; relay 2's old exclusion ended (remembered).
  const withEx: PlanBody = { ...base(), epoch: 8, excluded: [{ node: 2, until: 6, strikes: 2 }, { node: 5, until: 12, strikes: 1 }] }
  roundTrip(base(), withEx)
  // And back to none: the diff says so (absent), and the rebuilt body has none.
  roundTrip(withEx, { ...base(), epoch: 9 })
  const d = diffPlans(base(), withEx)!
  assert.deepEqual(d.excluded, withEx.excluded)
  assert.equal(planDiffBytes(d), 2 * 7)
  const delta: PlanDelta = { baseHash: new Uint8Array(32).fill(1), diff: d, enclaveKey: new Uint8Array(65).fill(4), signature: new Uint8Array(64).fill(2), quote: new Uint8Array(40).fill(3) }
  const { code, payload } = encodeTeeMessage({ t: 'planDelta', delta })
  const back = decodeTeeMessage(code, payload)
  assert.ok(back.t === 'planDelta')
  assert.deepEqual(back.delta.diff, d)
  // A diff whose exclusions do not fit the rebuilt plan (an interior node excluded through the epoch) is refused.
  assert.throws(() => applyPlanDiff(base(), { ...d, excluded: [{ node: 0, until: 8, strikes: 1 }] }), (e: unknown) => isTeeError(e, 'INVALID_PLAN') && /may relay/.test((e as Error).message))
  // On the wire, an exclusions field that is not whole 7-byte entries is malformed.
  const fields = RLP.decode(payload) as Uint8Array[]
  fields[10] = new Uint8Array(6)
  assert.throws(() => decodeTeeMessage(code, RLP.encode(fields)), (e: unknown) => isTeeError(e, 'MALFORMED_MESSAGE'))
})

test('plan delta: one delta on one base is rebuilt once and shared (the simulator hands one delta to every node); another base gets its own rebuild', () => {
  const a = base()
  const next: PlanBody = { ...base(), epoch: 8, coordinator: id(0), interior: [true, true, true, true, true, false, false] }
  const d = diffPlans(a, next)!
  const first = applyPlanDiff(a, d)
  const again = applyPlanDiff(a, d)
  assert.equal(again.body, first.body, 'the same body object')
  assert.equal(again.bodyBytes, first.bodyBytes)
  assert.equal(planViewOf(first.body), planViewOf(again.body), 'one view per body')
  // The memo is keyed by the base object: a base with other trees is rebuilt against, not served the first result.
  const other: PlanBody = { ...base(), parents: [Int32Array.from([ROOT, 0, 0, 1, 1, 2, 0]), base().parents[1]!] }
  const fromOther = applyPlanDiff(other, d)
  assert.notEqual(fromOther.body, first.body)
  assert.equal(fromOther.body.parents[0]![6], 0, "the other base's parent of node 6")
  assert.equal(first.body.parents[0]![6], NOT_IN_TREE)
  assert.deepEqual(applyPlanDiff(a, d).body, next, 'a third call, after another base, still gives the right body')
})
