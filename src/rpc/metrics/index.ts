/**
 * Prometheus /metrics of one node, on a registry of its own (several nodes may share a process in tests): the
 * process's default metrics, teecast's wire counters (read from the node's WireStats at scrape time), chain and
 * pool (chain.ts), propagation, per-peer and tee/1 (propagation.ts), JSON-RPC (rpc.ts) and build_info. Every
 * teecast name starts with `teecast_`; every series carries the labels `node` and `propagation`.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import promClient from 'prom-client'
import type { EthereumClient } from '@ethereumjs/client/dist/esm/src/client.js'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import type { InstalledPropagation } from '../../p2p/install.ts'
import { createChainMetrics } from './chain.ts'
import { createBuildInfo, createPropagationMetrics } from './propagation.ts'
import { createRpcMetrics, type RpcObserver } from './rpc.ts'

export { instrumentRpcMethods, type RpcObserver } from './rpc.ts'

export function registerTeecastMetrics(p: InstalledPropagation, register: promClient.Registry): void {
  const split = (key: string): { protocol: string; message: string } => {
    const i = key.indexOf('/')
    return { protocol: key.slice(0, i), message: key.slice(i + 1) }
  }
  const perMessage = (name: string, help: string, inField: 'in' | 'bytesIn', outField: 'out' | 'bytesOut'): void => {
    new promClient.Counter({
      name,
      help,
      labelNames: ['protocol', 'message', 'direction'],
      registers: [register],
      collect() {
        this.reset()
        for (const [k, c] of p.stats.messages) {
          const l = split(k)
          this.inc({ ...l, direction: 'in' }, c[inField])
          this.inc({ ...l, direction: 'out' }, c[outField])
        }
      },
    })
  }
  perMessage('teecast_p2p_messages_total', 'devp2p messages by protocol, message name and direction', 'in', 'out')
  perMessage('teecast_p2p_bytes_total', 'devp2p framed bytes by protocol, message name and direction', 'bytesIn', 'bytesOut')
  new promClient.Counter({
    name: 'teecast_duplicate_payloads_total',
    help: 'Full payloads received for items this node already had',
    labelNames: ['kind'],
    registers: [register],
    collect() {
      this.reset()
      this.inc({ kind: 'tx' }, p.stats.duplicates.tx)
      this.inc({ kind: 'block' }, p.stats.duplicates.block)
    },
  })
  new promClient.Gauge({
    name: 'teecast_peers',
    help: 'Connected devp2p peers',
    registers: [register],
    collect() {
      this.set(p.peerCount())
    },
  })
}

const packageVersion = (rel: string): string => {
  try {
    return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

export interface NodeMetrics {
  readonly register: promClient.Registry
  /** The JSON-RPC server's hook: one call per request. */
  readonly rpc: RpcObserver
  /** Serves /metrics on host:port. */
  listen(o: { host: string; port: number }): Server
}

/** Every metric of one node, on a fresh registry. */
export function createNodeMetrics(p: InstalledPropagation, client: EthereumClient, service: FullEthereumService): NodeMetrics {
  const register = new promClient.Registry()
  register.setDefaultLabels({ node: p.name, propagation: p.mode })
  promClient.collectDefaultMetrics({ register })
  // Gauges named like counters, which `promtool check metrics` rejects; handle counts are of no use on a dashboard.
  for (const name of LINT_FAILING_DEFAULTS) register.removeSingleMetric(name)
  registerTeecastMetrics(p, register)
  createChainMetrics(register, client, service, p.stats)
  createPropagationMetrics(register, p)
  createBuildInfo(register, { version: packageVersion('../../../package.json'), mode: p.mode, clientVersion: packageVersion('../../../node_modules/@ethereumjs/client/package.json') })
  const rpc = createRpcMetrics(register)
  return { register, rpc, listen: (o) => serveMetrics(register, o) }
}

function serveMetrics(register: promClient.Registry, o: { host: string; port: number }): Server {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.statusCode = 404
      res.end('not found: try /metrics\n')
      return
    }
    register
      .metrics()
      .then((text) => {
        res.setHeader('Content-Type', register.contentType)
        res.end(text)
      })
      .catch((err: Error) => {
        res.statusCode = 500
        res.end(`metrics failed: ${err.message}\n`)
      })
  })
  server.listen(o.port, o.host)
  return server
}
