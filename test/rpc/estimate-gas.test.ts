/**
 * eth_estimateGas and eth_call with and without fee fields, on a node that imported a chain built in this process.
 * Guards client patch 030 (estimate-gas-fee-fields): with maxFeePerGas / maxPriorityFeePerGas but no `type` (what
 * viem sends) the call was built as a legacy tx with gasPrice 0 and failed with "-32603 Transaction's gasPrice (0)
 * is less than the block's baseFeePerGas".
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { rpcCall } from '../../src/rpc/client.ts'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'
import { COUNT_SELECTOR, INCREMENT_SELECTOR } from '../../testnets/event-counter.ts'

let fx: RpcFixture
before(async () => {
  fx = await startRpcFixture({ blocks: 2, txsPerBlock: 2, accounts: 2, seed: 'estimate-test' })
})
after(async () => fx?.close())

const estimate = (tx: Record<string, string>) => rpcCall<string>(fx.node.rpcUrl, 'eth_estimateGas', [tx])

test('estimateGas of a transfer is 21000 with every fee form', async () => {
  const from = fx.signer.address(0)
  const to = fx.signer.address(1)
  const forms: Record<string, string>[] = [
    {},
    { maxFeePerGas: '0x174876e800', maxPriorityFeePerGas: '0x3b9aca00' },
    { maxFeePerGas: '0x174876e800' },
    { maxPriorityFeePerGas: '0x3b9aca00' },
    { gasPrice: '0x174876e800' },
    { type: '0x2', maxFeePerGas: '0x174876e800', maxPriorityFeePerGas: '0x1' },
  ]
  for (const fees of forms) assert.equal(BigInt(await estimate({ from, to, value: '0x1', ...fees })), 21_000n, JSON.stringify(fees))
})

test('estimateGas of a contract call with fee fields and no type (viem) is what the call uses; `input` works too', async () => {
  const from = fx.signer.address(0)
  const fees = { maxFeePerGas: '0x174876e800', maxPriorityFeePerGas: '0x3b9aca00' }
  const g = BigInt(await estimate({ from, to: fx.built.counter, data: INCREMENT_SELECTOR, ...fees }))
  // SSTORE of a non-zero slot + LOG1: far above a transfer, far below the block gas limit.
  assert.ok(g > 26_000n && g < 100_000n, `estimate ${g}`)
  assert.equal(BigInt(await estimate({ from, to: fx.built.counter, input: INCREMENT_SELECTOR, ...fees })), g, 'web3.js sends `input`')
  assert.equal(BigInt(await estimate({ from, to: fx.built.counter, data: INCREMENT_SELECTOR })), g)
})

test('a fee cap below the base fee is still refused, with the reason', async () => {
  await assert.rejects(estimate({ from: fx.signer.address(0), to: fx.signer.address(1), maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x1' }), /baseFeePerGas|fee/i)
})

test('eth_call with and without fee fields reads the counter', async () => {
  const call = (fees: Record<string, string>) => rpcCall<string>(fx.node.rpcUrl, 'eth_call', [{ from: fx.signer.address(0), to: fx.built.counter, data: COUNT_SELECTOR, ...fees }, 'latest'])
  const plain = BigInt(await call({}))
  assert.ok(plain >= 1n)
  assert.equal(BigInt(await call({ maxFeePerGas: '0x174876e800', maxPriorityFeePerGas: '0x3b9aca00' })), plain)
})
