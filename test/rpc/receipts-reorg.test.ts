/**
 * Receipts and tx lookups across a reorg, on a node that imported a chain built in this process (no network): a
 * tx whose block a heavier fork replaced is not found any more (no stale receipt), and a tx that the fork included
 * again is found in its new block. Guards the lookups of client patch 031 (receipts-without-reexecution: one index
 * read, the block checked against the canonical chain): without that check eth_getTransactionByHash returned the
 * reorged-out tx with its old block.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { bytesToHex } from '@ethereumjs/util'
import { rpcCall } from '../../src/rpc/client.ts'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'
import { sealOn } from '../../testnets/inproc-blocks.ts'

interface Receipt {
  blockHash: string
  blockNumber: string
  transactionIndex: string
  status: string
}
interface Tx {
  blockHash: string
  hash: string
}

let fx: RpcFixture
before(async () => {
  fx = await startRpcFixture({ blocks: 4, txsPerBlock: 6, accounts: 6, seed: 'receipts-reorg' })
})
after(async () => fx?.close())

const receipt = (h: string) => rpcCall<Receipt | null>(fx.node.rpcUrl, 'eth_getTransactionReceipt', [h])
const txByHash = (h: string) => rpcCall<Tx | null>(fx.node.rpcUrl, 'eth_getTransactionByHash', [h])

test('a reorged-out tx has no receipt; a tx the fork included again has its receipt in the new block', async () => {
  const [b3, b4] = [fx.built.blocks[2]!, fx.built.blocks[3]!]
  const [kept, dropped, moved] = [b4.transactions[0]!, b4.transactions[1]!, b4.transactions[2]!]
  const hex = (t: typeof kept) => bytesToHex(t.hash())
  // Before: all three in block 4, looked up once (so any cache of the node holds them).
  for (const t of [kept, dropped, moved]) {
    assert.equal((await receipt(hex(t)))?.blockHash, bytesToHex(b4.hash()), 'in block 4 before the reorg')
    assert.equal((await txByHash(hex(t)))?.blockHash, bytesToHex(b4.hash()))
  }
  // A heavier fork from block 3: 4' holds `kept` only, 5' holds `moved` (each from its own account, so the nonces fit).
  const period = BigInt(fx.d.period)
  await fx.chain.vm.stateManager.setStateRoot(b3.header.stateRoot) // the builder builds on its current state
  const f4 = await sealOn(fx.chain, fx.signerKey, b3, [kept], period)
  const f5 = await sealOn(fx.chain, fx.signerKey, f4, [moved], period)
  await fx.importBlocks([f4, f5])
  const head = await rpcCall<{ hash: string }>(fx.node.rpcUrl, 'eth_getBlockByNumber', ['latest', false])
  assert.equal(head.hash, bytesToHex(f5.hash()), 'the node is on the fork')

  assert.equal(await receipt(hex(dropped)), null, 'no stale receipt for a tx the fork did not include')
  assert.equal(await txByHash(hex(dropped)), null, 'nor the tx itself')
  const k = await receipt(hex(kept))
  assert.deepEqual({ hash: k?.blockHash, n: k?.blockNumber, i: k?.transactionIndex, s: k?.status }, { hash: bytesToHex(f4.hash()), n: '0x4', i: '0x0', s: '0x1' })
  const m = await receipt(hex(moved))
  assert.deepEqual({ hash: m?.blockHash, n: m?.blockNumber, i: m?.transactionIndex }, { hash: bytesToHex(f5.hash()), n: '0x5', i: '0x0' })
  assert.equal((await txByHash(hex(moved)))?.blockHash, bytesToHex(f5.hash()))
})
