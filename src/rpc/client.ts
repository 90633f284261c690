/**
 * A minimal JSON-RPC 2.0 client over HTTP, with the error code and the method in thrown errors. It uses node:http
 * on a keep-alive agent rather than fetch: undici's fetch (web streams, an AbortSignal per call) cost about 1 ms of
 * CPU per call, more than most methods take in the node, and the bench and `testnet send` share their cores with
 * the nodes they measure.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'

export class RpcCallError extends Error {
  constructor(
    readonly url: string,
    readonly method: string,
    readonly code: number | undefined,
    message: string,
  ) {
    super(`${method} on ${url}: ${message}${code !== undefined ? ` (code ${code})` : ''}`)
    this.name = 'RpcCallError'
  }
}

let nextId = 1

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) }

export interface HttpAnswer {
  status: number
  text: string
}

/**
 * One POST; a keep-alive socket that the server closed just before reuse is retried once, on a connection of its own
 * (the pool may hold more sockets to a server that went away, e.g. a node restarted between two calls).
 */
function post(url: URL, body: string, timeoutMs: number, retried = false): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === 'https:'
    const send = https ? httpsRequest : httpRequest
    let req: ClientRequest | undefined
    const timer = setTimeout(() => req?.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    req = send(
      url,
      { method: 'POST', agent: retried ? false : https ? agents.https : agents.http, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          clearTimeout(timer)
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
        })
        res.on('error', (err) => {
          clearTimeout(timer)
          reject(err)
        })
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (!retried && req?.reusedSocket === true && err.code === 'ECONNRESET') post(url, body, timeoutMs, true).then(resolve, reject)
      else reject(err)
    })
    req.end(body)
  })
}

/** One raw POST of `body` (any bytes a caller wants to test a server with): the HTTP status and the text back. */
export function postRaw(url: string, body: string, timeoutMs = 10_000): Promise<HttpAnswer> {
  return post(new URL(url), body, timeoutMs)
}

export async function rpcCall<T>(url: string, method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
  let answer: HttpAnswer
  try {
    answer = await post(new URL(url), JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }), timeoutMs)
  } catch (err) {
    throw new RpcCallError(url, method, undefined, (err as Error).message)
  }
  let body: { result?: T; error?: { code: number; message: string } }
  try {
    body = JSON.parse(answer.text)
  } catch {
    throw new RpcCallError(url, method, undefined, `HTTP ${answer.status}, not JSON: ${answer.text.slice(0, 200)}`)
  }
  if (body.error !== undefined) throw new RpcCallError(url, method, body.error.code, body.error.message)
  return body.result as T
}

/** Resolves once the endpoint answers eth_blockNumber, or rejects after `timeoutMs`. */
export async function waitForRpc(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      await rpcCall(url, 'eth_blockNumber', [], 2_000)
      return
    } catch (err) {
      last = err
      await sleep(200)
    }
  }
  throw new Error(`no JSON-RPC answer from ${url} within ${timeoutMs} ms: ${(last as Error | undefined)?.message ?? 'timeout'}`)
}
