/** The filter store and the log criteria on a virtual clock: what a poll returns, expiry after 5 idle minutes, caps. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FILTER_IDLE_MS, FilterError, FilterStore, MAX_ITEMS_PER_FILTER } from '../../src/rpc/filters.ts'
import { logMatches, parseLogCriteria } from '../../src/rpc/log-criteria.ts'
import type { JsonLog } from '../../src/rpc/json.ts'

const A = `0x${'aa'.repeat(20)}`
const B = `0x${'bb'.repeat(20)}`
const T1 = `0x${'01'.repeat(32)}`
const T2 = `0x${'02'.repeat(32)}`
const log = (address: string, topics: string[], block = 5): JsonLog => ({
  removed: false, logIndex: '0x0', transactionIndex: '0x0', transactionHash: `0x${'cc'.repeat(32)}`, blockHash: `0x${'dd'.repeat(32)}`,
  blockNumber: `0x${block.toString(16)}`, address, topics, data: '0x',
})

test('log criteria: address and topic positions as the spec says', () => {
  const c = (o: unknown) => parseLogCriteria(o)
  assert.ok(logMatches(c({}), log(A, [])))
  assert.ok(logMatches(c({ address: A.toUpperCase().replace('0X', '0x') }), log(A, [T1])), 'addresses compare case-insensitively')
  assert.ok(!logMatches(c({ address: [B] }), log(A, [T1])))
  assert.ok(logMatches(c({ topics: [T1] }), log(A, [T1, T2])))
  assert.ok(logMatches(c({ topics: [null, T2] }), log(A, [T1, T2])))
  assert.ok(logMatches(c({ topics: [[T2, T1]] }), log(A, [T1])))
  assert.ok(!logMatches(c({ topics: [T2] }), log(A, [T1])))
  assert.ok(!logMatches(c({ topics: [T1, null] }), log(A, [T1])), 'more positions than topics: no match')
  assert.ok(!logMatches(c({ fromBlock: '0x6' }), log(A, [], 5)))
  assert.ok(logMatches(c({ fromBlock: '0x5', toBlock: 'latest' }), log(A, [], 5)))
})

test('log criteria: bad input is -32602 with the reason', () => {
  const cases: [unknown, RegExp][] = [
    [[], /must be an object/],
    [{ address: '0x12' }, /20-byte/],
    [{ topics: ['0x12'] }, /32-byte/],
    [{ topics: [T1, T1, T1, T1, T1] }, /at most 4/],
    [{ fromBlock: 'soon' }, /fromBlock/],
    [{ fromBlock: '0x5', toBlock: '0x4' }, /after toBlock/],
    [{ adress: A }, /unknown filter field "adress"/],
  ]
  for (const [o, re] of cases) assert.throws(() => parseLogCriteria(o), (e: { code: number; message: string }) => e.code === -32602 && re.test(e.message), JSON.stringify(o))
})

test('filters return what happened since the last poll, by kind', () => {
  let n = 0
  const s = new FilterStore(() => `0x${(++n).toString(16)}`)
  const logs = s.install('logs', parseLogCriteria({ address: A }), 0)
  const blocks = s.install('blocks', undefined, 0)
  const pending = s.install('pendingTxs', undefined, 0)
  s.onBlock('0xb1', [log(A, [T1]), log(B, [T1])], 1000)
  s.onPendingTx('0xt1', 1000)
  assert.deepEqual(s.changes(blocks, 2000), ['0xb1'])
  assert.deepEqual(s.changes(blocks, 2000), [], 'a second poll has nothing new')
  assert.deepEqual(s.changes(logs, 2000).map((l) => (l as JsonLog).address), [A])
  assert.deepEqual(s.changes(pending, 2000), ['0xt1'])
  s.onRemoved([{ ...log(A, [T1]), removed: true }], 3000)
  assert.deepEqual(s.changes(logs, 3000).map((l) => (l as JsonLog).removed), [true], 'a reorged-out log comes back as removed')
  assert.equal(s.uninstall(blocks), true)
  assert.equal(s.uninstall(blocks), false)
  assert.throws(() => s.changes(blocks, 3000), (e: FilterError) => e.message === 'filter not found')
})

test('a filter not polled for 5 minutes expires; polling keeps it alive', () => {
  const s = new FilterStore()
  const kept = s.install('blocks', undefined, 0)
  const idle = s.install('blocks', undefined, 0)
  s.changes(kept, FILTER_IDLE_MS - 1)
  s.expire(FILTER_IDLE_MS)
  assert.throws(() => s.changes(idle, FILTER_IDLE_MS), /filter not found/)
  assert.deepEqual(s.changes(kept, FILTER_IDLE_MS), [])
  assert.equal(s.size, 1)
})

test('an unpolled filter keeps at most MAX_ITEMS_PER_FILTER items, the newest', () => {
  const s = new FilterStore()
  const f = s.install('blocks', undefined, 0)
  for (let i = 0; i < MAX_ITEMS_PER_FILTER + 5; i++) s.onBlock(`0x${i.toString(16)}`, [], 1)
  const got = s.changes(f, 2)
  assert.equal(got.length, MAX_ITEMS_PER_FILTER)
  assert.equal(got[0], '0x5')
})
