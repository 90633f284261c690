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
  /**
   * Injects or heals a fault. `blocked`: a partition; nothing is delivered either way, and the senders are held by
   * TCP backpressure (as on a link that drops every packet, TCP retransmits until it heals or the peer gives up);
   * new connections wait too. `spec`: shape later bytes by another spec (a slow or lossy link).
   */
  setFault(f: { blocked: boolean; spec: LinkSpec }): void
}

/** Shared by every direction of one proxy: whether the link is cut, and what to do when it heals. */
interface LinkState {
  blocked: boolean
  onHeal: Set<() => void>
}

function shapeDirection(from: net.Socket, to: net.Socket, shaper: LinkShaper, counted: (n: number) => void, link: LinkState): void {
  const queue: { at: number; chunk: Buffer }[] = []
  let queued = 0
  let timer: NodeJS.Timeout | undefined
  const heal = (): void => {
    if (queue.length > 0 && timer === undefined) timer = setTimeout(flush, 0)
    if (from.isPaused() && queued < MAX_QUEUED_BYTES / 2) from.resume()
  }
  link.onHeal.add(heal)
  from.on('close', () => link.onHeal.delete(heal))
  const flush = (): void => {
    timer = undefined
    if (link.blocked) {
      from.pause()
      return
    }
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
    const now = performance.now()
    let offset = 0
    for (const n of shaper.pieces(chunk.length)) {
      queue.push({ at: shaper.deliveryTime(now, n), chunk: chunk.subarray(offset, offset + n) })
      offset += n
    }
    queued += chunk.length
    if (queued > MAX_QUEUED_BYTES || link.blocked) from.pause()
    if (timer === undefined && !link.blocked) timer = setTimeout(flush, Math.max(0, queue[0]!.at - performance.now()))
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
  const link: LinkState = { blocked: false, onHeal: new Set() }
  const shapers = new Set<LinkShaper>()
  let spec = o.spec
  let conn = 0
  const connect = (client: net.Socket): void => {
    if (client.destroyed) return
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
    const fwd = new LinkShaper(spec, seed)
    const back = new LinkShaper(spec, seed + 1)
    for (const sh of [fwd, back]) shapers.add(sh)
    client.on('close', () => {
      shapers.delete(fwd)
      shapers.delete(back)
    })
    shapeDirection(client, upstream, fwd, (n) => (bytes.forward += n), link)
    shapeDirection(upstream, client, back, (n) => (bytes.backward += n), link)
    client.resume()
  }
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    if (!link.blocked) return connect(client)
    // A connection attempt across a cut link waits for the heal (the dialer's own timeouts decide when to give up).
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    const later = (): void => {
      link.onHeal.delete(later)
      connect(client)
    }
    link.onHeal.add(later)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.listenPort ?? 0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    stats: () => ({ ...bytes }),
    setFault: (f) => {
      spec = f.spec
      for (const sh of shapers) sh.setSpec(f.spec)
      const healed = link.blocked && !f.blocked
      link.blocked = f.blocked
      if (healed) for (const h of [...link.onHeal]) h()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
