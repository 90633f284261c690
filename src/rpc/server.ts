/** JSON-RPC over HTTP: the client's own eth_/net_/web3_/... methods plus the teecast_ namespace, on one port. */
import type { Server as HttpServer } from 'node:http'
import jayson from 'jayson/promise/index.js'
import type { EthereumClient } from '@ethereumjs/client/dist/esm/src/client.js'
import { RPCManager } from '@ethereumjs/client/dist/esm/src/rpc/index.js'
import { createRPCServerListener } from '@ethereumjs/client/dist/esm/src/util/rpc.js'
import type { Logger } from 'winston'
import type { InstalledPropagation } from '../p2p/install.ts'
import { teecastMethods } from './teecast.ts'
import type { NodeEnclave } from '../tee/node-enclave.ts'
import { instrumentRpcMethods, type RpcObserver } from './metrics/rpc.ts'
import { DEFAULT_RPC_LIMITS, limitBatches, limitRequestBodies, type RpcLimits } from './limits.ts'
import { DEFAULT_RPC_APIS, selectApis } from './apis.ts'

export interface RpcOptions {
  host: string
  port: number
  logger?: Logger
  enclave?: NodeEnclave
  /** Called once per request with its method, duration and outcome (/metrics). */
  observe?: RpcObserver
  limits?: RpcLimits
  /** Namespaces served (eth, net, ...); debug and admin only when listed. */
  apis?: readonly string[]
}

export function startRpc(client: EthereumClient, p: InstalledPropagation, o: RpcOptions): HttpServer {
  const manager = new RPCManager(client, client.config)
  const methods = selectApis({ ...manager.getMethods(false, false), ...teecastMethods(p, Date.now, o.enclave) }, o.apis ?? DEFAULT_RPC_APIS)
  const server = new jayson.Server(instrumentRpcMethods(methods, o.observe) as unknown as Record<string, jayson.MethodLike>)
  limitBatches(server, o.limits ?? DEFAULT_RPC_LIMITS)
  const http = createRPCServerListener({ server, RPCCors: undefined } as unknown as Parameters<typeof createRPCServerListener>[0]) as HttpServer
  limitRequestBodies(http, (o.limits ?? DEFAULT_RPC_LIMITS).bodyLimitBytes)
  http.on('error', (err) => o.logger?.error(`JSON-RPC server on ${o.host}:${o.port}: ${err.message}`))
  http.listen(o.port, o.host)
  o.logger?.info(`JSON-RPC on http://${o.host}:${o.port} (${[...new Set(Object.keys(methods).map((m) => m.split('_')[0]))].join(', ')})`)
  return http
}
