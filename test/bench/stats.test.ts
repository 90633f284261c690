import { test } from 'node:test'
import assert from 'node:assert/strict'
import { percentile, percentiles } from '../../src/shared/percentile.ts'
import { coverage } from '../../bench/stats/coverage.ts'
import { wireCost } from '../../bench/stats/wire.ts'
import type { P2pStats } from '../../src/rpc/teecast.ts'

test('nearest-rank percentiles on hand-computed cases', () => {
  const xs = [15, 20, 35, 40, 50]
  assert.equal(percentile(xs, 30), 20)
  assert.equal(percentile(xs, 40), 20)
  assert.equal(percentile(xs, 50), 35)
  assert.equal(percentile(xs, 100), 50)
  assert.deepEqual(percentiles([3, 1, 2]), { p50: 2, p90: 3, p99: 3, max: 3 })
  assert.deepEqual(percentiles([]), { p50: null, p90: null, p99: null, max: null })
  assert.throws(() => percentile(xs, 0), RangeError)
})

test('coverage times: when 50, 90 and 100 % of nodes first saw an item', () => {
  // 10 nodes, origin at t=1000; one never saw it.
  const seen = [1000, 1010, 1020, 1030, 1040, 1050, 1060, 1070, 1080, null]
  assert.deepEqual(coverage(1000, seen), { p50: 40, p90: 80, p100: null, reached: 0.9 })
  assert.deepEqual(coverage(1000, [1005, 1001]), { p50: 1, p90: 5, p100: 5, reached: 1 })
  // A node that saw it before the RPC returned (clock order) counts as 0, not negative.
  assert.deepEqual(coverage(1000, [999]), { p50: 0, p90: 0, p100: 0, reached: 1 })
})

test('wire cost per tx per node from two snapshots', () => {
  const snap = (txIn: number, bytes: number, dup: number, blockBytes = 1000): P2pStats => ({
    node: 'x', nodeId: 'ab', propagation: 'stock', peers: 2, uptimeMs: 1,
    messages: { 'eth/Transactions': { in: txIn, out: 0, bytesIn: bytes, bytesOut: 0 }, 'eth/NewBlock': { in: 1, out: 0, bytesIn: blockBytes, bytesOut: 0 } },
    duplicates: { tx: dup, block: 0 }, seen: { tx: 0, block: 0 },
  })
  const before = new Map([['a', snap(10, 1000, 1)], ['b', snap(0, 0, 0)]])
  const after = new Map([['a', snap(30, 3000, 5, 2000)], ['b', snap(20, 2000, 0)]])
  // 10 committed txs, 2 nodes: (20 + 20) messages / 20 = 2 per tx per node.
  const c = wireCost(before, after, 10)
  assert.equal(c.txMsgsIn, 2)
  assert.equal(c.txBytesIn, 200)
  assert.equal(c.duplicateTxs, 0.2)
  // 1000 block bytes on one node over 10 txs x 2 nodes.
  assert.equal(c.blockBytesIn, 50)
})
