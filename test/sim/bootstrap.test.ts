/**
 * The bootstrap tree (bootstrap.ts) in whole simulated networks (virtual clock): before the first plan each report
 * goes up a spanning tree to one root instead of flooding. The tree converges to one root, the best-ranked node,
 * across a multi-hop network; a node receives O(depth + subtree) reports, not O(N); the first plan is the root's and
 * covers every node; and when the root crashes before it plans, the tree re-forms under the next-best node, which
 * plans instead.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runExperiment, type SimInspect, type SimScenario } from '../../src/sim/experiment.ts'
import { paramsForEpoch } from '../../src/propagation/tee/params.ts'
import { coordinatorRanking } from '../../src/propagation/tee/plan.ts'

const BASE: Partial<SimScenario> = { mode: 'tee', degree: 6, items: 20, rateTps: 5, startMs: 1500, drainMs: 3000, tee: paramsForEpoch(5000) }

/** Samples every node's bootstrap root every 100 ms while no node holds a plan; returns the last sample. */
function sampleRoots(h: SimInspect, into: { at: number; roots: (string | undefined)[] }[]): void {
  for (let t = 100; t < 5000; t += 100) {
    h.at(t, () => {
      if (h.relays.some((r) => r.currentPlan !== undefined)) return
      into.push({ at: t, roots: h.relays.map((r, i) => (h.alive(i) ? r.bootstrapRoot : undefined)) })
    })
  }
}

test('sim tee bootstrap: at 240 nodes the tree converges to the best-ranked node, whose first plan covers every node, and a node receives far fewer than N reports', () => {
  const nodes = 240
  const samples: { at: number; roots: (string | undefined)[] }[] = []
  let ids: readonly string[] = []
  const r = runExperiment({ ...BASE, nodes, seed: 'boot240', inspect: (h) => ((ids = h.ids), sampleRoots(h, samples)) })
  const best = coordinatorRanking(0, ids)[0]!
  const last = samples.at(-1)!
  assert.ok(last !== undefined, 'sampled before the first plan')
  assert.deepEqual(new Set(last.roots), new Set([best]), `at ${last.at} ms, every node routes to the best-ranked node`)
  const first = r.plans.filter((p) => p.epoch === 0)
  assert.equal(first.length, 1, 'one first plan')
  assert.equal(first[0]!.coordinator, best, 'planned by the root')
  assert.equal(first[0]!.nodes.length, nodes, 'covering every node')
  assert.equal(first[0]!.adoptedBy, nodes)
  assert.equal(r.minReach, 1)
  // The first plan goes along its own tree 0, with an offer to each other peer (pulled only where no tree brings
  // it): about one whole copy per node, where a flood gave each node about degree (6) copies.
  const whole = r.byType['tee/plan']!.msgs / nodes
  assert.ok(whole < 1.5, `whole plans received per node ${whole.toFixed(2)}`)
  assert.ok(r.byType['tee/planOffer']!.msgs > 0)
  // Flooding, every node receives every report at least once (N - 1); up the tree, about depth + candidates x depth.
  assert.ok(r.reportsIn.mean < nodes / 10, `mean reports received per node ${r.reportsIn.mean.toFixed(1)}, N = ${nodes}`)
  // Nine nodes in ten receive fewer than a quarter of N over the whole run (first epoch and part of the next, link
  // revisions included); the root receives each report about once per revision, and the first candidates' copies.
  assert.ok(r.reportsIn.p90 < nodes / 4, `90th percentile ${r.reportsIn.p90}, N = ${nodes}`)
  assert.ok(r.reportsIn.max <= 4 * nodes, `max ${r.reportsIn.max} (the root)`)
  // The baseline (reportCandidates 0) floods: the same measure is above N - 1 there, so the bound above can fail.
  const flood = runExperiment({ ...BASE, nodes, seed: 'boot240', tee: { ...paramsForEpoch(5000), reportCandidates: 0 } })
  assert.ok(flood.reportsIn.mean >= nodes - 1, `flooded: mean ${flood.reportsIn.mean.toFixed(1)}`)
  assert.equal(flood.minReach, 1)
  assert.equal(r.byType['tee/beacon'] !== undefined, true)
  assert.equal(flood.byType['tee/beacon'], undefined, 'no beacons without candidates')
})

test('sim tee bootstrap: the root crashes before it plans; the tree re-forms under the next-best node, which plans for every live node', () => {
  const nodes = 64
  let ids: readonly string[] = []
  let dead = -1
  const samples: { at: number; roots: (string | undefined)[] }[] = []
  const r = runExperiment({
    ...BASE,
    nodes,
    seed: 'bootcrash',
    checkInvariants: true,
    inspect: (h) => {
      ids = h.ids
      dead = ids.indexOf(coordinatorRanking(0, ids)[0]!)
      h.at(600, () => {
        assert.equal(h.relays[dead]!.bootstrapRoot, ids[dead], 'the best-ranked node is the root')
        assert.equal(h.relays[dead]!.currentPlan, undefined, 'and has not planned yet')
        h.crash(dead)
      })
      sampleRoots(h, samples)
    },
  })
  const next = coordinatorRanking(0, ids.filter((_, i) => i !== dead))[0]!
  const last = samples.at(-1)!
  assert.ok(last.at > 600)
  assert.deepEqual(new Set(last.roots.filter((x, i) => i !== dead)), new Set([next]), `at ${last.at} ms every live node routes to the next-best node`)
  assert.equal(r.plans.some((p) => p.coordinator === ids[dead]), false, 'the dead root planned nothing')
  const first = r.plans[0]!
  assert.equal(first.coordinator, next)
  assert.equal(first.nodes.length, nodes - 1, 'the first plan covers every live node')
  assert.equal(first.adoptedBy, nodes - 1)
  assert.equal(r.minReach, 1)
})
