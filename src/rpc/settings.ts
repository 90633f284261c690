/**
 * A node's JSON-RPC hardening settings, geth's defaults unless told otherwise. The HTTP and batch limits are applied
 * by `limits.ts`, the namespaces by `apis.ts`; gas cap, EVM timeout and unprotected txs are read by the client's
 * patched eth_ module from its Config (patches client 041, 042), which `applyClientRpcSettings` fills in.
 */
import { DEFAULT_RPC_LIMITS, type RpcLimits } from './limits.ts'
import { DEFAULT_RPC_APIS } from './apis.ts'

export interface RpcSettings {
  apis: readonly string[]
  limits: RpcLimits
  /** Most gas an eth_call or eth_estimateGas may use (geth --rpc.gascap: 50,000,000); 0n = no cap. */
  gasCap: bigint
  /** Wall-clock budget of one eth_call or eth_estimateGas (geth --rpc.evmtimeout: 5 s); 0 = none. */
  evmTimeoutMs: number
  /** Accept legacy txs without EIP-155 replay protection over RPC (geth --rpc.allow-unprotected-txs: off). */
  allowUnprotectedTxs: boolean
}

export const DEFAULT_RPC_SETTINGS: RpcSettings = {
  apis: DEFAULT_RPC_APIS,
  limits: DEFAULT_RPC_LIMITS,
  gasCap: 50_000_000n,
  evmTimeoutMs: 5_000,
  allowUnprotectedTxs: false,
}

export function rpcSettings(partial: Partial<RpcSettings> = {}): RpcSettings {
  return { ...DEFAULT_RPC_SETTINGS, ...partial, limits: { ...DEFAULT_RPC_LIMITS, ...partial.limits } }
}

/** The Config fields the patched client reads. */
export interface ClientRpcKnobs {
  rpcGasCap: bigint
  rpcEvmTimeoutMs: number
  rpcAllowUnprotectedTxs: boolean
}

export function applyClientRpcSettings(config: object, s: RpcSettings): void {
  const knobs: ClientRpcKnobs = { rpcGasCap: s.gasCap, rpcEvmTimeoutMs: s.evmTimeoutMs, rpcAllowUnprotectedTxs: s.allowUnprotectedTxs }
  Object.assign(config, knobs)
}
