/**
 * The HTTP side of a node's JSON-RPC: the Host check and CORS of `access.ts` in front, then the JSON body to the
 * dispatcher. Preflight (OPTIONS) is answered 204 with the allowed methods and headers when the Origin is allowed,
 * 403 when it is not. Only POST with a JSON body carries calls.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { hostAllowed, originAllowed, type RpcAccess } from './access.ts'
import { readLimitedBody } from './limits.ts'
import { boundConnections } from './connection-slots.ts'

/** A JSON-RPC request body (one call or a batch), as text; resolves with the response text, or undefined for none. */
export type Dispatch = (body: string) => Promise<string | undefined>

/** Default body bound: geth's (--rpc-body-limit sets it per node). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024
/** How long a browser may cache a preflight answer, seconds. */
const PREFLIGHT_MAX_AGE = 600

/**
 * Connection bounds, so that idle or slow clients cannot hold the node's file descriptors (20,000 here, shared with
 * devp2p and LevelDB): at most `maxConnections` open at once per port (past it, a new connection takes the slot of
 * the one that has waited longest without a request: `connection-slots.ts`), the request's headers within `headersMs`
 * and its whole body within `requestMs` (node's defaults are 60 s and 300 s, checked every 30 s; geth's
 * ReadHeaderTimeout and ReadTimeout are 30 s). 5 s of headers: a half-open client is gone within 10 s, checks included.
 */
export interface HttpBounds {
  maxConnections: number
  headersMs: number
  requestMs: number
}
export const HTTP_BOUNDS: HttpBounds = { maxConnections: 1_024, headersMs: 5_000, requestMs: 30_000 }

/** A node HTTP server with the header and request timeouts of `bounds`, checked often enough to hold them. */
export function boundedServer(bounds: HttpBounds, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer({ headersTimeout: bounds.headersMs, requestTimeout: bounds.requestMs, connectionsCheckingInterval: Math.min(500, bounds.headersMs) }, onRequest)
  boundConnections(server, bounds.maxConnections)
  return server
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Applies the Host and CORS checks; false when it has answered the request itself. */
export function admit(req: IncomingMessage, res: ServerResponse, access: RpcAccess): boolean {
  if (!hostAllowed(req.headers.host, access.vhosts)) {
    refuse(res, 403, `invalid host specified: ${req.headers.host ?? ''} (allowed: --rpc-vhosts)\n`)
    return false
  }
  const origin = req.headers.origin
  if (origin !== undefined) {
    if (!originAllowed(origin, access.cors)) {
      // Like geth: no CORS headers, so the browser hides the answer; a preflight is refused outright.
      if (req.method === 'OPTIONS') {
        refuse(res, 403, `origin ${origin} not allowed (--rpc-cors)\n`)
        return false
      }
    } else {
      res.setHeader('Access-Control-Allow-Origin', origin)
      res.setHeader('Vary', 'Origin')
    }
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'content-type',
      'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE),
      'content-length': '0',
    })
    res.end()
    return false
  }
  return true
}

export function createHttpRpcListener(dispatch: Dispatch, access: RpcAccess, onError: (err: Error) => void, bodyLimitBytes = MAX_BODY_BYTES, bounds: HttpBounds = HTTP_BOUNDS): Server {
  return boundedServer(bounds, (req, res) => {
    if (!admit(req, res, access)) return
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS')
      refuse(res, 405, 'JSON-RPC takes POST\n')
      return
    }
    const type = req.headers['content-type'] ?? ''
    if (!/^application\/json\b/i.test(type)) {
      refuse(res, 415, 'content-type must be application/json\n')
      return
    }
    void readLimitedBody(req, res, bodyLimitBytes).then((text) => {
      if (text === undefined) return
      dispatch(text)
        .then((out) => {
          if (out === undefined) {
            res.writeHead(204)
            res.end()
            return
          }
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) })
          res.end(out)
        })
        .catch((err: Error) => {
          onError(err)
          refuse(res, 500, `JSON-RPC dispatch failed: ${err.message}\n`)
        })
    })
  })
}
