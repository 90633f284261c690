/**
 * The methods that wallets and client libraries (viem, ethers, web3.js) call and the EthereumJS client lacks,
 * registered beside the client's own and the teecast_ namespace: filters (eth_newFilter and friends, with geth's
 * 5-minute idle expiry), eth_maxPriorityFeePerGas, eth_accounts (a node holds no user keys: always []),
 * txpool_status and a geth-shaped txpool_content, eth_createAccessList (access-list.ts), and rpc_modules. eth_subscribe / eth_unsubscribe work on the
 * WebSocket port only (ws.ts); over HTTP they answer geth's "notifications not supported".
 * Behaviour follows the execution-apis spec, and geth where the spec is silent. Bad params get -32602.
 */
import { bigIntToHex, intToHex } from '@ethereumjs/util'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import type { ChainFeed, FeedEvent } from './chain-feed.ts'
import { FilterError, FilterStore, type FilterKind } from './filters.ts'
import { parseLogCriteria } from './log-criteria.ts'
import { FeeOracle } from './fee-oracle.ts'
import { INVALID_PARAMS, type RpcError } from './teecast.ts'
import { createAccessListMethod } from './access-list.ts'

export const METHOD_NOT_FOUND = -32601

type Method = (params?: unknown[]) => Promise<unknown>

export interface CompatDeps {
  service: FullEthereumService
  feed: ChainFeed
  /** The client's own eth_getLogs and txpool_content, reused. */
  clientMethods: Record<string, Method>
  now?: () => number
}

const rpcError = (err: unknown): never => {
  if (err instanceof FilterError) throw { code: err.code, message: err.message } satisfies RpcError
  throw err
}

const noParams = (method: string, params: unknown[]): void => {
  if (params.length > 0) throw { code: INVALID_PARAMS, message: `${method} takes no parameters` } satisfies RpcError
}

const filterId = (method: string, params: unknown[]): string => {
  const [id] = params
  if (params.length !== 1 || typeof id !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(id)) throw { code: INVALID_PARAMS, message: `${method} takes one parameter: a filter id (hex)` } satisfies RpcError
  return id
}

/** The namespaces and their versions, as geth's rpc_modules answers ({ "eth": "1.0", ... }). */
export function rpcModules(methodNames: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of methodNames) {
    const i = m.indexOf('_')
    if (i > 0) out[m.slice(0, i)] = '1.0'
  }
  return out
}

export function compatMethods(d: CompatDeps): { methods: Record<string, Method>; filters: FilterStore; close: () => void } {
  const now = d.now ?? Date.now
  const filters = new FilterStore()
  const oracle = new FeeOracle((n) => d.service.chain.getBlock(n))
  let unlisten: (() => void) | undefined
  const onFeed = (e: FeedEvent): void => {
    const t = now()
    if (e.kind === 'block') filters.onBlock(`0x${Buffer.from(e.block.hash()).toString('hex')}`, e.logs, t)
    else if (e.kind === 'removed') filters.onRemoved(e.logs, t)
    else filters.onPendingTx(e.hash, t)
    if (filters.size === 0) stopListening()
  }
  const stopListening = (): void => {
    unlisten?.()
    unlisten = undefined
  }
  const install = async (kind: FilterKind, criteria: ReturnType<typeof parseLogCriteria> | undefined): Promise<string> => {
    // Listen before the filter exists, so that the feed's first look (which only notes the head) comes first.
    if (unlisten === undefined) {
      unlisten = d.feed.listen(onFeed)
      await d.feed.look()
    }
    try {
      return filters.install(kind, criteria, now())
    } catch (err) {
      return rpcError(err)
    }
  }

  const methods: Record<string, Method> = {
    eth_newFilter: async (params = []) => {
      if (params.length !== 1) throw { code: INVALID_PARAMS, message: 'eth_newFilter takes one parameter: the filter object' } satisfies RpcError
      return install('logs', parseLogCriteria(params[0]))
    },
    eth_newBlockFilter: async (params = []) => {
      noParams('eth_newBlockFilter', params)
      return install('blocks', undefined)
    },
    eth_newPendingTransactionFilter: async (params = []) => {
      // geth takes an optional fullTx flag; hashes are what every client reads.
      if (params.length > 1 || (params.length === 1 && typeof params[0] !== 'boolean')) throw { code: INVALID_PARAMS, message: 'eth_newPendingTransactionFilter takes no parameters (or a boolean)' } satisfies RpcError
      return install('pendingTxs', undefined)
    },
    eth_getFilterChanges: async (params = []) => {
      const id = filterId('eth_getFilterChanges', params)
      try {
        return filters.changes(id, now())
      } catch (err) {
        return rpcError(err)
      }
    },
    eth_getFilterLogs: async (params = []) => {
      const id = filterId('eth_getFilterLogs', params)
      let f: ReturnType<FilterStore['get']>
      try {
        f = filters.get(id, now())
      } catch (err) {
        return rpcError(err)
      }
      if (f.kind !== 'logs') throw { code: -32000, message: 'filter not found' } satisfies RpcError
      return d.clientMethods.eth_getLogs!([f.criteria!.raw])
    },
    eth_uninstallFilter: async (params = []) => {
      const gone = filters.uninstall(filterId('eth_uninstallFilter', params))
      if (filters.size === 0) stopListening()
      return gone
    },
    eth_subscribe: async () => {
      throw { code: METHOD_NOT_FOUND, message: 'notifications not supported (use the WebSocket port)' } satisfies RpcError
    },
    eth_unsubscribe: async () => {
      throw { code: METHOD_NOT_FOUND, message: 'notifications not supported (use the WebSocket port)' } satisfies RpcError
    },
    eth_maxPriorityFeePerGas: async (params = []) => {
      noParams('eth_maxPriorityFeePerGas', params)
      const head = d.service.chain.blocks.latest
      return bigIntToHex(head === null ? 0n : await oracle.tip(head))
    },
    eth_accounts: async (params = []) => {
      noParams('eth_accounts', params)
      return []
    },
    txpool_status: async (params = []) => {
      noParams('txpool_status', params)
      // The client's pool has no queue: every tx it holds counts as pending.
      return { pending: intToHex(d.service.txPool.txsInPool), queued: '0x0' }
    },
    eth_createAccessList: createAccessListMethod(d.service),
    txpool_content: async (params = []) => {
      noParams('txpool_content', params)
      const c = (await d.clientMethods.txpool_content!([])) as { pending: Record<string, unknown> }
      return { pending: c.pending, queued: {} }
    },
  }
  return { methods, filters, close: stopListening }
}

/** rpc_modules, once every method is known. */
export function withRpcModules(all: Record<string, Method>): Record<string, Method> {
  const modules = rpcModules([...Object.keys(all), 'rpc_modules'])
  return {
    ...all,
    rpc_modules: async (params = []) => {
      noParams('rpc_modules', params)
      return modules
    },
  }
}
