/**
 * The tee control plane at several N in the simulator (virtual clock): its per-node cost per ordinary epoch stays
 * within the bound docs/tee-protocol.md states ("Bounds": at most 2 control messages and 4 KB received per node per
 * ordinary epoch, on average, in a stable network) and does not grow with N; and with crashes and message drops,
 * every item still reaches every live node connected to its origin, with a plan in every epoch. The relays'
 * invariants are checked after every event they handle (`checkInvariants`).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runExperiment, type SimResult } from '../../src/sim/experiment.ts'
import { paramsForEpoch } from '../../src/propagation/tee/params.ts'

/** Six 5 s epochs; epochs 1-4 lie wholly inside the run. */
const BASE = { mode: 'tee' as const, degree: 6, items: 120, rateTps: 5, startMs: 1500, drainMs: 4000, tee: paramsForEpoch(5000) }
/** The spec's bound per node per ordinary epoch, stable network. */
const MAX_MSGS = 2
const MAX_BYTES = 4096

const show = (r: SimResult): string => `N=${r.scenario.nodes}: ${r.steadyControlMsgsPerNodePerEpoch.toFixed(2)} msgs, ${r.steadyControlBytesPerNodePerEpoch.toFixed(0)} B per node per epoch (${r.controlBytesPerEpoch.map(Math.round).join(' ')})`

test('sim tee control plane: per node per ordinary epoch within the bound at N = 16, 32, 64, and flat in N', () => {
  const runs = [16, 32, 64].map((nodes) => runExperiment({ ...BASE, nodes, seed: `cp${nodes}`, checkInvariants: nodes === 16 }))
  for (const r of runs) {
    assert.equal(r.minReach, 1, show(r))
    assert.ok(r.steadyControlMsgsPerNodePerEpoch <= MAX_MSGS, show(r))
    assert.ok(r.steadyControlBytesPerNodePerEpoch <= MAX_BYTES, show(r))
    // Every epoch has one plan, adopted by every node.
    assert.deepEqual(r.plans.map((p) => [p.epoch, p.adoptedBy]), r.plans.map((_, e) => [e, r.scenario.nodes]), show(r))
    // Steady plans travel as deltas: whole plans only in epoch 0.
    assert.ok((r.byType['tee/planDelta']?.msgs ?? 0) >= (r.plans.length - 1) * (r.scenario.nodes - 1), show(r))
  }
  // 4x the nodes, not 4x the cost (the old control plane grew linearly: ~0.96 kB x N per node per epoch).
  const [small, , large] = runs
  assert.ok(large!.steadyControlBytesPerNodePerEpoch < 1.5 * small!.steadyControlBytesPerNodePerEpoch + 500, `${show(small!)}; ${show(large!)}`)
  // The first epoch sends every report up the bootstrap tree and the first plan whole along its tree 0 (one copy of
  // O(N) bytes per node); an ordinary one is far below it.
  assert.ok(large!.controlBytesPerEpoch[0]! > 8 * large!.steadyControlBytesPerNodePerEpoch, show(large!))
})

test('sim tee control plane: with 25 % of nodes crashed and 1 % of messages lost, every item reaches every live connected node, with a plan every epoch', () => {
  for (const seed of ['cpx1', 'cpx2']) {
    // The crash at 7 s, inside epoch 1: later plans come from the candidates left, from the reports they hold.
    const r = runExperiment({ ...BASE, nodes: 32, seed, crashFraction: 0.25, crashAtMs: 7000, dropRate: 0.01, checkInvariants: true })
    assert.equal(r.minReach, 1, `${seed}: ${show(r)}`)
    const epochs = [...new Set(r.plans.map((p) => p.epoch))]
    assert.deepEqual(epochs, [0, 1, 2, 3, 4, 5], `${seed}: a plan in every epoch`)
    // After the crash, the live nodes run one plan per epoch, and it leaves the crashed nodes out.
    const last = r.plans.filter((p) => p.epoch === 5)
    assert.equal(last.length, 1, `${seed}: one plan for epoch 5`)
    assert.equal(last[0]!.adoptedBy, r.liveNodes, `${seed}: every live node runs it`)
    assert.ok(last[0]!.nodes.length <= r.liveNodes, `${seed}: crashed nodes left out of the plan`)
  }
})
