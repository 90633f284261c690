/** Per-link specs: parsed from testnet.json's perLink entries, and each dialed peer gets its own link's delay. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { LinkProxies } from '../../src/shared/linkemu/proxies.ts'
import { LinkSpecError, parseLinkSpec, portPairKey, specForLink, UNLIMITED } from '../../src/shared/linkemu/spec.ts'

test('perLink entries parse, and a link without one keeps the common spec', () => {
  const spec = parseLinkSpec({ delay: '50ms', perLink: { '30600-30603': { delay: '100ms', jitter: '2ms' } } })
  assert.deepEqual(spec.perLink, { '30600-30603': { delayMs: 100, jitterMs: 2, rateBps: Infinity, loss: 0 } })
  assert.equal(portPairKey(30603, 30600), '30600-30603')
  assert.equal(specForLink(spec, 30603, 30600).delayMs, 100, 'either end finds the entry')
  assert.equal(specForLink(spec, 30600, 30601).delayMs, 50)
  assert.throws(() => parseLinkSpec({ perLink: { 'n0-n3': { delay: '1ms' } } }), (e: Error) => e instanceof LinkSpecError && /not a port pair/.test(e.message))
  assert.throws(() => parseLinkSpec({ perLink: { '1-2': { delay: 'soon' } } }), /perLink 1-2: delay: "soon" is not a duration/)
})

async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => s.pipe(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) }
}

async function rttMs(port: number): Promise<number> {
  const s = net.connect(port, '127.0.0.1')
  s.setNoDelay(true)
  await new Promise((r) => s.once('connect', r))
  const t0 = performance.now()
  s.write(Buffer.from([1]))
  await new Promise((r) => s.once('data', r))
  const ms = performance.now() - t0
  s.destroy()
  return ms
}

test('a node dials each peer through a proxy with that link delay', { timeout: 20_000 }, async () => {
  const [near, far] = [await echoServer(), await echoServer()]
  const own = 40_000
  const spec = { ...UNLIMITED, delayMs: 5, perLink: { [portPairKey(own, far.port)]: { ...UNLIMITED, delayMs: 60 } } }
  const proxies = new LinkProxies(spec, own)
  try {
    const a = await proxies.dialTarget({ id: 'a', host: '127.0.0.1', port: near.port } as never)
    const b = await proxies.dialTarget({ id: 'b', host: '127.0.0.1', port: far.port } as never)
    const [ra, rb] = [await rttMs(a.port), await rttMs(b.port)]
    // RTT = 2 x one-way delay.
    assert.ok(ra >= 10 && ra < 40, `near link RTT ${ra.toFixed(1)} ms, want ~10`)
    assert.ok(rb >= 120 && rb < 160, `far link RTT ${rb.toFixed(1)} ms, want ~120`)
  } finally {
    await proxies.close()
    await near.close()
    await far.close()
  }
})
