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

export interface RpcOptions {
  host: string
  port: number
  logger?: Logger
  enclave?: NodeEnclave
  /** Called once per request with its method, duration and outcome (/metrics). */
  observe?: RpcObserver
}

export function startRpc(client: EthereumClient, p: InstalledPropagation, o: RpcOptions): HttpServer {
  const manager = new RPCManager(client, client.config)
  const methods = { ...manager.getMethods(false, false), ...teecastMethods(p, Date.now, o.enclave) }
  const server = new jayson.Server(instrumentRpcMethods(methods, o.observe) as unknown as Record<string, jayson.MethodLike>)
  const http = createRPCServerListener({ server, RPCCors: undefined } as unknown as Parameters<typeof createRPCServerListener>[0]) as HttpServer
  http.on('error', (err) => o.logger?.error(`JSON-RPC server on ${o.host}:${o.port}: ${err.message}`))
  http.listen(o.port, o.host)
  o.logger?.info(`JSON-RPC on http://${o.host}:${o.port} (with teecast_)`)
  return http
}
