/**
 * Prometheus /metrics: the process's default metrics, the client's tx pool gauges (registered on the default
 * registry by the client), and teecast's wire counters, read from the node's WireStats at scrape time.
 */
import { createServer, type Server } from 'node:http'
import promClient from 'prom-client'
import type { InstalledPropagation } from '../p2p/install.ts'

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

export function startMetricsServer(p: InstalledPropagation, o: { host: string; port: number }): Server {
  const register = promClient.register
  register.setDefaultLabels({ node: p.name, propagation: p.mode })
  promClient.collectDefaultMetrics({ register })
  registerTeecastMetrics(p, register)
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
