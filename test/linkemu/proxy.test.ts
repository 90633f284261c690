/** The link proxy on loopback: bytes pass intact and in order, and the configured delay and rate are applied. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { randomBytes, createHash } from 'node:crypto'
import { startLinkProxy } from '../../src/shared/linkemu/proxy.ts'
import { UNLIMITED } from '../../src/shared/linkemu/spec.ts'

async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => s.pipe(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) }
}

/** Sends `payload` through `port` to the echo server and resolves with what came back and the time it took. */
function roundTrip(port: number, payload: Buffer): Promise<{ echoed: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    const parts: Buffer[] = []
    let got = 0
    let t0 = 0
    s.on('connect', () => {
      t0 = performance.now()
      s.write(payload)
    })
    s.on('data', (d: Buffer) => {
      parts.push(d)
      got += d.length
      if (got >= payload.length) {
        s.end()
        resolve({ echoed: Buffer.concat(parts), ms: performance.now() - t0 })
      }
    })
    s.on('error', reject)
  })
}

test('bytes pass intact and in order, with the one-way delay applied each way', { timeout: 20_000 }, async () => {
  const echo = await echoServer()
  const proxy = await startLinkProxy({ targetPort: echo.port, spec: { ...UNLIMITED, delayMs: 40, jitterMs: 10 } })
  try {
    const payload = randomBytes(200_000)
    const { echoed, ms } = await roundTrip(proxy.port, payload)
    assert.equal(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(payload).digest('hex'))
    assert.ok(ms >= 80, `round trip ${ms.toFixed(1)} ms includes 2 x 40 ms`)
    assert.deepEqual(proxy.stats(), { forward: 200_000, backward: 200_000 })
  } finally {
    await proxy.close()
    await echo.close()
  }
})

test('a big write on a slow link arrives as a trickle, not all at once when its last byte is through', { timeout: 20_000 }, async () => {
  const sink = net.createServer()
  const firstByte = new Promise<number>((resolve) => sink.on('connection', (s) => s.once('data', () => resolve(performance.now()))))
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()))
  // 32 kbit/s: the 64 KB write takes 16.4 s on the wire; its first segment is through in 0.4 s.
  const proxy = await startLinkProxy({ targetPort: (sink.address() as net.AddressInfo).port, spec: { ...UNLIMITED, rateBps: 32_000 } })
  const s = net.connect(proxy.port, '127.0.0.1')
  try {
    await new Promise<void>((r) => s.once('connect', () => r()))
    const t0 = performance.now()
    s.write(randomBytes(65_536))
    const ms = (await firstByte) - t0
    assert.ok(ms < 2_000, `first bytes after ${ms.toFixed(0)} ms`)
  } finally {
    s.destroy()
    await proxy.close()
    await new Promise<void>((r) => sink.close(() => r()))
  }
})

test('the rate limit bounds throughput', { timeout: 20_000 }, async () => {
  const echo = await echoServer()
  // 4 Mbit/s: 100 kB takes >= 200 ms each way.
  const proxy = await startLinkProxy({ targetPort: echo.port, spec: { ...UNLIMITED, rateBps: 4e6 } })
  try {
    const { ms } = await roundTrip(proxy.port, randomBytes(100_000))
    assert.ok(ms >= 200, `100 kB through 4 Mbit/s took ${ms.toFixed(0)} ms`)
  } finally {
    await proxy.close()
    await echo.close()
  }
})
