/**
 * CORS and the Host check on a real node's HTTP and WebSocket JSON-RPC (defaults of src/rpc/access.ts), and what
 * the transport answers to malformed requests. Uses node:http directly so that Host and Origin can be set.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import WebSocket from 'ws'
import { startRpcFixture, type RpcFixture } from '../../testnets/rpc-fixture.ts'

let fx: RpcFixture
before(async () => {
  fx = await startRpcFixture({ blocks: 1, txsPerBlock: 1, accounts: 1, seed: 'http-access' })
})
after(async () => fx?.close())

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function http(method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const u = new URL(fx.node.rpcUrl)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path: '/', headers }, (res) => {
      let b = ''
      res.on('data', (c) => (b += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })

test('a preflight from a localhost page is answered and the call carries Access-Control-Allow-Origin', async () => {
  const pre = await http('OPTIONS', { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' })
  assert.equal(pre.status, 204)
  assert.equal(pre.headers['access-control-allow-origin'], 'http://localhost:5173')
  assert.match(String(pre.headers['access-control-allow-methods']), /POST/)
  const r = await http('POST', { Origin: 'http://localhost:5173', 'content-type': 'application/json' }, call)
  assert.equal(r.status, 200)
  assert.equal(r.headers['access-control-allow-origin'], 'http://localhost:5173')
  assert.equal(JSON.parse(r.body).result, `0x${fx.d.chainId.toString(16)}`)
})

test('another origin gets no CORS header, and its preflight is refused', async () => {
  const pre = await http('OPTIONS', { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' })
  assert.equal(pre.status, 403)
  const r = await http('POST', { Origin: 'https://evil.example', 'content-type': 'application/json' }, call)
  assert.equal(r.headers['access-control-allow-origin'], undefined)
})

test('a Host that is not localhost or an IP is refused (DNS rebinding)', async () => {
  const r = await http('POST', { Host: 'rebind.evil.example:8545', 'content-type': 'application/json' }, call)
  assert.equal(r.status, 403)
  assert.match(r.body, /invalid host/)
  assert.equal((await http('POST', { Host: 'localhost:8545', 'content-type': 'application/json' }, call)).status, 200)
})

test('malformed requests: GET 405, wrong content type 415, bad JSON -32700, unknown method -32601', async () => {
  assert.equal((await http('GET', {})).status, 405)
  assert.equal((await http('POST', { 'content-type': 'text/plain' }, call)).status, 415)
  const bad = await http('POST', { 'content-type': 'application/json' }, '{"jsonrpc":')
  assert.equal(JSON.parse(bad.body).error.code, -32700)
  const none = await http('POST', { 'content-type': 'application/json' }, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_nothing', params: [] }))
  assert.equal(JSON.parse(none.body).error.code, -32601)
})

const wsOpen = (headers: Record<string, string>) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(fx.node.wsUrl!, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })

const wsAsk = (ws: WebSocket, text: string) =>
  new Promise<{ result?: unknown; error?: { code: number; message: string } }>((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString())))
    ws.send(text)
  })

test('WebSocket: a foreign Origin or Host is refused at the upgrade; bad input gets JSON-RPC errors', async () => {
  await assert.rejects(wsOpen({ Origin: 'https://evil.example' }), /HTTP 403/)
  await assert.rejects(wsOpen({ Host: 'rebind.evil.example' }), /HTTP 403/)
  const ws = await wsOpen({ Origin: 'http://127.0.0.1:3000' })
  try {
    assert.equal((await wsAsk(ws, 'not json')).error?.code, -32700)
    assert.equal((await wsAsk(ws, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['nonsense'] }))).error?.code, -32602)
    assert.equal((await wsAsk(ws, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_unsubscribe', params: ['0x1'] }))).result, false)
    assert.equal((await wsAsk(ws, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_chainId', params: [] }))).result, `0x${fx.d.chainId.toString(16)}`)
    const sub = await wsAsk(ws, JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'eth_subscribe', params: ['newHeads'] }))
    assert.match(String(sub.result), /^0x[0-9a-f]{32}$/)
  } finally {
    ws.close()
  }
})

test('rpc_modules lists the namespaces; txpool_status and eth_accounts answer', async () => {
  const ask = async (method: string) => JSON.parse((await http('POST', { 'content-type': 'application/json' }, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }))).body).result
  const modules = await ask('rpc_modules')
  for (const ns of ['eth', 'net', 'web3', 'txpool', 'teecast', 'rpc']) assert.equal(modules[ns], '1.0', ns)
  assert.deepEqual(await ask('txpool_status'), { pending: '0x0', queued: '0x0' })
  assert.deepEqual(await ask('eth_accounts'), [])
})
