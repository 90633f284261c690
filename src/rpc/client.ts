/** A minimal JSON-RPC 2.0 client over HTTP (fetch), with the error code and the method in thrown errors. */
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

export async function rpcCall<T>(url: string, method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    throw new RpcCallError(url, method, undefined, (err as Error).message)
  }
  const text = await res.text()
  let body: { result?: T; error?: { code: number; message: string } }
  try {
    body = JSON.parse(text)
  } catch {
    throw new RpcCallError(url, method, undefined, `HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`)
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
