/**
 * A TCP proxy that applies a LinkSpec in each direction: listen on 127.0.0.1, forward to a target port, and hand
 * every chunk to a LinkShaper that says when the far end may see it. One proxy per directed link between two node
 * processes (the dialer connects to the proxy instead of the peer). Timers are the only clock; the shaping logic is
 * in shaper.ts.
 */
import net from 'node:net'
import { LinkShaper } from './shaper.ts'
import type { LinkSpec } from './spec.ts'

/** Bytes queued in one direction before the proxy stops reading from the sender (TCP backpressure). */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024

export interface LinkProxy {
  port: number
  close(): Promise<void>
  /** Bytes forwarded so far, per direction. */
  stats(): { forward: number; backward: number }
}

function shapeDirection(from: net.Socket, to: net.Socket, shaper: LinkShaper, counted: (n: number) => void): void {
  const queue: { at: number; chunk: Buffer }[] = []
  let queued = 0
  let timer: NodeJS.Timeout | undefined
  const flush = (): void => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && queue[0]!.at <= now) {
      const { chunk } = queue.shift()!
      queued -= chunk.length
      counted(chunk.length)
      if (!to.destroyed) to.write(chunk)
    }
    if (queued < MAX_QUEUED_BYTES / 2 && from.isPaused()) from.resume()
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.at - performance.now()))
    else if (from.readableEnded && !to.destroyed) to.end()
  }
  from.on('data', (chunk: Buffer) => {
    queue.push({ at: shaper.deliveryTime(performance.now(), chunk.length), chunk })
    queued += chunk.length
    if (queued > MAX_QUEUED_BYTES) from.pause()
    if (timer === undefined) timer = setTimeout(flush, Math.max(0, queue[0]!.at - performance.now()))
  })
  from.on('end', () => {
    if (queue.length === 0 && !to.destroyed) to.end()
  })
  from.on('close', () => {
    if (queue.length === 0 && timer !== undefined) clearTimeout(timer)
  })
}

export async function startLinkProxy(o: { targetPort: number; targetHost?: string; spec: LinkSpec; seed?: number; listenPort?: number }): Promise<LinkProxy> {
  const sockets = new Set<net.Socket>()
  const bytes = { forward: 0, backward: 0 }
  let conn = 0
  const server = net.createServer((client) => {
    const upstream = net.connect(o.targetPort, o.targetHost ?? '127.0.0.1')
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      // A reset on one side closes the other, as a real link would.
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    const seed = ((o.seed ?? 1) * 1_000_003 + conn++ * 2) >>> 0
    shapeDirection(client, upstream, new LinkShaper(o.spec, seed), (n) => (bytes.forward += n))
    shapeDirection(upstream, client, new LinkShaper(o.spec, seed + 1), (n) => (bytes.backward += n))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.listenPort ?? 0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    stats: () => ({ ...bytes }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
