/**
 * JSON-RPC over WebSocket on its own port: every method of the HTTP port, plus eth_subscribe / eth_unsubscribe
 * (newHeads, logs, newPendingTransactions), pushed as `eth_subscription` notifications in geth's shape. The upgrade
 * passes the same Host check as HTTP, and a browser Origin must be on the CORS allow-list (access.ts).
 * A connection holds at most MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions; one that does not read its
 * notifications (more than MAX_BUFFERED_BYTES queued) is closed, so a slow reader cannot grow the node's memory.
 */
import type { Server } from 'node:http'
import { randomBytes } from 'node:crypto'
import { WebSocketServer, type WebSocket } from 'ws'
import { hostAllowed, originAllowed, type RpcAccess } from './access.ts'
import { boundedServer, HTTP_BOUNDS, MAX_BODY_BYTES, type Dispatch } from './http.ts'
import type { ChainFeed, FeedEvent } from './chain-feed.ts'
import { jsonHeader } from './json.ts'
import { logMatches, parseLogCriteria, type LogCriteria } from './log-criteria.ts'
import { INVALID_PARAMS } from './teecast.ts'

export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 1_000
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024

type Subscription = { kind: 'newHeads' } | { kind: 'logs'; criteria: LogCriteria } | { kind: 'newPendingTransactions' }

interface Request {
  jsonrpc?: unknown
  id?: unknown
  method?: unknown
  params?: unknown
}

const errorReply = (id: unknown, code: number, message: string) => ({ jsonrpc: '2.0', id: id ?? null, error: { code, message } })

function parseSubscription(params: unknown): Subscription {
  if (!Array.isArray(params) || params.length === 0 || typeof params[0] !== 'string') throw { code: INVALID_PARAMS, message: 'eth_subscribe takes a subscription name: newHeads, logs or newPendingTransactions' }
  const [name, arg] = params
  if (name === 'newHeads' && params.length === 1) return { kind: 'newHeads' }
  if (name === 'logs' && params.length <= 2) return { kind: 'logs', criteria: parseLogCriteria(arg) }
  if (name === 'newPendingTransactions' && params.length <= 2 && (arg === undefined || typeof arg === 'boolean')) return { kind: 'newPendingTransactions' }
  throw { code: INVALID_PARAMS, message: `no "${String(name)}" subscription with these parameters in the eth namespace (newHeads, logs [filter], newPendingTransactions)` }
}

/** One WebSocket client: its subscriptions and the feed listener that serves them. */
class Connection {
  private readonly subs = new Map<string, Subscription>()
  private unlisten: (() => void) | undefined

  constructor(
    private readonly ws: WebSocket,
    private readonly dispatch: Dispatch,
    private readonly feed: ChainFeed,
  ) {}

  async handle(text: string): Promise<string | undefined> {
    let msg: unknown
    try {
      msg = JSON.parse(text)
    } catch {
      return JSON.stringify(errorReply(null, -32700, 'Parse error'))
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) return JSON.stringify(errorReply(null, -32600, 'empty batch'))
      const out: unknown[] = []
      for (const m of msg) {
        const r = await this.one(m)
        if (r !== undefined) out.push(JSON.parse(r))
      }
      return out.length > 0 ? JSON.stringify(out) : undefined
    }
    return this.one(msg)
  }

  private async one(m: unknown): Promise<string | undefined> {
    const req = (typeof m === 'object' && m !== null ? m : {}) as Request
    if (req.method === 'eth_subscribe' || req.method === 'eth_unsubscribe') {
      try {
        const result = req.method === 'eth_subscribe' ? await this.subscribe(req.params) : this.unsubscribe(req.params)
        return JSON.stringify({ jsonrpc: '2.0', id: req.id ?? null, result })
      } catch (err) {
        const e = err as { code?: number; message?: string }
        return JSON.stringify(errorReply(req.id, e.code ?? -32603, e.message ?? String(err)))
      }
    }
    return this.dispatch(JSON.stringify(m))
  }

  private async subscribe(params: unknown): Promise<string> {
    const s = parseSubscription(params)
    if (this.subs.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) throw { code: -32000, message: `at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection` }
    if (this.unlisten === undefined) {
      this.unlisten = this.feed.listen((e) => this.onFeed(e))
      // The first look only notes the head: what follows is news to this subscription.
      await this.feed.look()
    }
    const id = `0x${randomBytes(16).toString('hex')}`
    this.subs.set(id, s)
    return id
  }

  private unsubscribe(params: unknown): boolean {
    if (!Array.isArray(params) || params.length !== 1 || typeof params[0] !== 'string') throw { code: INVALID_PARAMS, message: 'eth_unsubscribe takes one parameter: a subscription id' }
    const gone = this.subs.delete(params[0].toLowerCase())
    if (this.subs.size === 0) this.close()
    return gone
  }

  private notify(id: string, result: unknown): void {
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.close(1008, 'subscription notifications not read')
      this.close()
      return
    }
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result } }))
  }

  private onFeed(e: FeedEvent): void {
    for (const [id, s] of this.subs) {
      if (e.kind === 'block' && s.kind === 'newHeads') {
        this.notify(id, jsonHeader(e.block))
      } else if ((e.kind === 'block' || e.kind === 'removed') && s.kind === 'logs') {
        for (const l of e.logs) if (logMatches(s.criteria, l)) this.notify(id, l)
      } else if (e.kind === 'pendingTx' && s.kind === 'newPendingTransactions') {
        this.notify(id, e.hash)
      }
    }
  }

  close(): void {
    this.unlisten?.()
    this.unlisten = undefined
  }
}

export function createWsRpcListener(dispatch: Dispatch, feed: ChainFeed, access: RpcAccess, onError: (err: Error) => void): { server: Server; terminate: () => void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES })
  // The same connection bounds as the HTTP port: a socket that never finishes its upgrade request holds no slot long.
  const http = boundedServer(HTTP_BOUNDS, (req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', Upgrade: 'websocket' })
    res.end('this port speaks JSON-RPC over WebSocket; use the HTTP RPC port for POST\n')
  })
  http.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin
    if (!hostAllowed(req.headers.host, access.vhosts) || (origin !== undefined && !originAllowed(origin, access.cors))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c = new Connection(ws, dispatch, feed)
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString()
        c.handle(text)
          .then((out) => {
            if (out !== undefined && ws.readyState === ws.OPEN) ws.send(out)
          })
          .catch((err: Error) => onError(err))
      })
      ws.on('close', () => c.close())
      ws.on('error', (err) => {
        onError(err)
        c.close()
      })
    })
  })
  const terminate = (): void => {
    for (const ws of wss.clients) ws.terminate()
    wss.close()
  }
  return { server: http, terminate }
}
