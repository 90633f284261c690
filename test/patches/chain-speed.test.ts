/**
 * The chain speed patches and settings must not change results:
 * - vm 002 linear-block-building and block 001 clique-signer-memo: a block built and imported with them has the
 *   same state root, receipts root and gas as with them switched off (globalThis.teecastSpeedPatches);
 * - native sender recovery returns the same public key as the client's JS recovery, for legacy and typed txs;
 * - common 001 params-cache-memo: decoding blocks (a header's params, then the txs', and back) rebuilds no cache.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { runBlock } from '@ethereumjs/vm'
import { createFeeMarket1559Tx, createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Common, createCommonFromGethGenesis } from '@ethereumjs/common'
import { createBlockFromRLP } from '@ethereumjs/block'
import { buildCliqueBlock, cliqueFixture, inprocChain } from '../../testnets/inproc-chain.ts'
import { nativeEcrecover } from '../../src/node/crypto.ts'
import { setSpeedPatches } from '../../src/node/speed-patches.ts'

after(() => setSpeedPatches(true))

async function buildAndImport(txCount: number) {
  const fx = cliqueFixture(txCount, 'chain-speed')
  const producer = await inprocChain(fx.genesis)
  const importer = await inprocChain(fx.genesis)
  const txs = fx.accountKeys.map((k, i) =>
    createFeeMarket1559Tx(
      { chainId: 777001n, nonce: 0n, maxPriorityFeePerGas: BigInt(1e9 + i), maxFeePerGas: 3_000_000_000n, gasLimit: 21_000n, to: `0x${'00'.repeat(19)}02`, value: BigInt(i) },
      { common: producer.common },
    ).sign(k),
  )
  const block = await buildCliqueBlock(producer, fx.signerKey, txs)
  await importer.blockchain.putBlock(block)
  const r = await runBlock(importer.vm, { block, root: importer.genesis.header.stateRoot })
  assert.deepEqual(r.stateRoot, block.header.stateRoot)
  return { stateRoot: bytesToHex(block.header.stateRoot), receiptTrie: bytesToHex(block.header.receiptTrie), gasUsed: block.header.gasUsed, txs: block.transactions.length }
}

test('linear building and the memoised Clique signer give the same block as the unpatched path', async () => {
  setSpeedPatches(false)
  const slow = await buildAndImport(12)
  setSpeedPatches(true)
  const fast = await buildAndImport(12)
  assert.equal(fast.txs, 12)
  assert.deepEqual(fast, slow)
})

test('native sender recovery matches the JS recovery for legacy and EIP-1559 txs', () => {
  const fx = cliqueFixture(1, 'ecrecover')
  const common = createCommonFromGethGenesis(fx.genesis as never, { chain: 'teecast' })
  const txs = [
    createFeeMarket1559Tx({ chainId: 777001n, nonce: 3n, maxFeePerGas: 9n, gasLimit: 21_000n }, { common }).sign(fx.accountKeys[0]!),
    createLegacyTx({ nonce: 1n, gasPrice: 9n, gasLimit: 21_000n }, { common }).sign(fx.accountKeys[0]!),
  ]
  for (const tx of txs) {
    const r = hexToBytes(`0x${tx.r!.toString(16).padStart(64, '0')}`)
    const s = hexToBytes(`0x${tx.s!.toString(16).padStart(64, '0')}`)
    // As the tx library calls it: typed txs pass v in {0,1} without a chain id, legacy (EIP-155) with one.
    const native = tx.type === 0 ? nativeEcrecover(tx.getHashedMessageToSign(), tx.v!, r, s, common.chainId()) : nativeEcrecover(tx.getHashedMessageToSign(), tx.v! + 27n, r, s)
    assert.equal(bytesToHex(native), bytesToHex(tx.getSenderPublicKey()), `type ${tx.type}`)
  }
})

test('decoding blocks again reuses the params cache: a header after txs and back is no new merge (common 001)', async () => {
  const fx = cliqueFixture(4, 'params-memo')
  const producer = await inprocChain(fx.genesis)
  const txs = fx.accountKeys.map((k, i) =>
    createFeeMarket1559Tx({ chainId: 777001n, nonce: 0n, maxFeePerGas: 3_000_000_000n, gasLimit: 21_000n, to: `0x${'00'.repeat(19)}02`, value: BigInt(i) }, { common: producer.common }).sign(k),
  )
  const bytes = (await buildCliqueBlock(producer, fx.signerKey, txs)).serialize()
  const proto = Common.prototype as unknown as { _teecastBuildParamsCache: (this: Common) => void }
  const build = proto._teecastBuildParamsCache
  let builds = 0
  proto._teecastBuildParamsCache = function (this: Common) {
    builds++
    build.call(this)
  }
  try {
    createBlockFromRLP(bytes, { common: producer.common, setHardfork: true }) // the first decode may merge
    builds = 0
    for (let i = 0; i < 3; i++) assert.equal(createBlockFromRLP(bytes, { common: producer.common, setHardfork: true }).transactions.length, 4)
    assert.equal(builds, 0, 'params cache rebuilds while decoding the same kind of block again')
  } finally {
    proto._teecastBuildParamsCache = build
  }
})
