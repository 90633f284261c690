/**
 * viem 2.x against a real 2-node testnet, the way a dapp uses it: transfer, deploy, write and read a contract with
 * no explicit gas (viem estimates with fee fields and no `type`: client patch 030), estimates with and without fee
 * fields, receipts, events watched by filter over HTTP (eth_newFilter) and by subscription over WebSocket
 * (eth_subscribe logs), new heads over WebSocket, and bad input answered with JSON-RPC errors.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicClient, createWalletClient, defineChain, http, webSocket, parseGwei, type Chain, type Hex, type Log } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { EVENT_COUNTER_ABI, EVENT_COUNTER_INITCODE } from '../../testnets/event-counter.ts'
import { startClientTestnet, withTimeout, type ClientTestnet } from '../helpers/client-testnet.ts'

let net: ClientTestnet
let chain: Chain
before(async () => {
  net = await startClientTestnet('clients-viem')
  chain = defineChain({ id: net.d.chainId, name: 'teecast', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [net.node.rpcUrl], webSocket: [net.node.wsUrl] } } })
})
after(async () => net?.cleanup())

const clients = () => {
  const account = privateKeyToAccount(net.d.accounts[0]!.privateKey as Hex)
  const pub = createPublicClient({ chain, transport: http(net.node.rpcUrl), pollingInterval: 250 })
  const wallet = createWalletClient({ chain, account, transport: http(net.node.rpcUrl) })
  return { account, pub, wallet }
}

let counter: Hex

test('transfer, deploy, write and read with no explicit gas; receipts', async () => {
  const { pub, wallet } = clients()
  const to = net.d.accounts[1]!.address as Hex
  const before = await pub.getBalance({ address: to })
  const transfer = await wallet.sendTransaction({ to, value: 12345n })
  const r1 = await pub.waitForTransactionReceipt({ hash: transfer, timeout: 30_000 })
  assert.equal(r1.status, 'success')
  assert.equal(r1.gasUsed, 21_000n)
  assert.equal(await pub.getBalance({ address: to }), before + 12345n)

  const deploy = await wallet.deployContract({ abi: EVENT_COUNTER_ABI, bytecode: EVENT_COUNTER_INITCODE as Hex })
  const r2 = await pub.waitForTransactionReceipt({ hash: deploy, timeout: 30_000 })
  assert.equal(r2.status, 'success')
  assert.ok(r2.contractAddress !== null && r2.contractAddress !== undefined)
  counter = r2.contractAddress

  const write = await wallet.writeContract({ address: counter, abi: EVENT_COUNTER_ABI, functionName: 'increment' })
  const r3 = await pub.waitForTransactionReceipt({ hash: write, timeout: 30_000 })
  assert.equal(r3.status, 'success')
  assert.equal(r3.logs.length, 1)
  assert.equal(await pub.readContract({ address: counter, abi: EVENT_COUNTER_ABI, functionName: 'count' }), 1n)
})

test('estimateGas with and without fee fields; the fee helpers answer', async () => {
  const { account, pub } = clients()
  const to = net.d.accounts[1]!.address as Hex
  assert.equal(await pub.estimateGas({ account, to, value: 1n }), 21_000n)
  assert.equal(await pub.estimateGas({ account, to, value: 1n, maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei('1') }), 21_000n)
  const g = await pub.estimateContractGas({ account, address: counter, abi: EVENT_COUNTER_ABI, functionName: 'increment' })
  assert.ok(g > 21_000n && g < 100_000n, `increment estimate ${g}`)
  assert.ok((await pub.estimateMaxPriorityFeePerGas()) > 0n, 'eth_maxPriorityFeePerGas')
  const fees = await pub.estimateFeesPerGas()
  assert.ok(fees.maxFeePerGas >= fees.maxPriorityFeePerGas)
})

test('events by filter over HTTP (eth_newFilter / eth_getFilterChanges), pending txs by filter', async () => {
  const { pub, wallet } = clients()
  const filter = await pub.createContractEventFilter({ address: counter, abi: EVENT_COUNTER_ABI, eventName: 'Incremented' })
  const pending = await pub.createPendingTransactionFilter()
  const seen: bigint[] = []
  const watched = new Promise<void>((resolve) => {
    const stop = pub.watchContractEvent({
      address: counter, abi: EVENT_COUNTER_ABI, eventName: 'Incremented', poll: true, pollingInterval: 250,
      onLogs: (logs) => {
        for (const l of logs) seen.push((l as Log & { args: { value: bigint } }).args.value)
        if (seen.length > 0) {
          stop()
          resolve()
        }
      },
    })
  })
  // viem's watcher installs its filter on its first poll: give it that poll before writing.
  await new Promise((r) => setTimeout(r, 1_000))
  const hash = await wallet.writeContract({ address: counter, abi: EVENT_COUNTER_ABI, functionName: 'increment' })
  await pub.waitForTransactionReceipt({ hash, timeout: 30_000 })
  await withTimeout('watchContractEvent (filter)', 20_000, watched)
  assert.deepEqual(seen, [2n])
  const changes = await pub.getFilterChanges({ filter })
  assert.deepEqual(changes.map((l) => (l as unknown as { args: { value: bigint } }).args.value), [2n])
  const pendingHashes = await pub.getFilterChanges({ filter: pending })
  assert.ok((pendingHashes as Hex[]).includes(hash), 'the pending-tx filter saw the tx')
  assert.equal(await pub.uninstallFilter({ filter }), true)
})

test('over WebSocket: newHeads and logs by subscription', async () => {
  const { wallet, pub } = clients()
  const ws = createPublicClient({ chain, transport: webSocket(net.node.wsUrl) })
  try {
    const heads: bigint[] = []
    const gotHeads = new Promise<void>((resolve) => {
      const stop = ws.watchBlockNumber({ emitOnBegin: false, onBlockNumber: (n) => { heads.push(n); if (heads.length >= 2) { stop(); resolve() } } })
    })
    const logs: bigint[] = []
    let unwatch: () => void = () => undefined
    const gotLog = new Promise<void>((resolve) => {
      unwatch = ws.watchContractEvent({ address: counter, abi: EVENT_COUNTER_ABI, eventName: 'Incremented', onLogs: (ls) => { for (const l of ls) logs.push((l as Log & { args: { value: bigint } }).args.value); resolve() } })
    })
    await new Promise((r) => setTimeout(r, 500))
    const hash = await wallet.writeContract({ address: counter, abi: EVENT_COUNTER_ABI, functionName: 'increment' })
    await pub.waitForTransactionReceipt({ hash, timeout: 30_000 })
    await withTimeout('newHeads over WebSocket', 20_000, gotHeads)
    await withTimeout('logs over WebSocket', 20_000, gotLog)
    unwatch()
    assert.equal(heads[1]! - heads[0]!, 1n, 'consecutive heads')
    assert.deepEqual(logs, [3n])
  } finally {
    await ws.transport.getRpcClient().then((c) => c.close())
  }
})

test('bad input gets a JSON-RPC error and the node lives', async () => {
  const { pub } = clients()
  await assert.rejects(pub.request({ method: 'eth_getBalance' as never, params: ['0xzz', 'latest'] as never }), /invalid|hex|param/i)
  await assert.rejects(pub.request({ method: 'eth_getFilterChanges' as never, params: ['0x1234'] as never }), /filter not found/)
  await assert.rejects(pub.request({ method: 'eth_newFilter' as never, params: [{ topics: ['nope'] }] as never }), /32-byte/)
  assert.ok((await pub.getBlockNumber()) > 0n)
})
