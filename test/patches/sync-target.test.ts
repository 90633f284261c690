/**
 * Patch @ethereumjs/client 052 (sync-target-verified), on a real in-process follower. Without it a peer's unverified
 * head (a header numbered 10^9, NewBlockHashes [[random, 2^64-1]]) becomes the sync target, and it stays after the
 * peer is gone: the node never counts as synchronized again and refuses every eth_sendRawTransaction.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createBlockHeader } from '@ethereumjs/block'
import type { FullSynchronizer } from '@ethereumjs/client/dist/esm/src/sync/fullsync.js'
import { Event } from '@ethereumjs/client/dist/esm/src/types.js'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

let t: Target
before(async () => {
  t = await startTarget('sync-target')
})
after(async () => {
  await t?.stop()
})

const liar = (number: bigint, timestamp: bigint) => {
  const common = t.node.client.config.chainCommon
  const header = createBlockHeader({ number, timestamp, difficulty: 2n, gasLimit: 60_000_000n, extraData: new Uint8Array(97) }, { common, skipConsensusFormatValidation: true })
  return { id: 'aa'.repeat(32), latest: async () => header, eth: { status: { td: 1n << 64n, bestHash: new Uint8Array(32).fill(7) }, send: () => undefined } }
}

test('an implausible head, or an announcement, never becomes the sync target', async () => {
  const sync = t.node.service.synchronizer as FullSynchronizer & { syncWithPeer(p: unknown): Promise<boolean> }
  const config = t.node.client.config
  const before = config.syncTargetHeight
  const now = BigInt(Math.floor(Date.now() / 1000))
  assert.equal(await sync.syncWithPeer(liar(10n ** 9n, now)), false, 'a header numbered 10^9 is refused')
  assert.equal(config.syncTargetHeight, before)
  assert.equal(await sync.syncWithPeer(liar(5n, now + 3600n)), false, 'a header from the future is refused')
  assert.equal(config.syncTargetHeight, before)
  sync.handleNewBlockHashes([[new Uint8Array(randomBytes(32)), (1n << 64n) - 1n]])
  assert.equal(config.syncTargetHeight, before, 'NewBlockHashes [[random, 2^64-1]] sets no target')
})

test('a plausible target falls back to our height when the peer that set it goes away', async () => {
  const sync = t.node.service.synchronizer as FullSynchronizer & { syncWithPeer(p: unknown): Promise<boolean> }
  const config = t.node.client.config
  const p = liar(3n, BigInt(Math.floor(Date.now() / 1000)))
  await sync.syncWithPeer(p)
  sync.clearFetcher()
  assert.equal(config.syncTargetHeight, 3n, 'a believable head 3 blocks ahead is a target')
  config.events.emit(Event.POOL_PEER_REMOVED, p as never)
  assert.equal(config.syncTargetHeight, t.node.service.chain.headers.height, 'lowered to our height when that peer left')
})
