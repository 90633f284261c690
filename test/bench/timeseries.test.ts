/** The run's time series: inclusions counted per bin, bytes/s interpolated between the cumulative samples. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { timeSeries } from '../../bench/stats/timeseries.ts'

test('committed tx/s per 2 s bin, the last inclusion included; bytes/s from interpolated samples', () => {
  const t0 = 10_000
  const ts = timeSeries(t0, [10_500, 11_000, 13_000, 14_000], [{ at: 10_000, bytesIn: 0 }, { at: 12_000, bytesIn: 4_000 }, { at: 14_000, bytesIn: 4_000 }])
  assert.deepEqual(ts.map((p) => p.tSec), [0, 2, 4])
  assert.deepEqual(ts.map((p) => p.committedTxPerS), [1, 0.5, 0.5])
  assert.deepEqual(ts.map((p) => p.bytesInPerS), [2_000, 0, null])
})

test('no data, no bins; samples only before t0 leave bytes/s null', () => {
  assert.deepEqual(timeSeries(0, [], []), [])
  assert.deepEqual(timeSeries(5_000, [5_100], [{ at: 1_000, bytesIn: 10 }]), [{ tSec: 0, committedTxPerS: 0.5, bytesInPerS: null }])
})
