/**
 * eth_createAccessList, as geth answers it: the call runs on the state of the given block (default latest) with the
 * access list found so far, and again with what that run touched, until the list stops growing; the answer is that
 * list, the gas the call used with it, and `error` when the call failed (reverted, out of gas), which is a result,
 * not a JSON-RPC error. What a run touched is what geth's access list tracer records, opcode by opcode
 * (AccessListTracer below), not the EVM's warm set: contracts that the call creates (CREATE, CREATE2) are listed
 * only for a storage slot of theirs or when called or inspected (BALANCE, EXTCODE*) afterwards. The sender, the
 * recipient (for a creation: the address at the sender's nonce, by default its nonce in the state, as geth) and the
 * active precompiles are left out unless a storage slot of theirs is read or written. The call is simulated as
 * eth_estimateGas does (no nonce or balance checks, the RPC gas cap and EVM timeout apply). Bad params get -32602;
 * a call that cannot run at all (intrinsic gas too low, say) gets -32000.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import { createTx, type TypedTransaction } from '@ethereumjs/tx'
import { bigIntToBytes, bigIntToHex, bytesToHex, createAddressFromString, createContractAddress, createZeroAddress, hexToBytes, setLengthLeft, type Address } from '@ethereumjs/util'
import { getActivePrecompiles, type InterpreterStep } from '@ethereumjs/evm'
import { runTx } from '@ethereumjs/vm'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import { getBlockByOption } from '@ethereumjs/client/dist/esm/src/rpc/helpers.js'
import { middleware, validators } from '@ethereumjs/client/dist/esm/src/rpc/validation.js'
import { INVALID_PARAMS, type RpcError } from './teecast.ts'

export interface AccessListEntry {
  address: string
  storageKeys: string[]
}

export interface AccessListResult {
  accessList: AccessListEntry[]
  gasUsed: string
  error?: string
}

/** The list grows by at least one entry per round; this bounds the work a crafted call can ask for. */
export const MAX_ROUNDS = 32
/** geth's --rpc.gascap and --rpc.evmtimeout defaults, when the node's config does not set them. */
const DEFAULT_GAS_CAP = 50_000_000n
const DEFAULT_EVM_TIMEOUT_MS = 5_000

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const SLOT = /^0x[0-9a-fA-F]{64}$/
const BLOCK_HASH = /^0x[0-9a-fA-F]{64}$/

interface CallObject {
  from?: string
  to?: string | null
  gas?: string
  gasPrice?: string
  maxFeePerGas?: string
  maxPriorityFeePerGas?: string
  value?: string
  nonce?: string
  data?: string
  input?: string
  accessList?: AccessListEntry[]
  type?: string
}

interface RpcKnobs {
  rpcGasCap?: bigint
  rpcEvmTimeoutMs?: number
}

const invalid = (message: string): never => {
  throw { code: INVALID_PARAMS, message } satisfies RpcError
}

/** What the client's transaction validator does not look at: null, the access list, the type, data vs input. */
function checkCallObject(tx: CallObject): void {
  if (tx.type !== undefined && !['0x0', '0x1', '0x2'].includes(String(tx.type))) invalid(`invalid argument 0: unsupported transaction type ${String(tx.type)} (0x0, 0x1 or 0x2)`)
  if (tx.data !== undefined && tx.input !== undefined && tx.data.toLowerCase() !== tx.input.toLowerCase()) invalid('invalid argument 0: both "data" and "input" are set and not equal')
  if (tx.accessList === undefined) return
  if (!Array.isArray(tx.accessList)) invalid('invalid argument 0: accessList must be an array')
  for (const [i, e] of tx.accessList.entries()) {
    if (e === null || typeof e !== 'object' || typeof e.address !== 'string' || !ADDRESS.test(e.address)) invalid(`invalid argument 0: accessList[${i}].address must be a 20-byte hex address`)
    if (!Array.isArray(e.storageKeys) || !e.storageKeys.every((k) => typeof k === 'string' && SLOT.test(k))) invalid(`invalid argument 0: accessList[${i}].storageKeys must be 32-byte hex strings`)
  }
}

async function blockOf(service: FullEthereumService, opt: string | undefined): Promise<Block> {
  const chain = service.chain
  // geth's default is the pending block; this node builds none outside its miner, so pending is the head.
  if (opt === undefined || opt === 'pending') return chain.blocks.latest ?? (await chain.getCanonicalHeadBlock())
  if (BLOCK_HASH.test(opt)) {
    try {
      return await chain.getBlock(hexToBytes(opt as `0x${string}`))
    } catch {
      throw { code: -32000, message: `header for hash ${opt} not found` } satisfies RpcError
    }
  }
  return (await getBlockByOption(opt, chain)) as Block
}

/** Opcodes geth's access list tracer looks at. */
const SLOAD = 0x54
const SSTORE = 0x55
/** Their top of stack is an address: BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH, SELFDESTRUCT. */
const INSPECTS_ADDRESS = new Set([0x31, 0x3b, 0x3c, 0x3f, 0xff])
/** Their second item is the callee: CALL, CALLCODE, DELEGATECALL, STATICCALL. */
const CALLS = new Set([0xf1, 0xf2, 0xf4, 0xfa])

const word = (v: bigint): string => bytesToHex(setLengthLeft(bigIntToBytes(v), 32))
const addressOf = (v: bigint): string => `0x${word(v).slice(-40)}`

/**
 * geth's AccessListTracer (eth/tracers/logger/access_list_tracer.go): SLOAD and SSTORE list the slot of the
 * contract whose storage runs; BALANCE, EXTCODE* and SELFDESTRUCT list the address on top of the stack, the calls
 * their callee, unless excluded. Nothing else lists an address (so neither CREATE nor CREATE2 do). The list given
 * at the start is kept, an excluded address of it only for its slots.
 */
class AccessListTracer {
  private readonly slots = new Map<string, Set<string>>()

  constructor(
    start: AccessListEntry[],
    private readonly excluded: Set<string>,
  ) {
    for (const e of start) {
      const a = e.address.toLowerCase()
      if (!excluded.has(a)) this.addAddress(a)
      for (const k of e.storageKeys) this.addSlot(a, k.toLowerCase())
    }
  }

  step(s: InterpreterStep): void {
    const code = s.opcode.code
    const n = s.stack.length
    if ((code === SLOAD || code === SSTORE) && n >= 1) this.addSlot(s.address.toString(), word(s.stack[n - 1]!))
    else if (INSPECTS_ADDRESS.has(code) && n >= 1) this.addUnlessExcluded(addressOf(s.stack[n - 1]!))
    else if (CALLS.has(code) && n >= 5) this.addUnlessExcluded(addressOf(s.stack[n - 2]!))
  }

  /** Sorted by address, slots sorted: geth's order, and two rounds compare as text. */
  list(): AccessListEntry[] {
    return [...this.slots]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([address, keys]) => ({ address, storageKeys: [...keys].sort() }))
  }

  private addAddress(a: string): Set<string> {
    let keys = this.slots.get(a)
    if (keys === undefined) this.slots.set(a, (keys = new Set()))
    return keys
  }

  private addSlot(a: string, slot: string): void {
    this.addAddress(a).add(slot)
  }

  private addUnlessExcluded(a: string): void {
    if (!this.excluded.has(a)) this.addAddress(a)
  }
}

export function createAccessListMethod(service: FullEthereumService): (params?: unknown[]) => Promise<AccessListResult> {
  const run = async (params: unknown[]): Promise<AccessListResult> => {
    const call = { ...(params[0] as CallObject) }
    checkCallObject(call)
    const block = await blockOf(service, params[1] as string | undefined)
    const config = service.config as unknown as RpcKnobs
    const cap = config.rpcGasCap ?? DEFAULT_GAS_CAP
    let gas = call.gas !== undefined ? BigInt(call.gas) : block.header.gasLimit
    if (cap > 0n && gas > cap) gas = cap
    const from: Address = call.from !== undefined ? createAddressFromString(call.from) : createZeroAddress()
    const nextBaseFee = block.header.baseFeePerGas !== undefined ? block.header.calcNextBaseFee() : 0n
    // A tx that carries an access list: type 1 with a gas price, or type 2 with fee fields (as eth_estimateGas infers).
    const eip1559 = call.type === '0x2' || call.maxFeePerGas !== undefined || call.maxPriorityFeePerGas !== undefined
    const fees = eip1559
      ? { type: 2, maxPriorityFeePerGas: call.maxPriorityFeePerGas ?? '0x0', maxFeePerGas: call.maxFeePerGas ?? bigIntToHex(nextBaseFee + BigInt(call.maxPriorityFeePerGas ?? 0)) }
      : { type: 1, gasPrice: call.gasPrice ?? bigIntToHex(nextBaseFee) }
    const to = call.to ?? undefined
    const vm0 = service.execution.vm
    const runOn = createBlock(
      {
        header: {
          parentHash: block.hash(),
          number: block.header.number + 1n,
          timestamp: block.header.timestamp + 1n,
          gasLimit: block.header.gasLimit,
          baseFeePerGas: block.header.baseFeePerGas !== undefined ? nextBaseFee : undefined,
          // On Clique an empty extraData fails block validation: reuse the parent's seal, as eth_estimateGas does.
          extraData: block.header.extraData,
        },
      },
      { common: vm0.common.copy(), setHardfork: true, skipConsensusFormatValidation: true },
    )
    const vmOnBlock = async () => {
      const vm = await vm0.shallowCopy()
      await vm.stateManager.setStateRoot(block.header.stateRoot)
      vm.common.setHardforkBy({ timestamp: runOn.header.timestamp, blockNumber: runOn.header.number })
      return vm
    }
    // As geth: the nonce is the sender's in the state unless given; a creation's recipient is the address at it.
    const probe = await vmOnBlock()
    const nonce = call.nonce !== undefined ? BigInt(call.nonce) : ((await probe.stateManager.getAccount(from))?.nonce ?? 0n)
    const target = to !== undefined ? to.toLowerCase() : createContractAddress(from, nonce).toString()
    const precompiles = [...getActivePrecompiles(probe.common).keys()].map((a) => `0x${a}`)
    const excluded = new Set([from.toString(), target, ...precompiles])
    const once = async (accessList: AccessListEntry[], tracer: AccessListTracer) => {
      const vm = await vmOnBlock()
      const timeout = config.rpcEvmTimeoutMs ?? DEFAULT_EVM_TIMEOUT_MS
      const evm = vm.evm as unknown as { deadline?: number; deadlineTimeoutMs?: number }
      if (timeout > 0) {
        evm.deadline = Date.now() + timeout
        evm.deadlineTimeoutMs = timeout
      }
      const tx = createTx(
        { ...fees, to: to ?? undefined, value: call.value ?? '0x0', nonce: bigIntToHex(nonce), data: call.data ?? call.input ?? '0x', gasLimit: bigIntToHex(gas), accessList } as never,
        { common: vm.common, freeze: false },
      ) as TypedTransaction
      tx.getSenderAddress = () => from
      const onStep = (s: InterpreterStep): void => tracer.step(s)
      vm.evm.events!.on('step', onStep)
      try {
        return await runTx(vm, { tx, block: runOn, skipNonce: true, skipBalance: true, skipBlockGasLimitValidation: true, skipHardForkValidation: true })
      } catch (err) {
        const e = err as { code?: string; message?: string }
        throw { code: -32000, message: `failed to apply transaction: ${e.message ?? String(err)}` } satisfies RpcError
      } finally {
        vm.evm.events!.off('step', onStep)
      }
    }
    // As geth's loop: each run starts its tracer from the list it runs with, so the list only grows.
    let list = new AccessListTracer(call.accessList ?? [], excluded).list()
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const tracer = new AccessListTracer(list, excluded)
      const r = await once(list, tracer)
      const next = tracer.list()
      if (JSON.stringify(next) === JSON.stringify(list)) {
        const failure = r.execResult.exceptionError
        const out: AccessListResult = { accessList: list, gasUsed: bigIntToHex(r.totalGasSpent) }
        if (failure !== undefined) out.error = failure.error === 'revert' ? 'execution reverted' : failure.error
        return out
      }
      list = next
    }
    throw { code: -32000, message: `access list did not settle within ${MAX_ROUNDS} rounds` } satisfies RpcError
  }
  const validated = middleware(run, 1, [[validators.transaction()], [validators.blockOption]], ['transaction', 'block']) as (params: unknown[]) => Promise<AccessListResult>
  return async (params = []) => {
    // The client's validator takes null for an object (and then fails reading its fields): refuse it first.
    if (Array.isArray(params) && (params[0] === null || Array.isArray(params[0]))) invalid('invalid argument 0: argument must be an object')
    return validated(params)
  }
}
