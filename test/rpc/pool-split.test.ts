/** Pending vs queued txs, as geth counts them: a gap in a sender's nonces turns everything after it into queued. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { poolSplit } from '../../src/rpc/metrics/pool-split.ts'

test('nonces running from the account nonce are pending, the rest queued, mined leftovers neither', () => {
  const pool: [string, bigint[]][] = [
    ['a', [5n, 6n, 7n]], // account nonce 5: all pending
    ['b', [3n, 4n, 6n, 9n]], // account nonce 3: 3, 4 pending; 6, 9 queued
    ['c', [2n]], // account nonce 1: a gap, queued
    ['d', [0n, 1n, 2n]], // account nonce 2: 0 and 1 were mined, 2 pending
  ]
  const nonces = new Map([['a', 5n], ['b', 3n], ['c', 1n], ['d', 2n]])
  assert.deepEqual(poolSplit(pool, (s) => nonces.get(s)), { pending: 3 + 2 + 0 + 1, queued: 0 + 2 + 1 + 0 })
})

test('without an account nonce the lowest pooled nonce stands in; duplicate nonces (replacements) count once', () => {
  assert.deepEqual(poolSplit([['a', [4n, 4n, 5n, 7n]]], () => undefined), { pending: 2, queued: 1 })
  assert.deepEqual(poolSplit([], () => undefined), { pending: 0, queued: 0 })
})
