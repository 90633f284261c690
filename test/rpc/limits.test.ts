/**
 * src/rpc/limits.ts on a real jayson server and a real HTTP listener (no node): batch rules, the batch response cap
 * and the body cap, with small limits so each is cheap to cross. The node-level checks are in hardening.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import jayson from 'jayson/promise/index.js'
import { INVALID_REQUEST, limitBatches, RESPONSE_TOO_LARGE, type RpcLimits } from '../../src/rpc/limits.ts'
import { createHttpRpcListener } from '../../src/rpc/http.ts'
import { DEFAULT_RPC_ACCESS } from '../../src/rpc/access.ts'

const LIMITS: RpcLimits = { bodyLimitBytes: 10_000, batchLimit: 5, batchResponseMaxBytes: 3_000 }

function makeServer(limits: RpcLimits): jayson.Server {
  const server = new jayson.Server({
    echo: async (params: unknown[]) => params[0],
    big: async () => 'x'.repeat(2_000),
  } as unknown as Record<string, jayson.MethodLike>)
  limitBatches(server, limits)
  return server
}

const call = (server: jayson.Server, body: unknown): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(body).slice(0, 80)}`)), 2_000)
    server.call(body as jayson.JSONRPCRequestLike, (err, res) => {
      clearTimeout(timer)
      resolve(err ?? res)
    })
  })

const req = (id: number, method = 'echo', params: unknown[] = [id]) => ({ jsonrpc: '2.0', id, method, params })
type Resp = { id: unknown; result?: unknown; error?: { code: number; message: string } }

test('an empty batch gets one invalid-request error object, not an array', async () => {
  const r = (await call(makeServer(LIMITS), [])) as Resp
  assert.equal(Array.isArray(r), false)
  assert.equal(r.error?.code, INVALID_REQUEST)
  assert.equal(r.id, null)
})

test('nested batches get an error per element and are answered (jayson alone never answers [[]])', async () => {
  const s = makeServer(LIMITS)
  for (const body of [[[]], [[req(1)]], [[], [[]]]]) {
    const r = (await call(s, body)) as Resp[]
    assert.equal(r.length, body.length, JSON.stringify(body))
    for (const e of r) assert.equal(e.error?.code, INVALID_REQUEST)
  }
  const mixed = (await call(s, [[], req(7), 42])) as Resp[]
  assert.deepEqual(mixed.map((e) => e.error?.code ?? e.result), [INVALID_REQUEST, 7, INVALID_REQUEST])
})

test('a batch longer than the limit gets one "batch too large" error; at the limit every element is answered in order', async () => {
  const s = makeServer(LIMITS)
  const over = (await call(s, Array.from({ length: 6 }, (_, i) => req(i + 1)))) as Resp[]
  assert.equal(over.length, 1)
  assert.equal(over[0]!.error?.code, INVALID_REQUEST)
  assert.match(over[0]!.error!.message, /batch too large: 6 elements, at most 5/)
  assert.equal(over[0]!.id, 1)
  const at = (await call(s, Array.from({ length: 5 }, (_, i) => req(i + 1)))) as Resp[]
  assert.deepEqual(at.map((r) => r.result), [1, 2, 3, 4, 5])
})

test('once a batch has answered more than the response cap, the rest get "response too large"; notifications get nothing', async () => {
  const s = makeServer(LIMITS)
  const r = (await call(s, [req(1, 'big', []), req(2, 'big', []), req(3), { jsonrpc: '2.0', method: 'echo', params: [0] }, req(4)])) as Resp[]
  assert.equal(r.length, 4)
  assert.equal(typeof r[0]!.result, 'string')
  assert.equal(typeof r[1]!.result, 'string', 'the element that crosses the cap is still answered (as geth)')
  assert.deepEqual(r.slice(2).map((e) => [e.id, e.error?.code]), [[3, RESPONSE_TOO_LARGE], [4, RESPONSE_TOO_LARGE]])
})

test('single requests and all-notification batches behave as before', async () => {
  const s = makeServer(LIMITS)
  assert.deepEqual(await call(s, req(9)), { jsonrpc: '2.0', id: 9, result: 9 })
  assert.equal(await call(s, [{ jsonrpc: '2.0', method: 'echo', params: [1] }]), undefined)
})

async function listen(limits: RpcLimits): Promise<{ http: Server; port: number }> {
  const server = makeServer(limits)
  const dispatch = (body: string): Promise<string | undefined> =>
    new Promise((resolve) => server.call(body, (err: unknown, res: unknown) => resolve(err ?? res ? JSON.stringify(err ?? res) : undefined)))
  const http = createHttpRpcListener(dispatch, DEFAULT_RPC_ACCESS, () => undefined, limits.bodyLimitBytes)
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  return { http, port: (http.address() as AddressInfo).port }
}

/** POSTs `chunks` (chunked transfer encoding unless `length` is given). */
function post(port: number, chunks: string[], length?: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' }
    if (length !== undefined) headers['content-length'] = length
    const r = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    r.on('error', reject)
    for (const c of chunks) r.write(c)
    r.end()
  })
}

test('bodies over the cap get HTTP 413 with a JSON-RPC error, by content-length or by counting chunks', async () => {
  const { http, port } = await listen(LIMITS)
  try {
    const ok = JSON.stringify(req(1, 'echo', ['y'.repeat(9_000)]))
    const okRes = await post(port, [ok], Buffer.byteLength(ok))
    assert.equal(okRes.status, 200)
    assert.equal(JSON.parse(okRes.body).result.length, 9_000)

    const big = JSON.stringify(req(1, 'echo', ['y'.repeat(20_000)]))
    const declared = await post(port, [big], Buffer.byteLength(big))
    assert.equal(declared.status, 413)
    assert.match(JSON.parse(declared.body).error.message, /request body too large: \d+ bytes, at most 10000/)

    const chunked = await post(port, [big.slice(0, 8_000), big.slice(8_000)])
    assert.equal(chunked.status, 413)
    assert.match(JSON.parse(chunked.body).error.message, /more than 10000 bytes/)

    const garbage = await post(port, ['{"jsonrpc":'])
    assert.equal(garbage.status, 400)
    assert.equal(JSON.parse(garbage.body).error.code, -32700)
  } finally {
    http.closeAllConnections()
    http.close()
  }
})
