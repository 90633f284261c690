import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { benchProgress, countsLine } from '../../bench/progress.ts'
import type { RunCounts } from '../../bench/run.ts'
import { setTimeout as sleep } from 'node:timers/promises'

const counts = (o: Partial<RunCounts>): RunCounts => ({ mode: 'stock', repetition: 1, repetitions: 1, phase: '50 tx/s', sent: 10, committed: 4, total: 500, ...o })

test('the counters as one line', () => {
  assert.equal(countsLine(counts({})), 'stock 50 tx/s: sent 10/500, committed 4')
  assert.equal(countsLine(counts({ repetition: 2, repetitions: 3, total: undefined, phase: '64 in flight' })), 'stock #2/3 64 in flight: sent 10, committed 4')
})

test('without a terminal: time-stamped lines, counters at most every interval unless the phase changes', () => {
  const out = new PassThrough()
  let text = ''
  out.on('data', (d: Buffer) => (text += d.toString()))
  let now = 1_000
  const p = benchProgress({ stream: out as unknown as NodeJS.WriteStream, tty: false, intervalMs: 10_000, now: () => now })
  p.onProgress('stock: starting 8 nodes')
  now += 2_000
  p.onCounts(counts({ sent: 1 }))
  now += 250
  p.onCounts(counts({ sent: 2 }))
  now += 250
  p.onCounts(counts({ sent: 3, phase: 'waiting for inclusion' }))
  now += 10_000
  p.onCounts(counts({ sent: 500, committed: 480, phase: 'waiting for inclusion' }))
  p.stop()
  assert.deepEqual(text.trim().split('\n'), [
    '[0 s] stock: starting 8 nodes',
    '[2 s] stock 50 tx/s: sent 1/500, committed 4',
    '[3 s] stock waiting for inclusion: sent 3/500, committed 4',
    '[13 s] stock waiting for inclusion: sent 500/500, committed 480',
  ])
})

test('on a terminal: a bar with mode, repetition and counts, messages above it', async () => {
  const out = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough
  Object.assign(out, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true })
  let text = ''
  out.on('data', (d: Buffer) => (text += d.toString()))
  const p = benchProgress({ stream: out })
  p.onProgress('stock: starting 3 nodes')
  p.onCounts(counts({ repetition: 2, repetitions: 3, sent: 100, committed: 90 }))
  await sleep(400)
  p.stop()
  assert.match(text, /stock: starting 3 nodes/)
  assert.match(text, /stock #2\/3 .*50 tx\/s: sent 100\/500, committed 90/)
})
