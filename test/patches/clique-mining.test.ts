/**
 * Patch @ethereumjs/vm 001 (clique-seal-provisional-block): a block built by the Clique miner with a tx in it must
 * import on another node. Without the patch, addTransaction runs the tx against an unsealed provisional block:
 * it throws on extraData, or the fees go to 0x0 and the importer rejects the state root.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runBlock } from '@ethereumjs/vm'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { createAddressFromPrivateKey } from '@ethereumjs/util'
import { cliqueSigner } from '@ethereumjs/block'
import { buildCliqueBlock, cliqueFixture, inprocChain } from '../../testnets/inproc-chain.ts'

test('a Clique block with a tx, built by the miner, imports on a second chain and pays the signer', async () => {
  const fx = cliqueFixture(1)
  const producer = await inprocChain(fx.genesis)
  const importer = await inprocChain(fx.genesis)
  const tx = createFeeMarket1559Tx(
    { chainId: 777001n, nonce: 0n, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 2_000_000_000n, gasLimit: 21_000n, to: `0x${'00'.repeat(19)}01`, value: 1n },
    { common: producer.common },
  ).sign(fx.accountKeys[0]!)
  const block = await buildCliqueBlock(producer, fx.signerKey, [tx])
  assert.equal(block.transactions.length, 1)
  const signer = createAddressFromPrivateKey(fx.signerKey)
  assert.ok(cliqueSigner(block.header).equals(signer), 'the block is sealed by the signer')

  await importer.blockchain.putBlock(block)
  const result = await runBlock(importer.vm, { block, root: importer.genesis.header.stateRoot })
  assert.deepEqual(result.stateRoot, block.header.stateRoot, 'importer computes the same state root')
  const fees = (await importer.vm.stateManager.getAccount(signer))?.balance ?? 0n
  assert.equal(fees, 21_000n * 1_000_000_000n, 'the priority fee went to the Clique signer')
})
