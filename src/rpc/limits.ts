/**
 * HTTP- and batch-level guards of the JSON-RPC server, with go-ethereum's limits as defaults:
 * - a request body cap (geth: 5 MiB), answered with HTTP 413 and a JSON-RPC error instead of being parsed;
 * - batches: an empty batch gets one invalid-request error (JSON-RPC 2.0 §6); a nested batch element gets an
 *   invalid-request error of its own (jayson 4.3.0 skips such elements and, for a batch of only those, never answers);
 *   more than `batchLimit` elements get one "batch too large" error (geth: 1000); once the answers of a batch pass
 *   `batchResponseMaxBytes` (geth: 25 MB), every later element gets "response too large" (geth: -32003).
 * Batch elements run one after the other, with a macrotask yield between them, so one batch cannot starve block
 * import or other clients. Everything else (methods, CORS, Host checks, WebSocket) is untouched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type jayson from 'jayson/promise/index.js'

export interface RpcLimits {
  /** Largest request body accepted, bytes. */
  bodyLimitBytes: number
  /** Most elements in one batch. */
  batchLimit: number
  /** Once a batch's answers add up to more than this (bytes of JSON), the remaining elements are refused. */
  batchResponseMaxBytes: number
}

/** geth 1.14's defaults: rpc/http.go defaultBodyLimit, node/defaults.go BatchRequestLimit and BatchResponseMaxSize. */
export const DEFAULT_RPC_LIMITS: RpcLimits = {
  bodyLimitBytes: 5 * 1024 * 1024,
  batchLimit: 1000,
  batchResponseMaxBytes: 25_000_000,
}

export function validateRpcLimits(l: RpcLimits): string | undefined {
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v < 1) return `${k} must be a whole number >= 1, got ${v}`
  }
  return undefined
}

/** A refused body is still read up to this many times the limit (then the connection is cut). */
const DRAIN_FACTOR = 4

export const INVALID_REQUEST = -32600
export const PARSE_ERROR = -32700
/** geth's errcodeResponseTooLarge. */
export const RESPONSE_TOO_LARGE = -32003

type JsonRpcResponse = { jsonrpc: '2.0'; id: unknown; result?: unknown; error?: { code: number; message: string } }
type Callback = (err: unknown, res?: unknown) => void
type CallFn = (request: unknown, context: unknown, cb: Callback) => void

const errorResponse = (code: number, message: string, id: unknown = null): JsonRpcResponse => ({ jsonrpc: '2.0', id, error: { code, message } })
const idOf = (r: unknown): unknown => (r !== null && typeof r === 'object' && 'id' in r ? (r as { id: unknown }).id ?? null : null)
const isNotification = (r: unknown): boolean => r !== null && typeof r === 'object' && !Array.isArray(r) && idOf(r) === null
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Replaces the server's batch handling (for every transport: HTTP and WebSocket both go through `server.call`). */
export function limitBatches(server: jayson.Server, limits: RpcLimits): void {
  const s = server as unknown as { call: CallFn }
  const single: CallFn = s.call.bind(server)
  const callOne = (request: unknown, context: unknown): Promise<unknown> =>
    new Promise((resolve) => single(request, context, (err, res) => resolve(err ?? res)))
  s.call = (request, context, cb) => {
    if (typeof context === 'function') {
      cb = context as Callback
      context = {}
    }
    const done: Callback = typeof cb === 'function' ? cb : () => undefined
    if (typeof request === 'string') {
      let parsed: unknown
      try {
        parsed = JSON.parse(request)
      } catch (err) {
        done(errorResponse(PARSE_ERROR, `parse error: ${(err as Error).message}`))
        return
      }
      request = parsed
    }
    if (!Array.isArray(request)) {
      single(request, context ?? {}, done)
      return
    }
    if (request.length === 0) {
      done(errorResponse(INVALID_REQUEST, 'empty batch'))
      return
    }
    if (request.length > limits.batchLimit) {
      const firstCall = request.find((r) => idOf(r) !== null)
      done(null, [errorResponse(INVALID_REQUEST, `batch too large: ${request.length} elements, at most ${limits.batchLimit} (--rpc-batch-limit)`, idOf(firstCall))])
      return
    }
    runBatch(request, context ?? {}).then(
      (responses) => (responses.length === 0 ? done(null) : done(null, responses)),
      (err: Error) => done(errorResponse(-32603, `batch failed: ${err.message}`)),
    )
  }

  const runBatch = async (requests: unknown[], context: unknown): Promise<unknown[]> => {
    const out: unknown[] = []
    let bytes = 0
    for (const r of requests) {
      if (bytes > limits.batchResponseMaxBytes) {
        if (!isNotification(r)) out.push(errorResponse(RESPONSE_TOO_LARGE, `response too large: the batch's answers passed ${limits.batchResponseMaxBytes} bytes (--rpc-batch-response-max-size)`, idOf(r)))
        continue
      }
      if (Array.isArray(r)) {
        out.push(errorResponse(INVALID_REQUEST, 'invalid request: a batch element must be a request object, not a nested batch'))
        continue
      }
      const res = await callOne(r, context)
      if (res !== undefined && res !== null) {
        out.push(res)
        bytes += Buffer.byteLength(JSON.stringify(res))
      }
      await yieldToEventLoop()
    }
    return out
  }
}

/**
 * Reads a POST body of at most `limit` bytes. A larger one gets HTTP 413 with a JSON-RPC error (the rest of it is
 * read and dropped, up to DRAIN_FACTOR times the limit, so that the client sees the answer rather than a reset;
 * past that the connection is cut); a body that is not JSON gets HTTP 400 with a parse error. Resolves with the
 * text, or undefined when it has answered the request itself.
 */
export function readLimitedBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const refuse = (status: number, body: JsonRpcResponse): void => {
      resolve(undefined)
      if (res.headersSent) return
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }
    let dropped = 0
    const drop = (c: Buffer): void => {
      dropped += c.length
      if (dropped > DRAIN_FACTOR * limit) req.socket.destroy()
    }
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (declared > limit) {
      refuse(413, errorResponse(INVALID_REQUEST, `request body too large: ${declared} bytes, at most ${limit} (--rpc-body-limit)`))
      req.on('data', drop)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (c: Buffer) => {
      if (over) return drop(c)
      size += c.length
      if (size > limit) {
        over = true
        chunks.length = 0
        refuse(413, errorResponse(INVALID_REQUEST, `request body too large: more than ${limit} bytes (--rpc-body-limit)`))
        return
      }
      chunks.push(c)
    })
    req.on('error', () => {
      res.destroy()
      resolve(undefined)
    })
    req.on('end', () => {
      if (over) return
      const text = Buffer.concat(chunks).toString('utf8')
      try {
        JSON.parse(text)
      } catch (err) {
        refuse(400, errorResponse(PARSE_ERROR, `parse error: ${(err as Error).message}`))
        return
      }
      resolve(text)
    })
  })
}
