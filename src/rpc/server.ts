/**
 * A node's JSON-RPC: the client's own eth_/net_/web3_/... methods, the methods wallets need that the client lacks
 * (compat.ts), and the teecast_ namespace, on an HTTP port and, when `wsPort` is set, a WebSocket port with
 * eth_subscribe. Both check Host and Origin (access.ts).
 */
import type { Server as HttpServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import jayson from 'jayson/promise/index.js'
import type { EthereumClient } from '@ethereumjs/client/dist/esm/src/client.js'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import { RPCManager } from '@ethereumjs/client/dist/esm/src/rpc/index.js'
import type { Logger } from 'winston'
import type { InstalledPropagation } from '../p2p/install.ts'
import { teecastMethods } from './teecast.ts'
import type { NodeEnclave } from '../tee/node-enclave.ts'
import { instrumentRpcMethods, type RpcObserver } from './metrics/rpc.ts'
import { DEFAULT_RPC_LIMITS, limitBatches, type RpcLimits } from './limits.ts'
import { DEFAULT_RPC_APIS, selectApis } from './apis.ts'
import { DEFAULT_RPC_ACCESS, type RpcAccess } from './access.ts'
import { createHttpRpcListener, type Dispatch } from './http.ts'
import { createWsRpcListener } from './ws.ts'
import { ChainFeed } from './chain-feed.ts'
import { compatMethods, withRpcModules } from './compat.ts'

export interface RpcOptions {
  host: string
  port: number
  /** WebSocket JSON-RPC port; undefined = none, 0 = any free port. */
  wsPort?: number
  access?: RpcAccess
  logger?: Logger
  enclave?: NodeEnclave
  /** Called once per request with its method, duration and outcome (/metrics). */
  observe?: RpcObserver
  limits?: RpcLimits
  /** Namespaces served (eth, net, ...); debug and admin only when listed. */
  apis?: readonly string[]
}

export interface RpcServers {
  url: string
  wsUrl: string | undefined
  http: HttpServer
  close(): Promise<void>
}

type Method = (params?: unknown[]) => Promise<unknown>

function jaysonDispatch(server: jayson.Server): Dispatch {
  return (body) =>
    new Promise((resolve) => {
      server.call(body, (err: unknown, res: unknown) => {
        const out = err ?? res
        resolve(out === undefined || out === null ? undefined : JSON.stringify(out))
      })
    })
}

async function listen(s: HttpServer, port: number, host: string): Promise<number> {
  s.listen(port, host)
  await once(s, 'listening')
  return (s.address() as AddressInfo).port
}

export async function startRpc(client: EthereumClient, p: InstalledPropagation, o: RpcOptions): Promise<RpcServers> {
  const manager = new RPCManager(client, client.config)
  const clientMethods = manager.getMethods(false, false) as unknown as Record<string, Method>
  const onError = (err: Error): void => void o.logger?.error(`JSON-RPC: ${err.message}`)
  const feed = new ChainFeed(client.service as FullEthereumService, onError)
  const compat = compatMethods({ service: client.service as FullEthereumService, feed, clientMethods })
  const all = { ...clientMethods, ...compat.methods, ...(teecastMethods(p, Date.now, o.enclave) as unknown as Record<string, Method>) }
  // rpc_modules lists what is served, so it is added after the namespaces are chosen.
  const methods = withRpcModules(selectApis(all, o.apis ?? DEFAULT_RPC_APIS))
  const server = new jayson.Server(instrumentRpcMethods(methods, o.observe) as unknown as Record<string, jayson.MethodLike>)
  const limits = o.limits ?? DEFAULT_RPC_LIMITS
  limitBatches(server, limits)
  const dispatch = jaysonDispatch(server)
  const access = o.access ?? DEFAULT_RPC_ACCESS

  const http = createHttpRpcListener(dispatch, access, onError, limits.bodyLimitBytes)
  http.on('error', (err) => o.logger?.error(`JSON-RPC server on ${o.host}:${o.port}: ${err.message}`))
  const port = await listen(http, o.port, o.host)
  const url = `http://${o.host}:${port}`
  let ws: ReturnType<typeof createWsRpcListener> | undefined
  let wsUrl: string | undefined
  if (o.wsPort !== undefined) {
    ws = createWsRpcListener(dispatch, feed, access, onError)
    ws.server.on('error', (err) => o.logger?.error(`JSON-RPC WebSocket server on ${o.host}:${o.wsPort}: ${err.message}`))
    wsUrl = `ws://${o.host}:${await listen(ws.server, o.wsPort, o.host)}`
  }
  o.logger?.info(`JSON-RPC on ${url}${wsUrl !== undefined ? ` and ${wsUrl}` : ''} (with teecast_)`)
  return {
    url,
    wsUrl,
    http,
    close: async () => {
      compat.close()
      feed.stop()
      ws?.terminate()
      ws?.server.closeAllConnections()
      ws?.server.close()
      http.closeAllConnections()
      http.close()
    },
  }
}
