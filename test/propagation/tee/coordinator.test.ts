/**
 * The coordinator's planning step (planFromReports), pure: lasting omission exclusion. An omitting relay charged in
 * one epoch's reports stays a leaf for exclusionEpochs after that, as the running plan carries its exclusion; a
 * repeat within the memory doubles the length; exclusionEpochs 0 is the rule before (charged epochs only).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { carriedExclusions, exclusionLength, planFromReports, type PlanningParams } from '../../../src/propagation/tee/coordinator.ts'
import { decodePlanBody, encodePlanBody } from '../../../src/propagation/tee/plan.ts'
import type { PlanBody, Report } from '../../../src/propagation/tee/messages.ts'

const id = (i: number): string => (i + 1).toString(16).padStart(2, '0').repeat(64)
const N = 6
/** A ring of 6 attested nodes with chords, so every node could relay. */
const EDGES: [number, number][] = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0], [0, 3], [1, 4]]
const P: PlanningParams = { trees: 2, maxTreeDegree: 4, omissionMinSamples: 20, omissionRatio: 0.1, reportMaxAgeEpochs: 33, exclusionEpochs: 3, vouchTermEpochs: 0 }
const OMITTER = 2

/** Every node's report for `epoch`; with `charge`, node OMITTER's neighbours report 30 omissions of it. */
function reports(epoch: number, charge: boolean): Report[] {
  return Array.from({ length: N }, (_, i) => {
    const links = EDGES.filter(([a, b]) => a === i || b === i).map(([a, b]) => ({ peer: id(a === i ? b : a), rttMs: 10, attested: true }))
    const omissions = charge && links.some((l) => l.peer === id(OMITTER)) ? [{ peer: id(OMITTER), omitted: 30, delivered: 0 }] : []
    return { epoch, node: id(i), attested: true, seq: 0, links, omissions }
  })
}

/** Plans epochs `from`..`to`, each from the one before (as the running plan), charging in `charged` epochs. */
function run(from: number, to: number, charged: Set<number>, p = P, start?: PlanBody): PlanBody[] {
  const out: PlanBody[] = []
  let running = start
  for (let e = from; e <= to; e++) {
    const body = planFromReports(e, id(0), reports(e, charged.has(e)), p, carriedExclusions(running, e, p.exclusionEpochs)).body
    // Each plan survives its wire form, so the carried state is what a receiver rebuilds.
    running = decodePlanBody(encodePlanBody(body))
    assert.deepEqual(running, body, `epoch ${e}: the body round-trips`)
    out.push(body)
  }
  return out
}

const interiorOf = (b: PlanBody, node: number): boolean => b.interior[b.nodes.indexOf(id(node))]!

test('coordinator: an omitting relay charged once stays a leaf for exclusionEpochs after, then relays again', () => {
  const plans = run(10, 20, new Set([10]))
  // Without the charge it relays (the control: the graph needs or prefers it somewhere).
  assert.ok(interiorOf(run(10, 10, new Set())[0]!, OMITTER), 'relays when nobody charges it')
  for (const b of plans) {
    const e = b.epoch
    const leaf = e >= 10 && e <= 10 + P.exclusionEpochs
    assert.equal(interiorOf(b, OMITTER), !leaf, `epoch ${e}: ${leaf ? 'a leaf' : 'may relay'}`)
  }
  const x = plans[0]!.excluded
  assert.deepEqual(x, [{ node: plans[0]!.nodes.indexOf(id(OMITTER)), until: 13, strikes: 1 }])
  // Remembered for as long again after the end (a repeat would double), then forgotten.
  assert.ok(plans.find((b) => b.epoch === 16)!.excluded !== undefined, 'remembered at epoch 16')
  assert.equal(plans.find((b) => b.epoch === 17)!.excluded, undefined, 'forgotten at epoch 17')
})

test('coordinator: charged again while excluded, the end moves on; a repeat within the memory doubles the length', () => {
  const plans = run(10, 30, new Set([10, 11, 16]))
  const ex = (e: number) => plans.find((b) => b.epoch === e)!.excluded?.[0]
  assert.deepEqual(ex(11), { node: ex(11)!.node, until: 14, strikes: 1 }, 'still excluded at 11: the end moves to 11 + 3')
  // 16: after the end (14), within the memory (14 + 3): strikes 2, length 6.
  assert.equal(exclusionLength(P.exclusionEpochs, 2), 6)
  assert.deepEqual(ex(16), { node: ex(16)!.node, until: 22, strikes: 2 })
  for (const b of plans) assert.equal(interiorOf(b, OMITTER), !((b.epoch >= 10 && b.epoch <= 14) || (b.epoch >= 16 && b.epoch <= 22)), `epoch ${b.epoch}`)
})

test('coordinator: exclusionEpochs 0 keeps the rule before (a leaf only in charged epochs, nothing carried)', () => {
  const p = { ...P, exclusionEpochs: 0 }
  const plans = run(10, 13, new Set([10]), p)
  assert.deepEqual(plans.map((b) => interiorOf(b, OMITTER)), [false, true, true, true])
  assert.ok(plans.every((b) => b.excluded === undefined))
})

test('coordinator: a carried exclusion cannot outlast what its strikes allow from the running plan\'s epoch', () => {
  const start = run(10, 10, new Set([10]))[0]!
  // A host that lies: the running plan claims an end far ahead. The enclave bounds it to 10 + 3.
  const lying: PlanBody = { ...start, excluded: [{ ...start.excluded![0]!, until: 1_000 }] }
  assert.deepEqual(carriedExclusions(lying, 11, P.exclusionEpochs).map((c) => c.until), [13])
  // A running plan from the future, or exclusionEpochs 0, carries nothing.
  assert.deepEqual(carriedExclusions(start, 9, P.exclusionEpochs), [])
  assert.deepEqual(carriedExclusions(start, 11, 0), [])
  const plans = run(11, 14, new Set(), P, lying)
  assert.deepEqual(plans.map((b) => interiorOf(b, OMITTER)), [false, false, false, true])
})
