/**
 * The HTTP listener's connection bounds (http.ts HTTP_BOUNDS), on a real socket with the bounds lowered: clients
 * that never finish their headers are closed after `headersMs`, connections past `maxConnections` are closed at once,
 * and a normal call is answered once the idle ones are gone. Node's defaults let a slowloris client hold a socket
 * for 60 s of headers and 300 s of body, checked every 30 s.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { createHttpRpcListener, HTTP_BOUNDS } from '../../src/rpc/http.ts'
import { DEFAULT_RPC_ACCESS } from '../../src/rpc/access.ts'
import { postRaw } from '../../src/rpc/client.ts'

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
  assert.ok(HTTP_BOUNDS.headersMs <= 30_000 && HTTP_BOUNDS.requestMs <= 60_000)
})

test('slow clients are closed after headersMs; past maxConnections a connection is closed at once; then calls are answered', { timeout: 30_000 }, async () => {
  const dispatch = async (body: string): Promise<string> => JSON.stringify({ jsonrpc: '2.0', id: (JSON.parse(body) as { id: number }).id, result: 'ok' })
  const http = createHttpRpcListener(dispatch, DEFAULT_RPC_ACCESS, () => undefined, 10_000, { maxConnections: 3, headersMs: 800, requestMs: 2_000 })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const port = (http.address() as AddressInfo).port
  try {
    const slow = [slowClient(port), slowClient(port), slowClient(port)]
    await wait(200)
    const extra = slowClient(port)
    const extraClosedAfter = await Promise.race([extra.closed, wait(500).then(() => -1)])
    assert.ok(extraClosedAfter >= 0, 'a connection past maxConnections is closed at once')
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
