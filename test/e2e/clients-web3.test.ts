/**
 * web3.js 4 against a real 2-node testnet: transfer, deploy, write and read with no explicit gas (web3 asks
 * eth_maxPriorityFeePerGas and estimates with `input`), estimateGas with and without fee fields, receipts, a log
 * filter polled over HTTP, and over WebSocket: newHeads and contract events by eth_subscribe. Bad input gets a
 * JSON-RPC error and the node lives.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Web3, WebSocketProvider } from 'web3'
import { EVENT_COUNTER_ABI, EVENT_COUNTER_INITCODE, INCREMENTED_TOPIC } from '../../testnets/event-counter.ts'
import { startClientTestnet, withTimeout, type ClientTestnet } from '../helpers/client-testnet.ts'
import { eventually } from '../helpers/testnet.ts'

let net: ClientTestnet
let web3: Web3
let from: string
let counterAddress: string
before(async () => {
  net = await startClientTestnet('clients-web3')
  web3 = new Web3(net.node.rpcUrl)
  const account = web3.eth.accounts.privateKeyToAccount(net.d.accounts[0]!.privateKey)
  web3.eth.accounts.wallet.add(account)
  from = account.address
})
after(async () => net?.cleanup())

const counter = () => new web3.eth.Contract(EVENT_COUNTER_ABI, counterAddress)

test('eth_accounts is empty and eth_maxPriorityFeePerGas answers', async () => {
  assert.deepEqual(await web3.eth.getAccounts(), [])
  assert.ok(BigInt(await web3.eth.getMaxPriorityFeePerGas()) > 0n)
})

test('transfer, deploy, write and read with no explicit gas; receipts', async () => {
  const to = net.d.accounts[1]!.address
  const before = BigInt(await web3.eth.getBalance(to))
  const r1 = await web3.eth.sendTransaction({ from, to, value: 4242n })
  assert.equal(BigInt(r1.status), 1n)
  assert.equal(BigInt(r1.gasUsed), 21_000n)
  assert.equal(BigInt(await web3.eth.getBalance(to)), before + 4242n)

  const deployed = await new web3.eth.Contract(EVENT_COUNTER_ABI).deploy({ data: EVENT_COUNTER_INITCODE }).send({ from })
  assert.ok(deployed.options.address !== undefined)
  counterAddress = deployed.options.address
  const r2 = await counter().methods.increment().send({ from })
  assert.equal(BigInt(r2.status), 1n)
  assert.equal(r2.logs.length, 1)
  assert.equal(BigInt(await counter().methods.count().call()), 1n)
})

test('estimateGas with and without fee fields', async () => {
  const to = net.d.accounts[1]!.address
  assert.equal(BigInt(await web3.eth.estimateGas({ from, to, value: 1n })), 21_000n)
  assert.equal(BigInt(await web3.eth.estimateGas({ from, to, value: 1n, maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n })), 21_000n)
  const g = BigInt(await counter().methods.increment().estimateGas({ from }))
  assert.ok(g > 21_000n && g < 100_000n, `increment estimate ${g}`)
})

test('a log filter polled over HTTP sees the event', async () => {
  const rm = web3.eth.requestManager
  const id = await rm.send({ method: 'eth_newFilter', params: [{ fromBlock: '0x0', address: counterAddress, topics: [INCREMENTED_TOPIC] }] })
  await counter().methods.increment().send({ from })
  // The receipt can be out before the node's filters hear of the block: poll, as a filter's user does.
  const changes: { data: string }[] = []
  await eventually('the filter gets the log', 10_000, async () => {
    changes.push(...((await rm.send({ method: 'eth_getFilterChanges', params: [id] })) as { data: string }[]))
    return changes.length > 0 ? true : undefined
  })
  assert.deepEqual(changes.map((l) => BigInt(l.data)), [2n])
  const all = (await rm.send({ method: 'eth_getFilterLogs', params: [id] })) as { data: string }[]
  assert.deepEqual(all.map((l) => BigInt(l.data)), [1n, 2n], 'eth_getFilterLogs: every matching log from fromBlock (without it geth, and this node, search the latest block only)')
  assert.equal(await rm.send({ method: 'eth_uninstallFilter', params: [id] }), true)
})

test('over WebSocket: newHeads and contract events by subscription', async () => {
  const provider = new WebSocketProvider(net.node.wsUrl, {}, { autoReconnect: false })
  const ws = new Web3(provider)
  try {
    const heads = await ws.eth.subscribe('newHeads')
    const numbers: bigint[] = []
    const gotHeads = new Promise<void>((resolve) => {
      heads.on('data', (h) => {
        numbers.push(BigInt(h.number ?? 0))
        if (numbers.length >= 2) resolve()
      })
    })
    const events = new ws.eth.Contract(EVENT_COUNTER_ABI, counterAddress).events.Incremented()
    const fired = new Promise<bigint>((resolve) => {
      events.on('data', (e) => resolve(BigInt(String(e.returnValues.value))))
    })
    await new Promise((r) => setTimeout(r, 500))
    await counter().methods.increment().send({ from })
    assert.equal(await withTimeout('contract event over WebSocket', 20_000, fired), 3n)
    await withTimeout('newHeads over WebSocket', 20_000, gotHeads)
    assert.equal(numbers[1]! - numbers[0]!, 1n)
    await heads.unsubscribe()
    await events.unsubscribe()
  } finally {
    provider.disconnect()
  }
})

test('bad input gets a JSON-RPC error and the node lives', async () => {
  const rm = web3.eth.requestManager
  await assert.rejects(rm.send({ method: 'eth_getBalance', params: ['0xzz', 'latest'] }))
  await assert.rejects(rm.send({ method: 'eth_getFilterChanges', params: ['0xdead'] }), /filter not found/)
  await assert.rejects(rm.send({ method: 'no_suchMethod', params: [] }), /not found|does not exist/i)
  assert.ok(BigInt(await web3.eth.getBlockNumber()) > 0n)
})
