/**
 * Link faults for chaos runs: a cut link delivers nothing either way and holds new connections until it heals, then
 * delivers everything intact and in order; a faults file reaches a node's proxies by their port pair.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes, createHash, pbkdf2 } from 'node:crypto'
import { startLinkProxy } from '../../src/shared/linkemu/proxy.ts'
import { LinkProxies } from '../../src/shared/linkemu/proxies.ts'
import { readLinkFaults, watchLinkFaults, writeLinkFaults, type LinkFaults } from '../../src/shared/linkemu/faults.ts'
import { UNLIMITED } from '../../src/shared/linkemu/spec.ts'

async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => s.pipe(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) }
}

/** A client that collects what comes back. */
function client(port: number): { socket: net.Socket; received: () => Buffer } {
  const socket = net.connect(port, '127.0.0.1')
  const parts: Buffer[] = []
  socket.on('data', (d: Buffer) => parts.push(d))
  socket.on('error', () => undefined)
  return { socket, received: () => Buffer.concat(parts) }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls until `ok()` holds; a loaded machine delays the poll of the faults file and the proxy's writes, not the outcome. */
async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`)
    await wait(25)
  }
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

test('a cut link delivers nothing until it heals, then everything, intact and in order', { timeout: 20_000 }, async () => {
  const echo = await echoServer()
  const proxy = await startLinkProxy({ targetPort: echo.port, spec: UNLIMITED })
  try {
    const c = client(proxy.port)
    await new Promise((r) => c.socket.once('connect', r))
    const first = randomBytes(10_000)
    c.socket.write(first)
    await until('before the cut the echo comes back', () => c.received().length >= first.length)
    assert.equal(c.received().length, first.length, 'before the cut the echo comes back')
    proxy.setFault({ blocked: true, spec: UNLIMITED })
    const during = randomBytes(50_000)
    c.socket.write(during)
    await wait(500)
    assert.equal(c.received().length, first.length, 'nothing crosses a cut link')
    const late = client(proxy.port)
    const probe = randomBytes(100)
    late.socket.write(probe)
    await wait(300)
    assert.equal(late.received().length, 0, 'a new connection across the cut waits')
    proxy.setFault({ blocked: false, spec: UNLIMITED })
    await until('after the heal everything arrives', () => c.received().length >= first.length + during.length && late.received().length >= probe.length)
    assert.equal(sha(c.received()), sha(Buffer.concat([first, during])), 'after the heal everything arrives, in order')
    assert.equal(sha(late.received()), sha(probe), 'the held connection goes through after the heal')
    c.socket.destroy()
    late.socket.destroy()
  } finally {
    await proxy.close()
    await echo.close()
  }
})

test("a faults file cuts and heals a node's link by its port pair", { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-faults-'))
  const path = join(dir, 'link-faults.json')
  const echo = await echoServer()
  const ownPort = 41_000
  const proxies = new LinkProxies(UNLIMITED, ownPort, path)
  try {
    assert.deepEqual(readLinkFaults(path).links, {}, 'no file: no faults')
    const target = await proxies.dialTarget({ id: 'ab', host: '127.0.0.1', port: echo.port })
    const key = `${Math.min(ownPort, echo.port)}-${Math.max(ownPort, echo.port)}`
    writeLinkFaults(path, { version: 1, links: { [key]: { cut: true } } })
    await until('the proxies read the cut from the file', () => proxies.faultsInForce().links[key]?.cut === true)
    const c = client(target.port)
    c.socket.write(Buffer.from('hello'))
    await wait(400)
    assert.equal(c.received().length, 0, 'the named link is cut')
    writeLinkFaults(path, { version: 1, links: {} })
    await until('the proxies read the heal from the file', () => proxies.faultsInForce().links[key] === undefined)
    await until('healed: the held bytes arrive', () => c.received().length >= 5)
    assert.equal(c.received().toString(), 'hello', 'healed: the held bytes arrive')
    c.socket.destroy()
  } finally {
    await proxies.close()
    await echo.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a faults file written the moment the watch starts is still read', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-faults-'))
  const path = join(dir, 'link-faults.json')
  const seen: LinkFaults[] = []
  // Keep libuv's thread pool (4 threads) busy, as a loaded node would, so any stat the watch queues there runs after
  // the write below: the watch must not take the written file as its baseline and miss it.
  const busy = Array.from({ length: 4 }, () => new Promise((r) => pbkdf2('x', 'y', 300_000, 32, 'sha256', r)))
  const stop = watchLinkFaults(path, (f) => seen.push(f))
  writeLinkFaults(path, { version: 1, links: { '1-2': { cut: true } } })
  try {
    assert.deepEqual(seen[0]?.links, {}, 'the first call is the file as it was: none')
    await Promise.all(busy)
    await until('the write is reported', () => seen.at(-1)?.links['1-2']?.cut === true, 5_000)
    writeLinkFaults(path, { version: 1, links: {} })
    await until('the heal is reported', () => seen.at(-1)?.links['1-2'] === undefined, 5_000)
  } finally {
    stop()
    rmSync(dir, { recursive: true, force: true })
  }
})
