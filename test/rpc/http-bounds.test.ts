/**
 * The HTTP listener's connection bounds (http.ts HTTP_BOUNDS, connection-slots.ts), on a real socket with the bounds
 * lowered: clients that never finish their headers are closed after `headersMs`; past `maxConnections` a new client
 * takes the slot of the one that has waited longest, so slow clients cannot lock out a call, and a request in
 * progress is never cut. Node's defaults let a slowloris client hold a socket for 60 s of headers and 300 s of body,
 * checked every 30 s, and its `maxConnections` refuses every newcomer while the slots are held.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { createHttpRpcListener, HTTP_BOUNDS } from '../../src/rpc/http.ts'
import { DEFAULT_RPC_ACCESS } from '../../src/rpc/access.ts'
import { postRaw } from '../../src/rpc/client.ts'
import { createWsRpcListener } from '../../src/rpc/ws.ts'
import type { ChainFeed } from '../../src/rpc/chain-feed.ts'

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A client that sends the start of a request and never ends its headers; `closed` says when the server hung up. */
function slowClient(port: number): { closed: Promise<number> } {
  const t0 = Date.now()
  const s = net.connect(port, '127.0.0.1', () => s.write('POST / HTTP/1.1\r\nHost: localhost\r\nX-Slow: '))
  s.on('error', () => undefined)
  s.on('data', () => undefined)
  return { closed: new Promise((r) => s.once('close', () => r(Date.now() - t0))) }
}

test('the defaults bound connections and header and request times', () => {
  assert.ok(HTTP_BOUNDS.maxConnections >= 256 && HTTP_BOUNDS.maxConnections <= 4_096)
  // A half-open client must be gone within 10 s, the server's check interval included.
  assert.ok(HTTP_BOUNDS.headersMs <= 8_000 && HTTP_BOUNDS.requestMs <= 60_000)
})

const call = (port: number, id: number) => postRaw(`http://127.0.0.1:${port}/`, JSON.stringify({ jsonrpc: '2.0', id, method: 'x', params: [] }), 5_000)

test('past maxConnections a newcomer takes the slot of the longest-waiting client, never of a request in progress', { timeout: 30_000 }, async () => {
  let release: () => void = () => undefined
  const held = new Promise<void>((r) => { release = r })
  // Call id 1 is held in dispatch until released: a busy socket.
  const dispatch = async (body: string): Promise<string> => {
    const id = (JSON.parse(body) as { id: number }).id
    if (id === 1) await held
    return JSON.stringify({ jsonrpc: '2.0', id, result: 'ok' })
  }
  const http = createHttpRpcListener(dispatch, DEFAULT_RPC_ACCESS, () => undefined, 10_000, { maxConnections: 3, headersMs: 20_000, requestMs: 25_000 })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const port = (http.address() as AddressInfo).port
  try {
    const busy = call(port, 1)
    await wait(100)
    const first = slowClient(port)
    await wait(50)
    const second = slowClient(port)
    await wait(100)
    // All three slots taken (one busy, two waiting): a call evicts the oldest waiting client, not the busy one.
    const a = await call(port, 2)
    assert.equal(a.status, 200, 'a new call is answered while slow clients hold the other slots')
    const firstClosed = await Promise.race([first.closed, wait(1_000).then(() => -1)])
    assert.ok(firstClosed >= 0, 'the longest-waiting slow client was closed for the newcomer')
    const secondClosed = await Promise.race([second.closed, wait(300).then(() => -1)])
    assert.equal(secondClosed, -1, 'only one slot was freed')
    release()
    const b = await busy
    assert.equal(b.status, 200, 'the request in progress was never cut')
    assert.equal((JSON.parse(b.text) as { result: string }).result, 'ok')
  } finally {
    release()
    http.closeAllConnections()
    await new Promise((r) => http.close(r))
  }
})

test('slow clients are closed after headersMs; past maxConnections the oldest is closed at once; then calls are answered', { timeout: 30_000 }, async () => {
  const dispatch = async (body: string): Promise<string> => JSON.stringify({ jsonrpc: '2.0', id: (JSON.parse(body) as { id: number }).id, result: 'ok' })
  const http = createHttpRpcListener(dispatch, DEFAULT_RPC_ACCESS, () => undefined, 10_000, { maxConnections: 3, headersMs: 800, requestMs: 2_000 })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const port = (http.address() as AddressInfo).port
  try {
    const slow = [slowClient(port), slowClient(port), slowClient(port)]
    await wait(200)
    const extra = slowClient(port)
    const oldestClosedAfter = await Promise.race([slow[0]!.closed, wait(500).then(() => -1)])
    assert.ok(oldestClosedAfter >= 0 && oldestClosedAfter < 700, `past maxConnections the oldest waiting client is closed at once (${oldestClosedAfter} ms)`)
    slow[0] = extra
    const times = await Promise.all(slow.map((c) => Promise.race([c.closed, wait(10_000).then(() => -1)])))
    for (const ms of times) assert.ok(ms >= 0 && ms < 5_000, `a client that never ended its headers was closed after ${ms} ms`)
    const a = await postRaw(`http://127.0.0.1:${port}/`, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: [] }), 5_000)
    assert.equal(a.status, 200)
    assert.equal((JSON.parse(a.text) as { result: string }).result, 'ok')
  } finally {
    http.closeAllConnections()
    await new Promise((r) => http.close(r))
  }
})

test('the WebSocket port has the same bounds: a client that never ends its upgrade request is closed within 10 s', { timeout: 30_000 }, async () => {
  // No client subscribes here, so the feed is never used.
  const { server, terminate } = createWsRpcListener(async () => undefined, {} as ChainFeed, DEFAULT_RPC_ACCESS, () => undefined)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  try {
    const ms = await Promise.race([slowClient(port).closed, wait(12_000).then(() => -1)])
    assert.ok(ms >= 0 && ms < 10_000, `a half-open client on the WebSocket port was closed after ${ms} ms`)
  } finally {
    terminate()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
})
