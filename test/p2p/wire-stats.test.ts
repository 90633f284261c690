import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PEER_LABEL_LIMIT, PEER_OTHER, WireStats } from '../../src/p2p/wire-stats.ts'
import { messageKey } from '../../src/p2p/message-names.ts'

test('counts messages and bytes per key and direction', () => {
  const s = new WireStats()
  s.count('eth/Transactions', 'in', 150)
  s.count('eth/Transactions', 'in', 50)
  s.count('eth/Transactions', 'out', 70)
  s.count('eth/NewBlock', 'out', 1000)
  assert.deepEqual(s.messagesSnapshot(), {
    'eth/NewBlock': { in: 0, out: 1, bytesIn: 0, bytesOut: 1000 },
    'eth/Transactions': { in: 2, out: 1, bytesIn: 200, bytesOut: 70 },
  })
})

test('a payload received for an item already held is a duplicate; local creation never is', () => {
  const s = new WireStats()
  const h = `0x${'ab'.repeat(32)}`
  assert.equal(s.sawItem('tx', h, 1000, false), true)
  assert.equal(s.sawItem('tx', h.toUpperCase().replace('0X', '0x'), 2000, true), false)
  assert.equal(s.sawItem('tx', h, 3000, false), false)
  assert.equal(s.duplicates.tx, 1)
  assert.equal(s.duplicates.block, 0)
  assert.equal(s.firstSeenAt('tx', h), 1000)
  assert.equal(s.firstSeenAny(h), 1000)
  assert.equal(s.firstSeenAny(`0x${'cd'.repeat(32)}`), null)
})

test('first-seen keeps only the newest entries, oldest evicted first', () => {
  const s = new WireStats(3)
  for (let i = 0; i < 5; i++) s.sawItem('block', `0x${i}`, i, false)
  assert.equal(s.firstSeenAt('block', '0x0'), undefined)
  assert.equal(s.firstSeenAt('block', '0x1'), undefined)
  assert.deepEqual([2, 3, 4].map((i) => s.firstSeenAt('block', `0x${i}`)), [2, 3, 4])
  s.sawItem('block', '0x4', 9, true)
  assert.deepEqual(s.distinct, { tx: 0, block: 5 }, 'distinct counts every item once, evicted ones too')
})

test('message keys use eth/68 and p2p names, and fall back to a code', () => {
  assert.equal(messageKey('eth', 2), 'eth/Transactions')
  assert.equal(messageKey('eth', 8), 'eth/NewPooledTransactionHashes')
  assert.equal(messageKey('eth', 10), 'eth/PooledTransactions')
  assert.equal(messageKey('p2p', 2), 'p2p/Ping')
  assert.equal(messageKey('tee', 1, { messageName: (c) => (c === 1 ? 'Push' : undefined) }), 'tee/Push')
  assert.equal(messageKey('tee', 9), 'tee/code9')
})

test('per-peer bytes: the first PEER_LABEL_LIMIT peers get a label of their own, the rest are summed as "other"', () => {
  const s = new WireStats()
  for (let i = 0; i < PEER_LABEL_LIMIT + 10; i++) s.countPeer(`p${i}`, 'in', 100)
  s.countPeer('p0', 'out', 7)
  assert.equal(s.peerBytes.size, PEER_LABEL_LIMIT + 1)
  assert.deepEqual(s.peerBytes.get('p0'), { in: 100, out: 7 })
  assert.deepEqual(s.peerBytes.get(PEER_OTHER), { in: 1000, out: 0 })
})

test('first-seen listeners hear each new item once, with the block detail, and never a duplicate', () => {
  const s = new WireStats()
  const heard: string[] = []
  s.onFirstSeen((e) => heard.push(`${e.kind}:${e.hash}:${e.at}:${e.received}:${e.block?.timestampSec ?? '-'}`))
  s.sawItem('tx', '0xAB', 1, false)
  s.sawItem('tx', '0xab', 2, true)
  s.sawItem('block', '0xcd', 3, true, { timestampSec: 9, txHashes: () => ['0xab'] })
  assert.deepEqual(heard, ['tx:0xab:1:false:-', 'block:0xcd:3:true:9'])
  assert.equal(s.duplicates.tx, 1)
})
