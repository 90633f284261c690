/** The JSON-RPC hardening flags of `teecast node` (geth's names and defaults, see src/rpc/settings.ts). */
import type { Argv } from 'yargs'
import { DEFAULT_RPC_APIS, parseRpcApis } from '../../rpc/apis.ts'
import { DEFAULT_RPC_SETTINGS, type RpcSettings } from '../../rpc/settings.ts'
import { DEFAULT_RPC_LIMITS, type RpcLimits } from '../../rpc/limits.ts'
import { badInput } from '../errors.ts'

export interface RpcArgs {
  'rpc-api'?: string
  'rpc-gascap'?: number
  'rpc-evmtimeout'?: number
  'rpc-batch-limit'?: number
  'rpc-batch-response-max-size'?: number
  'rpc-body-limit'?: number
  'rpc-allow-unprotected-txs'?: boolean
  'p2p-listen-addr'?: string
}

export function withRpcFlags<T>(y: Argv<T>): Argv<T & RpcArgs> {
  return y
    .option('rpc-api', { type: 'string', describe: `JSON-RPC namespaces served, comma-separated (default ${DEFAULT_RPC_APIS.join(',')}; add debug,admin to serve those)` })
    .option('rpc-gascap', { type: 'number', describe: `Gas cap of eth_call and eth_estimateGas (default ${DEFAULT_RPC_SETTINGS.gasCap}; 0 = none)` })
    .option('rpc-evmtimeout', { type: 'number', describe: `Time limit of one eth_call or eth_estimateGas, seconds (default ${DEFAULT_RPC_SETTINGS.evmTimeoutMs / 1000}; 0 = none)` })
    .option('rpc-batch-limit', { type: 'number', describe: `Most requests in one JSON-RPC batch (default ${DEFAULT_RPC_LIMITS.batchLimit})` })
    .option('rpc-batch-response-max-size', { type: 'number', describe: `Bytes of answers after which a batch's remaining requests are refused (default ${DEFAULT_RPC_LIMITS.batchResponseMaxBytes})` })
    .option('rpc-body-limit', { type: 'number', describe: `Largest JSON-RPC request body, bytes (default ${DEFAULT_RPC_LIMITS.bodyLimitBytes})` })
    .option('rpc-allow-unprotected-txs', { type: 'boolean', describe: 'Accept legacy txs without EIP-155 replay protection over RPC (default off)' })
    .option('p2p-listen-addr', { type: 'string', describe: 'Address devp2p TCP and discovery bind to (default --host)' }) as Argv<T & RpcArgs>
}

const wholeAtLeast = (flag: string, v: number, min: number): number => {
  if (!(Number.isSafeInteger(v) && v >= min)) throw badInput(`--${flag} must be a whole number >= ${min}, got ${v}`)
  return v
}

/** Only the flags given; `apisFromTestnet` is the testnet's --rpc-api, overridden by the node's own. */
export function rpcSettingsFromArgs(a: RpcArgs, apisFromTestnet?: readonly string[]): Partial<RpcSettings> {
  const out: Partial<RpcSettings> = {}
  if (a['rpc-api'] !== undefined) {
    const apis = parseRpcApis(a['rpc-api'])
    if (typeof apis === 'string') throw badInput(`--rpc-api: ${apis}`)
    out.apis = apis
  } else if (apisFromTestnet !== undefined) out.apis = apisFromTestnet
  if (a['rpc-gascap'] !== undefined) out.gasCap = BigInt(wholeAtLeast('rpc-gascap', a['rpc-gascap'], 0))
  if (a['rpc-evmtimeout'] !== undefined) {
    const s = a['rpc-evmtimeout']
    if (!(Number.isFinite(s) && s >= 0 && s <= 3600)) throw badInput(`--rpc-evmtimeout must be between 0 and 3600 seconds, got ${s}`)
    out.evmTimeoutMs = Math.round(s * 1000)
  }
  const limits: Partial<RpcLimits> = {}
  if (a['rpc-batch-limit'] !== undefined) limits.batchLimit = wholeAtLeast('rpc-batch-limit', a['rpc-batch-limit'], 1)
  if (a['rpc-batch-response-max-size'] !== undefined) limits.batchResponseMaxBytes = wholeAtLeast('rpc-batch-response-max-size', a['rpc-batch-response-max-size'], 1)
  if (a['rpc-body-limit'] !== undefined) limits.bodyLimitBytes = wholeAtLeast('rpc-body-limit', a['rpc-body-limit'], 1)
  if (Object.keys(limits).length > 0) out.limits = { ...DEFAULT_RPC_LIMITS, ...limits }
  if (a['rpc-allow-unprotected-txs'] !== undefined) out.allowUnprotectedTxs = a['rpc-allow-unprotected-txs']
  return out
}
