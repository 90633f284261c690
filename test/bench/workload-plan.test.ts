import { test } from 'node:test'
import assert from 'node:assert/strict'
import { COUNTER_INITCODE, COUNTER_RUNTIME } from '../../bench/workload/counter-contract.ts'
import { openLoopPlan, rampSteps } from '../../bench/workload/open-loop.ts'
import { kindChooser, seededCalldata, type TxKind } from '../../bench/workload/tx-factory.ts'
import { loadShape } from '../../bench/run.ts'
import { parseScenario } from '../../bench/scenario.ts'

test('ramp steps: rates evenly from start to end, counts from stepSec or countPerStep', () => {
  assert.deepEqual(rampSteps({ start: 10, end: 40, steps: 4, stepSec: 5 }), [
    { rate: 10, count: 50 },
    { rate: 20, count: 100 },
    { rate: 30, count: 150 },
    { rate: 40, count: 200 },
  ])
  assert.deepEqual(rampSteps({ start: 10, end: 20, steps: 3, countPerStep: 7 }), [
    { rate: 10, count: 7 },
    { rate: 15, count: 7 },
    { rate: 20, count: 7 },
  ])
  assert.deepEqual(rampSteps({ start: 5, end: 5, steps: 1, stepSec: 0.1 }), [{ rate: 5, count: 1 }], 'at least one tx a step')
})

test('open-loop plan: warm-up at the first rate, then the steps back to back', () => {
  const plan = openLoopPlan(
    [
      { rate: 10, count: 2 },
      { rate: 20, count: 2 },
    ],
    0.2,
  )
  assert.deepEqual(plan, [
    { atMs: 0, step: -1, warmup: true },
    { atMs: 100, step: -1, warmup: true },
    { atMs: 200, step: 0, warmup: false },
    { atMs: 300, step: 0, warmup: false },
    { atMs: 400, step: 1, warmup: false },
    { atMs: 450, step: 1, warmup: false },
  ])
  assert.equal(openLoopPlan([{ rate: 50, count: 500 }]).length, 500, 'no warm-up: the fixed-rate schedule of before')
  assert.equal(openLoopPlan([{ rate: 50, count: 500 }])[499]!.atMs, 9980)
})

test('load shapes from the scenario workload', () => {
  const base = "name: t\nnetwork: { nodes: 3, degree: 2, signers: 1, seed: s }\nmodes: [stock]\n"
  assert.deepEqual(loadShape(parseScenario(`${base}workload: { kind: fixed-rate, rate: 5, count: 9 }`).workload), { kind: 'open', steps: [{ rate: 5, count: 9 }] })
  assert.deepEqual(loadShape(parseScenario(`${base}workload: { kind: fixed-load, inFlight: 8, count: 90 }`).workload), { kind: 'closed', inFlight: 8, count: 90 })
  assert.deepEqual(loadShape(parseScenario(`${base}workload: { kind: ramp, start: 10, end: 30, steps: 3, countPerStep: 4 }`).workload), {
    kind: 'open',
    steps: [
      { rate: 10, count: 4 },
      { rate: 20, count: 4 },
      { rate: 30, count: 4 },
    ],
  })
})

test('tx mix: deterministic for a seed, in proportion to the weights', () => {
  const draw = (seed: string, n: number, mix: Partial<Record<TxKind, number>>) => {
    const next = kindChooser(mix, seed)
    return Array.from({ length: n }, next)
  }
  const mix = { transfer: 0.8, contractCall: 0.1, largeCalldata: 0.1 }
  assert.deepEqual(draw('a', 200, mix), draw('a', 200, mix), 'same seed, same kinds')
  assert.notDeepEqual(draw('a', 200, mix), draw('b', 200, mix))
  const kinds = draw('a', 10_000, mix)
  const share = (k: TxKind) => kinds.filter((x) => x === k).length / kinds.length
  assert.ok(Math.abs(share('transfer') - 0.8) < 0.02, `transfer ${share('transfer')}`)
  assert.ok(Math.abs(share('contractCall') - 0.1) < 0.015)
  assert.ok(Math.abs(share('largeCalldata') - 0.1) < 0.015)
  assert.deepEqual(new Set(draw('a', 500, { transfer: 1 })), new Set(['transfer']))
  assert.deepEqual(new Set(draw('a', 500, { largeCalldata: 3, transfer: 0 })), new Set(['largeCalldata']))
  assert.throws(() => kindChooser({ transfer: 0 }, 'a'), /must not all be 0/)
})

test('calldata and the counter contract', () => {
  const d = seededCalldata(4096, 'x')
  assert.equal(d.length, 4096)
  assert.ok(d.every((b) => b !== 0), 'no zero bytes: 16 gas each, whatever the seed')
  assert.deepEqual(seededCalldata(64, 'x'), seededCalldata(4096, 'x').slice(0, 64))
  // Init code: CODECOPY(0, 12, 10), RETURN(0, 10) followed by the 10-byte runtime.
  assert.equal((COUNTER_RUNTIME.length - 2) / 2, 10)
  assert.equal((COUNTER_INITCODE.length - 2) / 2, 12 + 10)
  assert.ok(COUNTER_INITCODE.endsWith(COUNTER_RUNTIME.slice(2)))
})
