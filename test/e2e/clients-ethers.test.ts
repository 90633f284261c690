/**
 * ethers 6 against a real 2-node testnet: transfer, deploy with ContractFactory, write and read, estimateGas with
 * and without fee fields, receipts, `contract.on` over HTTP (ethers installs eth_newFilter and polls it), and over
 * WebSocketProvider: contract events and new blocks by eth_subscribe. Bad input gets a JSON-RPC error.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Contract, ContractFactory, JsonRpcProvider, WebSocketProvider, Wallet, parseUnits } from 'ethers'
import { EVENT_COUNTER_ABI, EVENT_COUNTER_INITCODE } from '../../testnets/event-counter.ts'
import { startClientTestnet, withTimeout, type ClientTestnet } from '../helpers/client-testnet.ts'

let net: ClientTestnet
let provider: JsonRpcProvider
let wallet: Wallet
let counter: Contract
before(async () => {
  net = await startClientTestnet('clients-ethers')
  provider = new JsonRpcProvider(net.node.rpcUrl, net.d.chainId, { staticNetwork: true, pollingInterval: 250 })
  wallet = new Wallet(net.d.accounts[0]!.privateKey, provider)
})
after(async () => {
  provider?.destroy()
  await net?.cleanup()
})

test('transfer, deploy, write and read with no explicit gas; receipts', async () => {
  const to = net.d.accounts[1]!.address
  const before = await provider.getBalance(to)
  const r1 = await (await wallet.sendTransaction({ to, value: 777n })).wait(1, 30_000)
  assert.equal(r1?.status, 1)
  assert.equal(r1?.gasUsed, 21_000n)
  assert.equal(await provider.getBalance(to), before + 777n)

  const factory = new ContractFactory(EVENT_COUNTER_ABI, EVENT_COUNTER_INITCODE, wallet)
  const deployed = await factory.deploy()
  await withTimeout('deployment', 30_000, deployed.waitForDeployment())
  counter = new Contract(await deployed.getAddress(), EVENT_COUNTER_ABI, wallet)
  const r2 = await (await counter.getFunction('increment')()).wait(1, 30_000)
  assert.equal(r2?.status, 1)
  assert.equal(r2?.logs.length, 1)
  assert.equal(await counter.getFunction('count')(), 1n)
})

test('estimateGas with and without fee fields; fee data', async () => {
  const to = net.d.accounts[1]!.address
  const from = wallet.address
  assert.equal(await provider.estimateGas({ from, to, value: 1n }), 21_000n)
  assert.equal(await provider.estimateGas({ from, to, value: 1n, maxFeePerGas: parseUnits('100', 'gwei'), maxPriorityFeePerGas: parseUnits('1', 'gwei') }), 21_000n)
  assert.equal(await provider.estimateGas({ from, to, value: 1n, gasPrice: parseUnits('100', 'gwei') }), 21_000n)
  const g = await counter.getFunction('increment').estimateGas()
  assert.ok(g > 21_000n && g < 100_000n, `increment estimate ${g}`)
  const fees = await provider.getFeeData()
  assert.ok(fees.maxFeePerGas !== null && fees.maxPriorityFeePerGas !== null)
})

test('contract.on over HTTP fires (eth_newFilter + eth_getFilterChanges)', async () => {
  const fired = new Promise<bigint>((resolve) => {
    void counter.on('Incremented', (value: bigint) => resolve(value))
  })
  // ethers installs the filter asynchronously; let it before the write.
  await new Promise((r) => setTimeout(r, 1_000))
  await (await counter.getFunction('increment')()).wait(1, 30_000)
  assert.equal(await withTimeout('contract.on (HTTP filter)', 20_000, fired), 2n)
  await counter.removeAllListeners()
})

test('over WebSocket: contract events and new blocks by subscription', async () => {
  const ws = new WebSocketProvider(net.node.wsUrl, net.d.chainId, { staticNetwork: true })
  try {
    const wsCounter = new Contract(await counter.getAddress(), EVENT_COUNTER_ABI, ws)
    const blocks: number[] = []
    const gotBlocks = new Promise<void>((resolve) => {
      void ws.on('block', (n: number) => {
        blocks.push(n)
        if (blocks.length >= 2) resolve()
      })
    })
    const fired = new Promise<bigint>((resolve) => {
      void wsCounter.on('Incremented', (value: bigint) => resolve(value))
    })
    await new Promise((r) => setTimeout(r, 500))
    await (await counter.getFunction('increment')()).wait(1, 30_000)
    assert.equal(await withTimeout('contract event over WebSocket', 20_000, fired), 3n)
    await withTimeout('blocks over WebSocket', 20_000, gotBlocks)
    assert.equal(blocks[1]! - blocks[0]!, 1)
  } finally {
    await ws.destroy()
  }
})

test('bad input gets a JSON-RPC error and the node lives', async () => {
  await assert.rejects(provider.send('eth_getBalance', ['0xzz', 'latest']), /invalid|hex|param/i)
  await assert.rejects(provider.send('eth_uninstallFilter', [42]), /filter id/)
  await assert.rejects(provider.send('eth_subscribe', ['newHeads']), /notifications not supported/)
  assert.ok((await provider.getBlockNumber()) > 0)
})
