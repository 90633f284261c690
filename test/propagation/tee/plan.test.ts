import { test } from 'node:test'
import assert from 'node:assert/strict'
import { coordinatorRanking, coordinatorScore, decodePlanBody, encodePlanBody, NOT_IN_TREE, PlanView, ROOT, treeOf, validatePlanBody } from '../../../src/propagation/tee/plan.ts'
import { isTeeError } from '../../../src/propagation/tee/errors.ts'
import { PLAN_VERSION } from '../../../src/propagation/tee/constants.ts'
import type { PlanBody } from '../../../src/propagation/tee/messages.ts'

const id = (i: number): string => i.toString(16).padStart(2, '0').repeat(64)

/**
 * Tree 0 over 7 nodes:        0            Tree 1:   3 (root)
 *                           /   \                    |
 *                          1     2                   0 -- 1, 2 ... (see parents)
 *                         / \     \
 *                        3   4     5        node 6: not in tree 0
 */
function body(): PlanBody {
  return {
    version: PLAN_VERSION,
    epoch: 42,
    coordinator: id(3),
    nodes: [0, 1, 2, 3, 4, 5, 6].map(id),
    interior: [true, true, true, true, false, false, false],
    parents: [Int32Array.from([ROOT, 0, 0, 1, 1, 2, NOT_IN_TREE]), Int32Array.from([3, 0, 0, ROOT, 3, 2, 3])],
  }
}
const invalid = (e: unknown): boolean => isTeeError(e, 'INVALID_PLAN')

test('plan: encode/decode round trip, and the layout size', () => {
  const b = body()
  const bytes = encodePlanBody(b)
  // ... + an exclusion count (u16) of 0.
  assert.equal(bytes.length, 1 + 4 + 64 + 2 + 1 + 7 * 64 + 1 + 2 * 7 * 2 + 2)
  const back = decodePlanBody(bytes)
  assert.deepEqual(back, b)
  assert.deepEqual(encodePlanBody(back), bytes)
  // Epoch and parent values at the wire limits survive.
  const big = { ...body(), epoch: 0xffffffff }
  assert.equal(decodePlanBody(encodePlanBody(big)).epoch, 0xffffffff)
})

test('plan: validatePlanBody accepts the hand-built plan and rejects broken ones', () => {
  validatePlanBody(body())
  const cycle = body()
  // 1 -> 3 -> 1 in tree 0 (both interior), and the root 0 keeps 2 and 5.
  cycle.parents[0]![1] = 3
  assert.throws(() => validatePlanBody(cycle), (e: unknown) => invalid(e) && /cycle/.test((e as Error).message))
  // A forest: a second root that may relay is a subtree of its own (one per component of relays, planner.ts).
  const twoRoots = body()
  twoRoots.parents[1]![2] = ROOT
  validatePlanBody(twoRoots)
  const v = new PlanView(twoRoots)
  assert.equal(v.rootOf(1, 5), 2)
  assert.equal(v.rootOf(1, 4), 3)
  assert.equal(v.together(1, 5, 4), false)
  assert.equal(v.towards(1, 5, 4), undefined, 'no tree path between two subtrees')
  assert.equal(v.towards(1, 0, 4), body().nodes[3], 'within a subtree as before')
  // A root that may not relay is refused, as a parent that may not relay is.
  const leafRoot = body()
  leafRoot.parents[0]![6] = ROOT
  assert.throws(() => validatePlanBody(leafRoot), (e: unknown) => invalid(e) && /root 6 may not relay/.test((e as Error).message))
  const underLeaf = body()
  underLeaf.parents[0]![5] = 4 // node 4 may not relay
  assert.throws(() => validatePlanBody(underLeaf), (e: unknown) => invalid(e) && /may not relay/.test((e as Error).message))
  const unsorted = body()
  ;[unsorted.nodes[2], unsorted.nodes[3]] = [unsorted.nodes[3]!, unsorted.nodes[2]!]
  assert.throws(() => validatePlanBody(unsorted), (e: unknown) => invalid(e) && /sorted/.test((e as Error).message))
  const dup = body()
  dup.nodes[1] = dup.nodes[0]!
  assert.throws(() => validatePlanBody(dup), invalid)
  const self = body()
  self.parents[0]![2] = 2
  assert.throws(() => validatePlanBody(self), invalid)
  const outside = body()
  outside.parents[0]![4] = 6 // 6 is not in tree 0 (and not interior)
  outside.interior[6] = true
  assert.throws(() => validatePlanBody(outside), (e: unknown) => invalid(e) && /outside the tree/.test((e as Error).message))
  const range = body()
  range.parents[1]![4] = 7
  assert.throws(() => validatePlanBody(range), invalid)
  // decodePlanBody validates too: a cycle on the wire is refused.
  assert.throws(() => decodePlanBody(encodePlanBody(cycle)), invalid)
  assert.throws(() => decodePlanBody(encodePlanBody(leafRoot)), invalid)
  assert.deepEqual(decodePlanBody(encodePlanBody(twoRoots)), twoRoots)
})

test('plan: PlanView neighbours and towards on a hand-built tree', () => {
  const v = new PlanView(body())
  const ids = (xs: number[]): string[] => xs.map(id).sort()
  const nb = (t: number, n: number): string[] => v.neighbours(t, n).sort()
  assert.equal(v.trees, 2)
  assert.deepEqual(nb(0, 0), ids([1, 2]))
  assert.deepEqual(nb(0, 1), ids([0, 3, 4]))
  assert.deepEqual(nb(0, 3), ids([1]))
  assert.deepEqual(nb(0, 5), ids([2]))
  assert.deepEqual(nb(0, 6), [])
  assert.deepEqual(nb(1, 3), ids([0, 4, 6]))
  assert.deepEqual(nb(1, 0), ids([3, 1, 2]))
  assert.equal(v.inTree(0, 6), false)
  assert.equal(v.inTree(1, 6), true)
  // towards(tree, node, target): the next hop from node on the path to target.
  assert.equal(v.towards(0, 3, 5), id(1)) // up
  assert.equal(v.towards(0, 1, 5), id(0)) // up
  assert.equal(v.towards(0, 0, 5), id(2)) // down
  assert.equal(v.towards(0, 0, 4), id(1)) // down, two levels
  assert.equal(v.towards(0, 1, 3), id(3)) // direct child
  assert.equal(v.towards(0, 4, 3), id(1)) // sibling via parent
  assert.equal(v.towards(0, 2, 2), undefined) // itself
  assert.equal(v.towards(0, 6, 0), undefined) // node outside the tree
  assert.equal(v.towards(0, 0, 6), undefined) // target outside the tree
  assert.equal(v.towards(1, 5, 6), id(2)) // 5 -> 2 -> 0 -> 3 -> 6
  assert.equal(v.towards(1, 0, 6), id(3))
  assert.equal(v.towards(1, 3, 5), id(0))
  // Every node's path toward any target, followed hop by hop, ends at the target in the tree (no loops).
  for (let t = 0; t < 2; t++) for (let a = 0; a < 7; a++) for (let b = 0; b < 7; b++) {
    if (a === b || !v.inTree(t, a) || !v.inTree(t, b)) continue
    let x = a
    for (let steps = 0; x !== b; steps++) {
      assert.ok(steps < 7, `tree ${t}: ${a} -> ${b} loops`)
      const next = v.towards(t, x, b)!
      assert.ok(v.neighbours(t, x).includes(next), 'next hop is a tree neighbour')
      x = v.index.get(next)!
    }
  }
})

test('plan: treeOf and the coordinator ranking are deterministic', () => {
  assert.equal(treeOf(Uint8Array.from([0, 0, 0, 5, 9]), 4), 1)
  assert.equal(treeOf(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), 7), 0xffffffff % 7)
  const cands = [1, 2, 3, 4, 5].map(id)
  const r = coordinatorRanking(9, cands)
  assert.deepEqual([...r].sort(), [...cands].sort())
  assert.deepEqual(coordinatorRanking(9, [...cands].reverse()), r)
  for (let i = 1; i < r.length; i++) assert.ok(coordinatorScore(9, r[i - 1]!) < coordinatorScore(9, r[i]!))
  // Different epochs rotate the first coordinator (over a few epochs, not always the same one).
  const firsts = new Set(Array.from({ length: 20 }, (_, e) => coordinatorRanking(e, cands)[0]))
  assert.ok(firsts.size > 1)
})

test('plan: exclusions round-trip in the body; malformed ones are refused', () => {
  const b: PlanBody = { ...body(), excluded: [{ node: 4, until: 50, strikes: 1 }, { node: 6, until: 0xffffffff, strikes: 4 }] }
  const bytes = encodePlanBody(b)
  assert.equal(bytes.length, encodePlanBody(body()).length + 2 * 7)
  assert.deepEqual(decodePlanBody(bytes), b)
  const bad = (x: PlanBody, re: RegExp): void => assert.throws(() => validatePlanBody(x), (e: unknown) => invalid(e) && re.test((e as Error).message))
  bad({ ...body(), excluded: [] }, /absent/)
  bad({ ...body(), excluded: [{ node: 6, until: 50, strikes: 1 }, { node: 4, until: 50, strikes: 1 }] }, /ascending/)
  bad({ ...body(), excluded: [{ node: 7, until: 50, strikes: 1 }] }, /ascending index below 7/)
  bad({ ...body(), excluded: [{ node: 4, until: 50, strikes: 0 }] }, /strikes/)
  bad({ ...body(), excluded: [{ node: 4, until: 50, strikes: 5 }] }, /strikes/)
  // A node may not relay while its exclusion runs (until >= epoch 42); after it ends it may.
  bad({ ...body(), excluded: [{ node: 1, until: 42, strikes: 1 }] }, /may relay/)
  validatePlanBody({ ...body(), excluded: [{ node: 1, until: 41, strikes: 1 }] })
  // On the wire: a count above the node count, and a bad entry, are refused by decodePlanBody.
  const raw = Buffer.from(encodePlanBody(body()))
  raw.writeUInt16BE(8, raw.length - 2)
  assert.throws(() => decodePlanBody(raw), invalid)
  const strikes0 = Buffer.from(bytes)
  strikes0[strikes0.length - 1] = 0
  assert.throws(() => decodePlanBody(strikes0), invalid)
})
