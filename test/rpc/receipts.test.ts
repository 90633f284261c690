/**
 * Receipts, tx lookups and traces on a node that imported a chain built in this process (no network).
 * Guards client patch 031 (receipts-without-reexecution): the receipt fields derived from the stored receipts must
 * be what executing the block gives (gasUsed as the VM reported it when building, cumulativeGasUsed, logs and their
 * block-wide logIndex, status, contractAddress), and effectiveGasPrice must be baseFee + tip (without the patch it
 * was the bare tip, and eth_getBlockReceipts numbered logs by tx index). Also guards patch 032
 * (trace-without-options): debug_traceTransaction with no options must answer, not throw.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { bytesToHex, createAddressFromString, createContractAddress } from '@ethereumjs/util'
import { rpcCall, RpcCallError } from '../../src/rpc/client.ts'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'
import { INCREMENTED_TOPIC } from '../../testnets/event-counter.ts'
import { TIP } from '../../testnets/inproc-blocks.ts'

interface Receipt {
  transactionHash: string
  transactionIndex: string
  blockHash: string
  blockNumber: string
  from: string
  to: string | null
  cumulativeGasUsed: string
  effectiveGasPrice: string
  gasUsed: string
  contractAddress: string | null
  logs: { logIndex: string; transactionIndex: string; address: string; topics: string[]; data: string; blockHash: string }[]
  status: string
  type: string
}

let fx: RpcFixture
before(async () => {
  fx = await startRpcFixture({ blocks: 4, txsPerBlock: 6, accounts: 6, seed: 'receipts-test' })
})
after(async () => fx?.close())

const receipt = (h: string) => rpcCall<Receipt | null>(fx.node.rpcUrl, 'eth_getTransactionReceipt', [h])

test('every receipt matches what executing its block gave, and the block-wide log numbering', async () => {
  for (const [b, block] of fx.built.blocks.entries()) {
    const baseFee = block.header.baseFeePerGas!
    assert.ok(baseFee > 0n, 'a non-zero base fee, so a wrong effectiveGasPrice shows')
    let cumulative = 0n
    let logIndex = 0
    const byBlock = await rpcCall<Receipt[]>(fx.node.rpcUrl, 'eth_getBlockReceipts', [bytesToHex(block.hash())])
    assert.equal(byBlock.length, block.transactions.length)
    for (const [i, hash] of fx.built.txHashes[b]!.entries()) {
      const r = await receipt(hash)
      assert.ok(r !== null, `receipt of ${hash}`)
      const gas = fx.built.gasUsed[b]![i]!
      cumulative += gas
      assert.equal(BigInt(r.gasUsed), gas, `block ${b + 1} tx ${i} gasUsed`)
      assert.equal(BigInt(r.cumulativeGasUsed), cumulative, `block ${b + 1} tx ${i} cumulativeGasUsed`)
      assert.equal(r.status, '0x1')
      assert.equal(BigInt(r.effectiveGasPrice), baseFee + TIP, 'EIP-1559: baseFee + min(tip, feeCap - baseFee)')
      assert.equal(r.blockHash, bytesToHex(block.hash()))
      assert.equal(Number(r.transactionIndex), i)
      assert.equal(r.type, '0x2')
      const tx = block.transactions[i]!
      assert.equal(r.from, tx.getSenderAddress().toString())
      if (tx.to === undefined) {
        assert.equal(r.contractAddress, createContractAddress(createAddressFromString(r.from), tx.nonce).toString())
        assert.equal(r.contractAddress, fx.built.counter)
      } else assert.equal(r.contractAddress, null)
      const calls = tx.to?.toString() === fx.built.counter
      assert.equal(r.logs.length, calls ? 1 : 0)
      for (const l of r.logs) {
        assert.equal(Number(l.logIndex), logIndex++, 'logIndex counts logs across the block')
        assert.equal(l.address, fx.built.counter)
        assert.deepEqual(l.topics, [INCREMENTED_TOPIC])
        assert.equal(Number(l.transactionIndex), i)
      }
      assert.deepEqual(byBlock[i], r, 'eth_getBlockReceipts gives the same receipt')
    }
    assert.equal(cumulative, block.header.gasUsed, 'the last cumulativeGasUsed is the block gasUsed')
  }
})

test('the counter logs count up from 1 over the chain', async () => {
  const logs = await rpcCall<{ data: string }[]>(fx.node.rpcUrl, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: fx.built.counter }])
  assert.ok(logs.length >= 3)
  assert.deepEqual(logs.map((l) => Number(BigInt(l.data))), logs.map((_, i) => i + 1))
})

test('tx lookups: by hash, unknown hashes are null', async () => {
  const hash = fx.built.txHashes[2]![1]!
  const tx = await rpcCall<{ hash: string; blockNumber: string; transactionIndex: string } | null>(fx.node.rpcUrl, 'eth_getTransactionByHash', [hash])
  assert.deepEqual({ h: tx?.hash, n: tx?.blockNumber, i: tx?.transactionIndex }, { h: hash, n: '0x3', i: '0x1' })
  assert.equal(await receipt(`0x${'ab'.repeat(32)}`), null)
  assert.equal(await rpcCall(fx.node.rpcUrl, 'eth_getTransactionByHash', [`0x${'ab'.repeat(32)}`]), null)
})

test('debug_traceTransaction with no options returns the struct log of the tx (patch 032)', async () => {
  const inc = fx.built.txHashes[1]![1]!
  const trace = await rpcCall<{ failed: boolean; structLogs: { op: string }[] }>(fx.node.rpcUrl, 'debug_traceTransaction', [inc])
  assert.equal(trace.failed, false)
  assert.ok(trace.structLogs.some((s) => s.op === 'LOG1'), 'the increment emits its event')
  await assert.rejects(rpcCall(fx.node.rpcUrl, 'debug_traceTransaction', [inc, 'not-an-object']), (e: RpcCallError) => e.code === -32602)
})
