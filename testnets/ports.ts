/**
 * Port checks made before a testnet starts, so that a bad or taken port fails at once with its name, rather than
 * as a node that dies in its log while `up` waits for an answer (or is answered by another testnet's node).
 */
import { createServer } from 'node:net'
import type { TestnetDescription } from './description.ts'

/** Linux's default ephemeral range (net.ipv4.ip_local_port_range): outgoing connections may hold these ports. */
export const EPHEMERAL_PORTS = { from: 32768, to: 60999 } as const

export interface NamedPort {
  /** e.g. "n2 rpc". */
  label: string
  port: number
}

/** Every port the testnet's nodes listen on (metrics port 0 means no /metrics server). */
export function portsOf(d: TestnetDescription): NamedPort[] {
  return d.nodes.flatMap((n) => [
    { label: `${n.name} devp2p`, port: n.p2pPort },
    { label: `${n.name} rpc`, port: n.rpcPort },
    ...(n.metricsPort > 0 ? [{ label: `${n.name} metrics`, port: n.metricsPort }] : []),
  ])
}

/** A reason the ports cannot work, or undefined: out of range, or two nodes on one port. */
export function portProblem(ports: readonly NamedPort[]): string | undefined {
  for (const p of ports) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65_535) return `${p.label} port ${p.port} is not a TCP port (1-65535)`
  }
  const seen = new Map<number, string>()
  for (const p of ports) {
    const other = seen.get(p.port)
    if (other !== undefined) return `${p.label} and ${other} would both use port ${p.port}`
    seen.set(p.port, p.label)
  }
  return undefined
}

/** The ports in the ephemeral range, where a connection's local port can take them before a node binds. */
export function ephemeralPorts(ports: readonly NamedPort[]): NamedPort[] {
  return ports.filter((p) => p.port >= EPHEMERAL_PORTS.from && p.port <= EPHEMERAL_PORTS.to)
}

function canListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(undefined)))
  })
}

/** The ports that cannot be bound on `host` now, each with the error (EADDRINUSE, EACCES, ...). */
export async function busyPorts(host: string, ports: readonly NamedPort[]): Promise<Array<NamedPort & { error: string }>> {
  const out: Array<NamedPort & { error: string }> = []
  for (const p of ports) {
    const error = await canListen(host, p.port)
    if (error !== undefined) out.push({ ...p, error })
  }
  return out
}
