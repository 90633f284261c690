/**
 * eth_createAccessList over real HTTP on a node that imported a chain built in this process (the event counter is
 * deployed in block 1), raw and through viem's createAccessList: the slots and addresses a call touches, the gas it
 * uses with that list (what eth_estimateGas gives for the same call with the list), `error` for a reverting call,
 * the sender, recipient, created contract and precompiles left out unless a slot of theirs is touched, and bad
 * params answered with -32602 while the node lives.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicClient, http, type Hex } from 'viem'
import { rpcCall, RpcCallError } from '../../src/rpc/client.ts'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'
import { INCREMENT_SELECTOR } from '../../testnets/event-counter.ts'

interface Result {
  accessList: { address: string; storageKeys: string[] }[]
  gasUsed: string
  error?: string
}

let fx: RpcFixture
before(async () => {
  fx = await startRpcFixture({ blocks: 3, txsPerBlock: 2, accounts: 4, seed: 'access-list' })
})
after(async () => fx?.close())

const SLOT0 = `0x${'00'.repeat(32)}`
const create = (params: unknown[]) => rpcCall<Result>(fx.node.rpcUrl, 'eth_createAccessList', params)
const from = () => fx.signer.address(1).toLowerCase()

test('a call that writes a slot: the slot in the list, and the gas used with it', async () => {
  const call = { from: from(), to: fx.built.counter, data: INCREMENT_SELECTOR }
  const r = await create([call])
  assert.deepEqual(r.accessList, [{ address: fx.built.counter.toLowerCase(), storageKeys: [SLOT0] }], 'the recipient is listed for its slot')
  assert.equal(r.error, undefined)
  const withList = await rpcCall<string>(fx.node.rpcUrl, 'eth_estimateGas', [{ ...call, accessList: r.accessList }])
  assert.equal(BigInt(r.gasUsed), BigInt(withList), 'gasUsed is the gas of the call with the list')
  const without = await rpcCall<string>(fx.node.rpcUrl, 'eth_estimateGas', [call])
  assert.notEqual(BigInt(r.gasUsed), BigInt(without), 'the list changes the gas (the test would not see a list ignored)')
  // Same answer with the list given, at an explicit block, and with EIP-1559 fee fields.
  assert.deepEqual(await create([{ ...call, accessList: r.accessList }, 'latest']), r)
  assert.deepEqual((await create([{ ...call, maxFeePerGas: '0x174876e800', maxPriorityFeePerGas: '0x1' }, '0x3'])).accessList, r.accessList)
})

test('a transfer needs no list; a reverting call gets the error field, not a JSON-RPC error', async () => {
  const transfer = await create([{ from: from(), to: fx.signer.address(2), value: '0x1' }])
  assert.deepEqual(transfer, { accessList: [], gasUsed: '0x5208' })
  const reverts = await create([{ from: from(), to: fx.built.counter, data: '0xdeadbeef' }])
  assert.equal(reverts.error, 'execution reverted')
  assert.deepEqual(reverts.accessList, [])
  assert.ok(BigInt(reverts.gasUsed) > 21_000n)
})

test('a creation that reads an account balance and a precompile: the account listed, the new contract and the precompile not', async () => {
  const other = `0x${'ab'.repeat(20)}`
  // PUSH20 other BALANCE POP PUSH1 1 BALANCE POP PUSH1 0 SLOAD STOP: reads another account, the ecrecover precompile and its own slot 0.
  const initcode = `0x73${'ab'.repeat(20)}3150600131506000545400`
  const r = await create([{ from: from(), data: initcode }])
  assert.equal(r.error, undefined, JSON.stringify(r))
  const addresses = r.accessList.map((e) => e.address)
  assert.ok(addresses.includes(other), 'the account read by BALANCE is listed')
  assert.ok(!addresses.includes(`0x${'00'.repeat(19)}01`), 'a precompile is not')
  const own = r.accessList.filter((e) => e.address !== other)
  assert.equal(own.length, 1, 'the created contract appears for its slot only')
  assert.deepEqual(own[0]!.storageKeys, [SLOT0])
})

test('viem createAccessList gets the same list and gas', async () => {
  const pub = createPublicClient({ transport: http(fx.node.rpcUrl) })
  const call = { account: fx.signer.address(1) as Hex, to: fx.built.counter as Hex, data: INCREMENT_SELECTOR as Hex }
  const v = await pub.createAccessList(call)
  const raw = await create([{ from: from(), to: fx.built.counter, data: INCREMENT_SELECTOR }])
  assert.equal(v.gasUsed, BigInt(raw.gasUsed))
  assert.deepEqual(v.accessList.map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys })), raw.accessList)
})

test('bad params get -32602 (and a call that cannot run -32000); the node lives', async () => {
  const code = async (params: unknown[]): Promise<number | undefined> => {
    try {
      await create(params)
      return undefined
    } catch (e) {
      return (e as RpcCallError).code
    }
  }
  const to = fx.built.counter
  for (const params of [
    [],
    [null],
    ['0x1234'],
    [{ to: '0x1234' }],
    [{ to, gas: 'lots' }],
    [{ to, accessList: 'all' }],
    [{ to, accessList: [{ address: to, storageKeys: ['0x01'] }] }],
    [{ to, accessList: [null] }],
    [{ to, type: '0x7' }],
    [{ to, data: '0x01', input: '0x02' }],
    [{ to }, 'tomorrow'],
    [{ to }, '0xffffffffff'],
    [{ to }, 'latest', 'extra'],
  ]) {
    assert.equal(await code(params), -32602, `params ${JSON.stringify(params)}`)
  }
  assert.equal(await code([{ to, gas: '0x1' }]), -32000, 'intrinsic gas too low cannot run')
  assert.equal(await code([{ to }, `0x${'11'.repeat(32)}`]), -32000, 'an unknown block hash')
  assert.ok(Number(await rpcCall<string>(fx.node.rpcUrl, 'eth_blockNumber')) >= 3, 'the node still answers')
})
