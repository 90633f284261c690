/**
 * Receipt and tx lookups served from memory, on a node that imported a chain built in this process (no network).
 * Guards client patch 033 (receipt-cache): a tx of a block the node executed is looked up without any LevelDB read
 * (the tx index, header, tx and receipts were kept when the block was executed); after the caches are emptied, the
 * first lookup in a block reads it and the next ones in the same block do not read it again; and what comes from
 * memory is exactly what comes from disk (and what eth_getBlockReceipts, which reads the disk, says). Without the
 * patch every lookup reads the tx index and the receipts (and teecastClearCaches does not exist). Reorgs:
 * test/rpc/receipts-reorg.test.ts.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { bytesToHex } from '@ethereumjs/util'
import { rpcCall } from '../../src/rpc/client.ts'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'

interface Store {
  get(key: Uint8Array, ...rest: unknown[]): Promise<unknown>
}
interface CachingReceiptsManager {
  metaDB: Store
  teecastClearCaches(): void
}

let fx: RpcFixture
let receiptsManager: CachingReceiptsManager
/** Keys (hex, no 0x) read from the receipts/index DB and the chain DB since the last `readsSince()`. */
let readKeys: string[] = []

/** Wraps a store's `get` so that every key it is asked for is recorded. */
function recordReads(store: Store): void {
  const get = store.get.bind(store)
  store.get = (key, ...rest) => {
    readKeys.push(key instanceof Uint8Array ? bytesToHex(key).slice(2) : String(key))
    return get(key, ...rest)
  }
}

before(async () => {
  fx = await startRpcFixture({ blocks: 4, txsPerBlock: 6, accounts: 6, seed: 'receipt-cache' })
  receiptsManager = fx.node.service.execution.receiptsManager as unknown as CachingReceiptsManager
  recordReads(receiptsManager.metaDB)
  recordReads((fx.node.client.chain.blockchain as unknown as { dbManager: { _db: Store } }).dbManager._db)
})
after(async () => fx?.close())

const receipt = (h: string) => rpcCall<Record<string, unknown> | null>(fx.node.rpcUrl, 'eth_getTransactionReceipt', [h])
const txByHash = (h: string) => rpcCall<Record<string, unknown> | null>(fx.node.rpcUrl, 'eth_getTransactionByHash', [h])

/** Runs `f` and returns the keys it read that name the tx or its block (so no unrelated read can count). */
async function readsOf(f: () => Promise<unknown>, txHash: string, blockHash: Uint8Array): Promise<string[]> {
  readKeys = []
  await f()
  const names = [txHash.slice(2), bytesToHex(blockHash).slice(2)]
  return readKeys.filter((k) => names.some((n) => k.includes(n)))
}

test('a tx of an executed block: its receipt and the tx come from memory, no LevelDB read', async () => {
  for (const [b, block] of fx.built.blocks.entries()) {
    for (const hash of fx.built.txHashes[b]!) {
      const r = await receipt(hash)
      assert.equal(r?.blockHash, bytesToHex(block.hash()), `receipt of ${hash}`)
      assert.deepEqual(await readsOf(() => receipt(hash), hash, block.hash()), [], `receipt of block ${b + 1}'s ${hash} without a read`)
      assert.deepEqual(await readsOf(() => txByHash(hash), hash, block.hash()), [], `tx ${hash} without a read`)
    }
  }
})

test('after the caches are emptied, a block is read once for all its txs', async () => {
  const b = 2
  const block = fx.built.blocks[b]!
  const [first, ...others] = fx.built.txHashes[b]!
  receiptsManager.teecastClearCaches()
  const cold = await readsOf(() => receipt(first!), first!, block.hash())
  assert.ok(cold.some((k) => k.includes(first!.slice(2))), 'the tx index is read')
  assert.ok(cold.some((k) => k.endsWith(bytesToHex(block.hash()).slice(2))), 'the receipts (keyed by the block hash) are read')
  for (const hash of others) {
    const reads = await readsOf(() => receipt(hash), hash, block.hash())
    // Only this tx's index entry: the block's header, body and receipts are not read again.
    assert.ok(reads.length > 0 && reads.every((k) => k.includes(hash.slice(2))), `${hash}: the index only, read ${reads.join(', ')}`)
  }
})

test('what comes from memory is what comes from disk, for every receipt and tx', async () => {
  for (const [b, block] of fx.built.blocks.entries()) {
    const byBlock = await rpcCall<unknown[]>(fx.node.rpcUrl, 'eth_getBlockReceipts', [bytesToHex(block.hash())])
    for (const [i, hash] of fx.built.txHashes[b]!.entries()) {
      const hot = { r: await receipt(hash), t: await txByHash(hash) }
      receiptsManager.teecastClearCaches()
      const coldReceipt = await receipt(hash)
      receiptsManager.teecastClearCaches()
      const coldTx = await txByHash(hash)
      assert.deepEqual(coldReceipt, hot.r, `receipt of ${hash}: from disk as from memory`)
      assert.deepEqual(coldTx, hot.t, `tx ${hash}: from disk as from memory`)
      assert.deepEqual(hot.r, byBlock[i], `receipt of ${hash}: as eth_getBlockReceipts`)
    }
  }
})
