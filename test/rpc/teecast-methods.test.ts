import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FIRST_SEEN_MAX_HASHES, INVALID_PARAMS, teecastMethods } from '../../src/rpc/teecast.ts'
import { WireStats } from '../../src/p2p/wire-stats.ts'
import type { InstalledPropagation } from '../../src/p2p/install.ts'

function fakeNode(): InstalledPropagation {
  const stats = new WireStats()
  stats.count('eth/Transactions', 'in', 120)
  stats.sawItem('tx', `0x${'11'.repeat(32)}`, 1234, false)
  stats.sawItem('tx', `0x${'11'.repeat(32)}`, 1300, true)
  return { selfId: 'ab'.repeat(64), name: 'n3', mode: 'geth', stats, startedAt: 1000, tee: undefined, peerCount: () => 4, attach() {}, detach() {} }
}

test('teecast_p2pStats returns the documented shape', async () => {
  const m = teecastMethods(fakeNode(), () => 6000)
  assert.deepEqual(await m.teecast_p2pStats([]), {
    node: 'n3',
    nodeId: 'ab'.repeat(64),
    propagation: 'geth',
    peers: 4,
    messages: { 'eth/Transactions': { in: 1, out: 0, bytesIn: 120, bytesOut: 0 } },
    duplicates: { tx: 1, block: 0 },
    seen: { tx: 1, block: 0 },
    uptimeMs: 5000,
  })
})

test('teecast_firstSeen maps each hash to ms or null', async () => {
  const m = teecastMethods(fakeNode())
  const known = `0x${'11'.repeat(32)}`
  const unknown = `0x${'22'.repeat(32)}`
  assert.deepEqual(await m.teecast_firstSeen([[known, unknown]]), { [known]: 1234, [unknown]: null })
})

test('bad params are JSON-RPC -32602 errors that say what is wrong', async () => {
  const m = teecastMethods(fakeNode())
  const cases: [unknown[], RegExp][] = [
    [[], /one parameter/],
    [['0x11'], /one parameter/],
    [[['0x1234']], /hash 0 is not a 0x-prefixed 32-byte hex string/],
    [[[42]], /hash 0/],
    [[Array(FIRST_SEEN_MAX_HASHES + 1).fill(`0x${'11'.repeat(32)}`)], /at most 10000 hashes/],
  ]
  for (const [params, re] of cases) {
    await assert.rejects(m.teecast_firstSeen(params), (e: { code: number; message: string }) => e.code === INVALID_PARAMS && re.test(e.message))
  }
  await assert.rejects(m.teecast_p2pStats([1]), (e: { code: number }) => e.code === INVALID_PARAMS)
})
