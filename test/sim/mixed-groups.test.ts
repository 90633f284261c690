/**
 * A mixed network in the simulator (virtual clock): two attested groups that only unattested tee nodes join converge
 * on one plan that covers every attested node as a relay (a forest: one subtree per group), every item reaches every
 * node, and the control plane stays within its bound: after the join the coordinator's group signs no quote, and the
 * other group's quotes ride only in the reports it re-signs anyway (its subtree is not joined to the coordinator's by
 * relays, so its reports keep vouching for themselves). A single group signs no quote at all. The relays' invariants are checked after every event they handle.
 *
 * Topology (12 nodes): group A = 0..5 (attested ring with chords), group B = 6..9 (attested ring), unattested tee
 * nodes 10 (linked to 0, 1, 6, 7) and 11 (linked to 3, 8). No attested link joins A and B.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runExperiment, type SimInspect } from '../../src/sim/experiment.ts'
import { paramsForEpoch } from '../../src/propagation/tee/params.ts'

const EPOCH_MS = 5000
const A = [0, 1, 2, 3, 4, 5]
const B = [6, 7, 8, 9]
const ring = (xs: number[]): [number, number][] => xs.map((x, i) => [x, xs[(i + 1) % xs.length]!])
const EDGES: [number, number][] = [...ring(A), [0, 3], [1, 4], ...ring(B), [10, 0], [10, 1], [10, 6], [10, 7], [11, 3], [11, 8]]

function run(seed: string, edges = EDGES, attestedNodes = [...A, ...B]) {
  // Per epoch boundary: quotes each node signed so far.
  const perNode: number[][] = []
  const inspect = (h: SimInspect): void => {
    for (let e = 1; e <= 8; e++) h.at(e * EPOCH_MS - 1, () => perNode.push(h.relays.map((r) => r.counters.reportQuotes)))
  }
  const r = runExperiment({ mode: 'tee', nodes: 12, edges, attestedNodes, seed, items: 150, rateTps: 5, startMs: 1500, drainMs: 10_000, tee: paramsForEpoch(EPOCH_MS), checkInvariants: true, inspect })
  const quotesAt = perNode.map((xs) => xs.reduce((a, b) => a + b, 0))
  return { r, quotesAt, perNode }
}

test('sim tee: two attested groups joined only through unattested nodes converge on one plan that covers every attested node as a relay', () => {
  for (const seed of ['mixed1', 'mixed2']) {
    const { r, quotesAt, perNode } = run(seed)
    const show = `${seed}: plans ${r.plans.map((p) => `e${p.epoch}:${p.nodes.length}n/${p.interior.filter(Boolean).length}r/${p.adoptedBy}`).join(' ')}; quotes ${quotesAt.join(' ')}`
    assert.equal(r.minReach, 1, `${show}: every item reaches every node`)
    // Epoch 7 lies wholly inside the run (the run ends early in epoch 8, while its plan still spreads).
    const last = r.plans.find((p) => p.epoch === 7)!
    assert.equal(last.adoptedBy, 12, `${show}: every node runs epoch 7's plan`)
    assert.equal(r.plans.filter((p) => p.epoch === 7).length, 1, `${show}: one plan for epoch 7`)
    // The last plans cover every attested node as interior-eligible: both groups relay.
    for (const p of r.plans.filter((x) => x.epoch >= 2)) {
      assert.equal(p.nodes.length, 12, `${show}: epoch ${p.epoch} names every node`)
      assert.equal(p.interior.filter(Boolean).length, A.length + B.length, `${show}: epoch ${p.epoch}: every attested node may relay`)
    }
    // Quotes: some while the groups were apart. Once one plan joins them, the coordinator's group signs none, and the
    // other group only in the reports it signs anyway (a refresh, a changed link): its subtree is still not joined to
    // the coordinator's by relays, and its report must keep vouching for itself.
    assert.ok(quotesAt[1]! > 0, `${show}: the groups outside each other's plan vouched for themselves`)
    const after = perNode[perNode.length - 1]!.map((x, i) => x - perNode[2]![i]!)
    const side = (g: number[]): number => g.reduce((a, i) => a + after[i]!, 0)
    assert.ok(side(A) === 0 || side(B) === 0, `${show}: after the join only one group signs quotes (A ${side(A)}, B ${side(B)})`)
    assert.ok(side(A) + side(B) <= Math.max(A.length, B.length) * 2, `${show}: at most a few re-signed reports carry one (A ${side(A)}, B ${side(B)})`)
    // After the join (epochs 1-3), an ordinary epoch keeps the bound of docs/tee-protocol.md "Bounds" (4 KB per node)
    // plus, per report signed with a quote that epoch, one more report with a quote (~1.6 KB) to about every node.
    for (let e = 4; e <= 7; e++) {
      const quotes = quotesAt[e]! - quotesAt[e - 1]!
      assert.ok(r.controlBytesPerEpoch[e]! <= 4096 + 2500 * quotes, `${show}: epoch ${e}, ${quotes} quotes: control B per node per epoch ${r.controlBytesPerEpoch.map(Math.round).join(' ')}`)
    }
  }
})

test('sim tee: one attested group (the control) signs no quote at all', () => {
  // The same nodes, with 2-6 and 9-7 linked by attested links: one component.
  const { r, quotesAt } = run('mixed-one', [...EDGES, [2, 6], [5, 9]])
  assert.equal(r.minReach, 1)
  assert.deepEqual(quotesAt, quotesAt.map(() => 0), `quotes ${quotesAt.join(' ')}`)
  const last = r.plans.find((p) => p.epoch === 7)!
  assert.equal(last.adoptedBy, 12)
  assert.equal(last.interior.filter(Boolean).length, A.length + B.length)
})
