/**
 * eth_createAccessList over real HTTP on a node that imported a chain built in this process (the event counter is
 * deployed in block 1), raw and through viem's createAccessList: the slots and addresses a call touches, the gas it
 * uses with that list (what eth_estimateGas gives for the same call with the list), `error` for a reverting call,
 * the sender, recipient, created contract (at the sender's state nonce) and precompiles left out unless a slot of
 * theirs is touched, contracts that a factory creates listed as geth's access list tracer lists them (for a slot, or
 * when called; not for being created), and bad params answered with -32602 while the node lives.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicClient, getContractAddress, http, pad, type Hex } from 'viem'
import { bytesToHex } from '@ethereumjs/util'
import { rpcCall, RpcCallError } from '../../src/rpc/client.ts'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'
import { INCREMENT_SELECTOR } from '../../testnets/event-counter.ts'
import { sealOn } from '../../testnets/inproc-blocks.ts'

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

/** Bytecode from [opcode, ...immediate bytes] steps and raw hex, so the offsets below are computed, not counted. */
const hex = (...parts: (string | number)[]): string => parts.map((p) => (typeof p === 'number' ? p.toString(16).padStart(2, '0') : p)).join('')
const [PUSH1, PUSH20, DUP6, POP, STOP, BALANCE, ADDRESS, SSTORE, CODECOPY, GAS, CREATE, CALL, CREATE2] = [0x60, 0x73, 0x85, 0x50, 0x00, 0x31, 0x30, 0x55, 0x39, 0x5a, 0xf0, 0xf1, 0xf5]
const INSPECTED = `0x${'cd'.repeat(20)}`
/** Child A's init code stores 1 in its slot 0; child B's does nothing; child C's reads INSPECTED's balance. */
const CHILD_A = hex(PUSH1, 1, PUSH1, 0, SSTORE, STOP)
const CHILD_B = hex(STOP)
const CHILD_C = hex(PUSH20, INSPECTED.slice(2), BALANCE, POP, STOP)
const bytes = (h: string): number => h.length / 2
/**
 * A factory's runtime: CREATE child A, CREATE2 child B (salt 0) and CALL it, CREATE child C; the init codes follow
 * the code. With `at` the offset of the init codes, as the code's own length decides it.
 */
function factoryRuntime(): string {
  const code = (at: number): string => {
    const [a, b, c] = [at, at + bytes(CHILD_A), at + bytes(CHILD_A) + bytes(CHILD_B)]
    const copy = (offset: number, size: number) => hex(PUSH1, size, PUSH1, offset, PUSH1, 0, CODECOPY)
    return hex(
      copy(a, bytes(CHILD_A)), PUSH1, bytes(CHILD_A), PUSH1, 0, PUSH1, 0, CREATE, POP,
      copy(b, bytes(CHILD_B)), PUSH1, 0, PUSH1, bytes(CHILD_B), PUSH1, 0, PUSH1, 0, CREATE2,
      // CALL(gas, B, 0, 0, 0, 0, 0): B's address stays below the five zeros and is duplicated on top
      PUSH1, 0, PUSH1, 0, PUSH1, 0, PUSH1, 0, PUSH1, 0, DUP6, GAS, CALL, POP, POP,
      copy(c, bytes(CHILD_C)), PUSH1, bytes(CHILD_C), PUSH1, 0, PUSH1, 0, CREATE, POP, STOP,
    )
  }
  const length = bytes(code(0))
  return code(length) + CHILD_A + CHILD_B + CHILD_C
}

test('a factory: contracts it creates are listed as geth lists them (for their slots, or when called), the others not', async () => {
  const runtime = factoryRuntime()
  // Deploy: copy the runtime (after these 11 bytes of init code) to memory and return it.
  const initcode = `0x${hex(PUSH1, bytes(runtime), 0x80, PUSH1, 0x0b, PUSH1, 0, CODECOPY, PUSH1, 0, 0xf3)}${runtime}`
  const deploy = fx.signer.tx(3, { data: initcode, gasLimit: 500_000n })
  const parent = fx.built.blocks.at(-1)!
  await fx.importBlocks([await sealOn(fx.chain, fx.signerKey, parent, [deploy], BigInt(fx.d.period))])
  const deployed = await rpcCall<{ contractAddress: string; status: string }>(fx.node.rpcUrl, 'eth_getTransactionReceipt', [bytesToHex(deploy.hash())])
  assert.equal(deployed.status, '0x1', 'the factory is deployed')
  const factory = deployed.contractAddress as Hex
  assert.equal(await rpcCall<string>(fx.node.rpcUrl, 'eth_getCode', [factory, 'latest']), `0x${runtime}`)

  // A contract's nonce starts at 1 (EIP-161); CREATE2 uses one too.
  const childA = getContractAddress({ from: factory, nonce: 1n }).toLowerCase()
  const childB = getContractAddress({ opcode: 'CREATE2', from: factory, salt: pad('0x00'), bytecode: `0x${CHILD_B}` }).toLowerCase()
  const childC = getContractAddress({ from: factory, nonce: 3n }).toLowerCase()
  const pub = createPublicClient({ transport: http(fx.node.rpcUrl) })
  const v = await pub.createAccessList({ account: fx.signer.address(1) as Hex, to: factory })
  const listed = v.accessList.map((e) => ({ address: e.address.toLowerCase(), storageKeys: [...e.storageKeys] }))
  const expected = [
    { address: childA, storageKeys: [SLOT0] }, // its init code writes its slot 0
    { address: childB, storageKeys: [] }, // the factory calls it
    { address: INSPECTED, storageKeys: [] }, // child C reads its balance
  ].sort((x, y) => (x.address < y.address ? -1 : 1))
  assert.deepEqual(listed, expected, `child C ${childC} and the factory itself are not listed`)
  const raw = await create([{ from: from(), to: factory }])
  assert.deepEqual(raw.accessList, expected, 'the same over raw JSON-RPC')
  assert.equal(v.gasUsed, BigInt(raw.gasUsed))
  const withList = await rpcCall<string>(fx.node.rpcUrl, 'eth_estimateGas', [{ from: from(), to: factory, accessList: raw.accessList }])
  assert.equal(BigInt(raw.gasUsed), BigInt(withList), 'gasUsed is the gas of the call with the list')
})

test('a creation from a sender that has sent txs: the new contract is at its state nonce, and left out', async () => {
  const sender = fx.signer.address(3).toLowerCase()
  const nonce = BigInt(await rpcCall<string>(fx.node.rpcUrl, 'eth_getTransactionCount', [sender, 'latest']))
  assert.ok(nonce > 0n, 'the sender has a nonce, so a creation address at nonce 0 would be another one')
  // ADDRESS BALANCE: the contract being created reads its own balance (listed, were it not the recipient).
  const r = await create([{ from: sender, data: `0x${hex(ADDRESS, BALANCE, POP, STOP)}` }])
  assert.deepEqual(r.accessList, [], JSON.stringify(r))
  // With a nonce given, geth leaves out the address at that nonce instead.
  const other = await create([{ from: sender, data: `0x${hex(ADDRESS, BALANCE, POP, STOP)}`, nonce: '0x0' }])
  assert.deepEqual(other.accessList.map((e) => e.address), [getContractAddress({ from: sender as Hex, nonce }).toLowerCase()])
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
