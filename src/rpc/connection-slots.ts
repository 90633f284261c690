/**
 * Connection slots for a JSON-RPC server (HTTP, or the WebSocket port's upgrade server), so that clients that hold
 * sockets without asking anything cannot lock out the ones that do. Node's `server.maxConnections` closes every new
 * connection once the limit is reached: 1,024 slowloris sockets then refuse every honest client until their header
 * timeout ends.
 *
 * Stages of a socket: waiting (connected, or its last response finished, and no request's headers in yet) -> busy (a
 * request's headers are in, until its response ends; an upgraded WebSocket stays busy) -> waiting -> closed.
 *
 * Invariants, after each connection is handled:
 * - at most `max` sockets are open;
 * - a busy socket is never closed for a slot;
 * - when a new connection finds every slot taken, the socket that has waited longest is closed, which is the new one
 *   only when every other socket is busy.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

export interface ConnectionSlots {
  /** Sockets open now. */
  open(): number
  /** Sockets closed to free a slot since the server started. */
  evicted(): number
}

export function boundConnections(server: Server, max: number): ConnectionSlots {
  // Waiting since (ms), or undefined while busy.
  const sockets = new Map<Socket, number | undefined>()
  let evicted = 0
  const busy = (s: Socket) => { if (sockets.has(s)) sockets.set(s, undefined) }
  server.on('connection', (s: Socket) => {
    sockets.set(s, Date.now())
    s.once('close', () => sockets.delete(s))
    if (sockets.size <= max) return
    let oldest: Socket = s
    let since = Infinity
    for (const [other, t] of sockets) {
      if (t !== undefined && t < since) {
        oldest = other
        since = t
      }
    }
    evicted++
    sockets.delete(oldest)
    oldest.destroy()
  })
  server.on('request', (req, res) => {
    const s = req.socket
    busy(s)
    res.once('close', () => { if (sockets.has(s) && !s.destroyed) sockets.set(s, Date.now()) })
  })
  server.on('upgrade', (req) => busy(req.socket as Socket))
  return { open: () => sockets.size, evicted: () => evicted }
}
