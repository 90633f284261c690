import { test } from 'node:test'
import assert from 'node:assert/strict'
import { maxSustainedTps, spread, stepResults, type StepResult } from '../../bench/stats/ramp.ts'
import { combineRepetitions, headline } from '../../bench/scenario-run.ts'
import type { ModeResult } from '../../bench/report/summary.ts'

const step = (offered: number, txs: number, committed: number, p99: number | null): StepResult => ({
  step: 0,
  offeredTxPerS: offered,
  txs,
  committed,
  committedShare: txs === 0 ? 0 : committed / txs,
  committedTxPerS: offered,
  inclusionLatencyMs: { p50: p99, p90: p99, p99, max: p99 },
})

test('max sustained throughput: the highest offered rate with >= 95 % committed and p99 within the bound', () => {
  const steps = [step(10, 100, 100, 3000), step(20, 200, 199, 4000), step(30, 300, 290, 9000), step(40, 400, 385, 12_000), step(50, 500, 300, 30_000)]
  // 30: 290/300 = 96.7 % and 9 s <= 10 s -> sustained; 40: 96.3 % but 12 s > 10 s; 50: 60 %.
  assert.equal(maxSustainedTps(steps, 10_000), 30)
  assert.equal(maxSustainedTps(steps, 12_000), 40, 'a looser latency bound admits 40')
  assert.equal(maxSustainedTps(steps, 2_000), null, 'no step within 2 s')
  // Exactly 95 % counts; 94.9 % does not; a step with no txs or no latency never counts.
  assert.equal(maxSustainedTps([step(10, 20, 19, 100)], 10_000), 10)
  assert.equal(maxSustainedTps([step(10, 1000, 949, 100)], 10_000), null)
  assert.equal(maxSustainedTps([step(10, 0, 0, null), step(5, 10, 10, null)], 10_000), null)
  // Not monotone: a later, lower step does not hide an earlier higher one.
  assert.equal(maxSustainedTps([step(60, 100, 100, 1000), step(70, 100, 50, 1000), step(20, 100, 100, 1000)], 10_000), 60)
})

test('per-step results: committed share, window throughput and inclusion latency', () => {
  const steps = [
    { rate: 10, startAt: 0, endAt: 1000 },
    { rate: 20, startAt: 1000, endAt: 2000 },
  ]
  const sent = [
    // warm-up tx: in no step, and not counted in the windows.
    { step: -1, warmup: true, acceptedAt: -100, includedSeenAt: 500 },
    { step: 0, acceptedAt: 0, includedSeenAt: 400 },
    { step: 0, acceptedAt: 100, includedSeenAt: 1200 },
    { step: 1, acceptedAt: 1000, includedSeenAt: 1500 },
    { step: 1, acceptedAt: 1100, includedSeenAt: 2500 },
    { step: 1, acceptedAt: 1200 },
  ]
  const rejected = [{ step: 1 }, { step: 0, warmup: true }]
  const [a, b] = stepResults(steps, sent, rejected)
  assert.deepEqual(a, { step: 0, offeredTxPerS: 10, txs: 2, committed: 2, committedShare: 1, committedTxPerS: 1, inclusionLatencyMs: { p50: 400, p90: 1100, p99: 1100, max: 1100 } })
  // Step 1: 3 accepted + 1 refused = 4 txs, 2 committed; in its window [1000, 2000) two inclusions (1200, 1500).
  assert.equal(b!.txs, 4)
  assert.equal(b!.committed, 2)
  assert.equal(b!.committedShare, 0.5)
  assert.equal(b!.committedTxPerS, 2)
  assert.deepEqual(b!.inclusionLatencyMs, { p50: 500, p90: 1400, p99: 1400, max: 1400 })
})

test('spread and the repetition headline', () => {
  assert.deepEqual(spread([1, 2, 6, null]), { mean: 3, min: 1, max: 6 })
  assert.deepEqual(spread([null]), { mean: null, min: null, max: null })
  const rep = (i: number, tps: number, p50: number, sustained?: number | null): ModeResult =>
    ({
      mode: 'stock',
      repetition: i,
      committedTxPerS: tps,
      inclusionLatencyMs: { p50, p90: p50, p99: 2 * p50, max: 2 * p50 },
      propagationMs: { to50: { p50: 1, p90: 1, p99: 1, max: 1 }, to90: { p50: 1, p90: 1, p99: 1, max: 1 }, to100: { p50: 10 * i, p90: 1, p99: 20 * i, max: 1 } },
      perTxPerNode: { txMsgsIn: i, txBytesIn: 100 * i, blockBytesIn: 0, duplicateTxs: 0, byMessage: {} },
      cpuSecondsPerNode: 1,
      latencyCdfMs: [1, 2, 3],
      ...(sustained !== undefined ? { maxSustainedTps: sustained } : {}),
    }) as unknown as ModeResult
  const h = headline([rep(1, 40, 1000, 30), rep(2, 50, 3000, null), rep(3, 45, 2000, 40)])
  assert.deepEqual(h.committedTxPerS, { mean: 45, min: 40, max: 50 })
  assert.deepEqual(h.inclusionP50Ms, { mean: 2000, min: 1000, max: 3000 })
  assert.deepEqual(h.inclusionP99Ms, { mean: 4000, min: 2000, max: 6000 })
  assert.deepEqual(h.toAllNodesP50Ms, { mean: 20, min: 10, max: 30 })
  assert.deepEqual(h.txMsgsInPerTxPerNode, { mean: 2, min: 1, max: 3 })
  assert.deepEqual(h.maxSustainedTps, { mean: 35, min: 30, max: 40 }, 'a repetition without a sustained step is left out')
  const one = combineRepetitions([rep(1, 40, 1000)])
  assert.equal(one.repetitions, undefined, 'a single repetition is reported as before')
  const three = combineRepetitions([rep(1, 40, 1000), rep(2, 50, 3000), rep(3, 45, 2000)])
  assert.equal(three.committedTxPerS, 40, 'top level = first repetition')
  assert.equal(three.repetitions!.length, 3)
  assert.deepEqual(three.repetitions![2]!.latencyCdfMs, [1, 2, 3], 'each repetition keeps its CDF: the report draws one line per repetition')
  assert.equal(three.headline!.maxSustainedTps, undefined, 'fixed-rate runs have no max sustained figure')
})

test('report.md lists failed runs with their reason', async () => {
  const { markdownTable } = await import('../../bench/report/summary.ts')
  const { loadScenario } = await import('../../bench/scenario.ts')
  const md = markdownTable({ scenario: loadScenario('bench/scenarios/ramp.yaml'), gitCommit: 'x', startedAt: 'a', finishedAt: 'b', modes: [], failed: [{ mode: 'flood', repetition: 1, error: 'testnet not ready after 120000 ms' }] })
  assert.match(md, /FAILED: flood: testnet not ready after 120000 ms/)
})

test('max sustained against stock: paired by repetition, and the ratio of the means', async () => {
  const { sustainedAgainstStock } = await import('../../bench/report/summary.ts')
  const mode = (name: string, values: (number | undefined)[]): ModeResult =>
    combineRepetitions(values.map((v, i) => ({ mode: name, repetition: i + 1, committedTxPerS: 1, inclusionLatencyMs: { p50: 1, p90: 1, p99: 1, max: 1 }, propagationMs: { to100: { p50: 1, p90: 1, p99: 1, max: 1 } }, perTxPerNode: { txMsgsIn: 1, txBytesIn: 1 }, cpuSecondsPerNode: 1, ...(v !== undefined ? { maxSustainedTps: v } : {}) }) as unknown as ModeResult))
  assert.equal(
    sustainedAgainstStock([mode('stock', [20, 12, 16]), mode('tee', [20, 36, 20])]),
    'max sustained tx/s against stock, repetition by repetition: tee 1.00x, 3.00x, 1.25x (ratio of the means 1.58x)',
  )
  assert.equal(sustainedAgainstStock([mode('stock', [10, undefined]), mode('geth', [20, 10])]), 'max sustained tx/s against stock, repetition by repetition: geth 2.00x, - (ratio of the means 1.50x)', 'a repetition without a sustained step pairs with nothing')
  assert.equal(sustainedAgainstStock([mode('tee', [20])]), undefined, 'no stock ramp: no line')
})
