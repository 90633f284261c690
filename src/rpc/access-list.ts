/**
 * eth_createAccessList, as geth answers it: the call runs on the state of the given block (default latest) with the
 * access list found so far, and again with what that run touched, until the list stops growing; the answer is that
 * list, the gas the call used with it, and `error` when the call failed (reverted, out of gas), which is a result,
 * not a JSON-RPC error. The sender, the recipient (or the created contract) and the precompiles are left out unless
 * a storage slot of theirs is read or written, as in geth's access list tracer. The call is simulated as
 * eth_estimateGas does (no nonce or balance checks, the RPC gas cap and EVM timeout apply). Bad params get -32602;
 * a call that cannot run at all (intrinsic gas too low, say) gets -32000.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import { createTx, type TypedTransaction } from '@ethereumjs/tx'
import { bigIntToHex, createAddressFromString, createContractAddress, createZeroAddress, hexToBytes, type Address } from '@ethereumjs/util'
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

/** Precompiles of Prague: 0x01 to 0x11. */
const isPrecompile = (a: string): boolean => /^0x0{36}00[0-9a-f]{2}$/.test(a) && Number.parseInt(a.slice(-2), 16) >= 1 && Number.parseInt(a.slice(-2), 16) <= 0x11

/** Drops the sender, recipient and precompiles that carry no slot; sorts, so that two rounds compare as text. */
function normalise(list: AccessListEntry[], excluded: Set<string>): AccessListEntry[] {
  const byAddress = new Map<string, Set<string>>()
  for (const e of list) {
    const a = e.address.toLowerCase()
    const keys = byAddress.get(a) ?? new Set<string>()
    for (const k of e.storageKeys) keys.add(k.toLowerCase())
    byAddress.set(a, keys)
  }
  return [...byAddress]
    .filter(([a, keys]) => keys.size > 0 || !(excluded.has(a) || isPrecompile(a)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([address, keys]) => ({ address, storageKeys: [...keys].sort() }))
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
    const target = to !== undefined ? to.toLowerCase() : createContractAddress(from, call.nonce !== undefined ? BigInt(call.nonce) : 0n).toString()
    const excluded = new Set([from.toString(), target])
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
    const once = async (accessList: AccessListEntry[]) => {
      const vm = await vm0.shallowCopy()
      await vm.stateManager.setStateRoot(block.header.stateRoot)
      vm.common.setHardforkBy({ timestamp: runOn.header.timestamp, blockNumber: runOn.header.number })
      const timeout = config.rpcEvmTimeoutMs ?? DEFAULT_EVM_TIMEOUT_MS
      const evm = vm.evm as unknown as { deadline?: number; deadlineTimeoutMs?: number }
      if (timeout > 0) {
        evm.deadline = Date.now() + timeout
        evm.deadlineTimeoutMs = timeout
      }
      const tx = createTx(
        { ...fees, to: to ?? undefined, value: call.value ?? '0x0', nonce: call.nonce ?? '0x0', data: call.data ?? call.input ?? '0x', gasLimit: bigIntToHex(gas), accessList } as never,
        { common: vm.common, freeze: false },
      ) as TypedTransaction
      tx.getSenderAddress = () => from
      try {
        return await runTx(vm, { tx, block: runOn, skipNonce: true, skipBalance: true, skipBlockGasLimitValidation: true, skipHardForkValidation: true, reportAccessList: true })
      } catch (err) {
        const e = err as { code?: string; message?: string }
        throw { code: -32000, message: `failed to apply transaction: ${e.message ?? String(err)}` } satisfies RpcError
      }
    }
    let list = normalise(call.accessList ?? [], excluded)
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const r = await once(list)
      const next = normalise((r.accessList ?? []) as AccessListEntry[], excluded)
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
