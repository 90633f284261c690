/**
 * "latest" is the newest executed block, as on geth: a block the node has imported but not yet executed is not
 * latest, so a client that sees a block number can read that block's receipts and state. Guards client patch 058
 * (latest-is-executed-head): without it eth_blockNumber and "latest" moved at import, and a receipt of a tx in the
 * "latest" block was null until execution caught up (a 4-node testnet test met it on a loaded machine).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { bytesToHex } from '@ethereumjs/util'
import { rpcCall } from '../../src/rpc/client.ts'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'
import { sealOn } from '../../testnets/inproc-blocks.ts'

let fx: RpcFixture
before(async () => {
  fx = await startRpcFixture({ blocks: 3, txsPerBlock: 2, accounts: 4, seed: 'latest-executed' })
})
after(async () => fx?.close())

const call = <T>(method: string, params: unknown[] = []) => rpcCall<T>(fx.node.rpcUrl, method, params)

test('a block imported but not executed is not "latest"; once executed it is, with its receipts', async () => {
  const b3 = fx.built.blocks.at(-1)!
  const tx = fx.signer.tx(0, { to: '0x00000000000000000000000000000000000000aa', value: 7n, gasLimit: 21_000n })
  const b4 = await sealOn(fx.chain, fx.signerKey, b3, [tx], BigInt(fx.d.period))
  // Hold execution (it runs under its lock), then import: the chain's own head moves, execution cannot.
  const execution = fx.node.service.execution as unknown as { runWithLock<T>(f: () => Promise<T>): Promise<T> }
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const holding = execution.runWithLock(() => held)
  try {
    await fx.node.client.chain.putBlocks([b4])
    assert.equal(fx.node.client.chain.blocks.latest?.header.number, 4n, 'the chain imported block 4')
    assert.equal(await call<string>('eth_blockNumber'), '0x3', 'eth_blockNumber: the executed head')
    const latest = await call<{ number: string; hash: string }>('eth_getBlockByNumber', ['latest', false])
    assert.deepEqual(latest, { ...latest, number: '0x3', hash: bytesToHex(b3.hash()) }, '"latest" is the executed block 3')
    const balance = await call<string>('eth_getBalance', ['0x00000000000000000000000000000000000000aa', 'latest'])
    assert.equal(balance, '0x0', 'state at "latest" is block 3\'s, where the transfer has not happened')
    for (const t of b3.transactions) assert.notEqual(await call('eth_getTransactionReceipt', [bytesToHex(t.hash())]), null, 'receipts of "latest" are there')
  } finally {
    release()
    await holding
  }
  await fx.importBlocks([b4])
  assert.equal(await call<string>('eth_blockNumber'), '0x4', 'executed: block 4 is latest')
  const receipt = await call<{ blockHash: string; status: string } | null>('eth_getTransactionReceipt', [bytesToHex(tx.hash())])
  assert.deepEqual({ b: receipt?.blockHash, s: receipt?.status }, { b: bytesToHex(b4.hash()), s: '0x1' })
  assert.equal(await call<string>('eth_getBalance', ['0x00000000000000000000000000000000000000aa', 'latest']), '0x7')
})
