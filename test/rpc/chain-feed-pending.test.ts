/**
 * The chain feed reports a tx as pending even when the pool took it and a block sealed it between two looks, so that
 * no look ever saw it in the pool (1 s blocks and a loaded machine do this). Without the report from the block, a
 * pending-tx filter missed such a tx. On a real node with a real pool: the feed is looked at by hand (its timer set
 * to an hour), so the order of pool, block and look is the test's.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { bytesToHex } from '@ethereumjs/util'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'
import { sealOn } from '../../testnets/inproc-blocks.ts'
import { ChainFeed, type FeedEvent } from '../../src/rpc/chain-feed.ts'

let fx: RpcFixture
before(async () => {
  fx = await startRpcFixture({ blocks: 2, txsPerBlock: 1, accounts: 2, seed: 'chain-feed-pending' })
})
after(async () => fx?.close())

test('a tx pooled and sealed between two looks is reported pending once; one sealed without the pool is not', async () => {
  const service = fx.node.service
  const errors: Error[] = []
  const feed = new ChainFeed(service, (e) => errors.push(e), 3_600_000)
  const events: FeedEvent[] = []
  const unlisten = feed.listen((e) => events.push(e))
  try {
    await feed.look()
    assert.equal(events.length, 0, 'the first look only notes what is there')
    const to = fx.signer.address(1)
    const pooled = fx.signer.tx(0, { to, value: 1n, gasLimit: 21_000n })
    const neverPooled = fx.signer.tx(1, { to, value: 1n, gasLimit: 21_000n })
    await service.txPool.add(pooled, true)
    const parent = fx.built.blocks.at(-1)!
    const block = await sealOn(fx.chain, fx.signerKey, parent, [pooled, neverPooled], BigInt(fx.d.period))
    await fx.importBlocks([block])
    // The pool drops what a new block holds (the running pool does this on a new block; here the test does it).
    service.txPool.removeByHash(bytesToHex(pooled.hash()).slice(2), pooled)
    assert.equal(service.txPool.txsInPool, 0, 'the sealed tx left the pool before the look')
    await feed.look()
    const pending = events.filter((e) => e.kind === 'pendingTx').map((e) => (e as { hash: string }).hash)
    assert.deepEqual(pending, [bytesToHex(pooled.hash())], 'the pooled tx is reported, the one the pool never had is not')
    const kinds = events.map((e) => e.kind)
    assert.deepEqual(kinds, ['pendingTx', 'block'], 'pending before its block, as it was pending first')
    await feed.look()
    assert.equal(events.filter((e) => e.kind === 'pendingTx').length, 1, 'reported once')
    assert.deepEqual(errors, [])
  } finally {
    unlisten()
  }
})
