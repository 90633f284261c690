/**
 * Patches @ethereumjs/devp2p 004 (handshake-limits) and 005 (frame-buffer-no-recopy), against a real in-process node.
 * Without 004 silent sockets and peers that finish ECIES but never send Hello stay open for good, and nothing bounds
 * pending handshakes or sockets per IP; without 005 every read re-copies the whole receive buffer.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { ETH, RLPx } from '@ethereumjs/devp2p'
import { AdversaryPeer, dial, reasonName } from '../../testnets/adversary/peer.ts'
import { startTarget, type Target } from '../helpers/adversary-target.ts'
import { nodeKey } from '../helpers/node-key.ts'

let t: Target
before(async () => {
  t = await startTarget('handshake-limits')
})
after(async () => {
  await t?.stop()
})

const closedWithin = (s: net.Socket, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve(true)
    const timer = setTimeout(() => resolve(false), ms)
    s.once('close', () => (clearTimeout(timer), resolve(true)))
  })

test('silent sockets and peers that never send Hello are closed within the 5 s handshake timeout', { timeout: 30_000 }, async () => {
  const socks = await Promise.all(Array.from({ length: 10 }, () => dial(t.ctx.target.host, t.ctx.target.port)))
  const peers = await Promise.all(Array.from({ length: 5 }, () => AdversaryPeer.connect(t.ctx.target, { hello: false })))
  const closed = await Promise.all(socks.map((s) => closedWithin(s, 8_000)))
  assert.deepEqual(closed, socks.map(() => true), 'every silent socket closed')
  const ends = await Promise.all(peers.map((p) => Promise.race([p.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 8_000))])))
  for (const e of ends) {
    assert.ok(e !== undefined, 'an ECIES-only peer was closed')
    assert.equal(e.reason, 0x0b, `an ECIES-only peer got DISCONNECT TIMEOUT, not ${reasonName(e.reason)}`)
    assert.ok(e.afterMs < 8_000, `closed after ${e.afterMs} ms`)
  }
})

async function listener(o: { maxPendingHandshakes: number; maxInboundPerIp: number }): Promise<{ port: number; rlpx: RLPx }> {
  const rlpx = new RLPx(nodeKey().priv, { dpt: null, maxPeers: 100, capabilities: [ETH.eth68], common: t.ctx.target.common, handshakeTimeout: 20_000, ...o })
  rlpx.listen(0, '127.0.0.1')
  await new Promise((r) => rlpx.events.once('listening', r))
  return { rlpx, port: ((rlpx as unknown as { _server: net.Server })._server.address() as net.AddressInfo).port }
}

for (const [what, o, kept] of [
  ['pending inbound handshakes', { maxPendingHandshakes: 4, maxInboundPerIp: 100 }, 4],
  ['inbound sockets per IP', { maxPendingHandshakes: 100, maxInboundPerIp: 3 }, 3],
] as const) {
  test(`${what} are capped, and slots are freed when sockets close`, { timeout: 30_000 }, async () => {
    const { rlpx, port } = await listener(o)
    try {
      const first = await Promise.all(Array.from({ length: 6 }, () => dial('127.0.0.1', port)))
      const closed = await Promise.all(first.map((s) => closedWithin(s, 1_000)))
      assert.equal(closed.filter((c) => !c).length, kept, `${kept} kept, got ${JSON.stringify(closed)}`)
      for (const s of first) s.destroy()
      await new Promise((r) => setTimeout(r, 200))
      const again = await Promise.all(Array.from({ length: kept }, () => dial('127.0.0.1', port)))
      assert.ok((await Promise.all(again.map((s) => closedWithin(s, 500)))).every((c) => !c), 'freed slots take new sockets')
      for (const s of again) s.destroy()
    } finally {
      rlpx.destroy()
    }
  })
}

test('a 4 MiB frame trickled in 1 KiB pieces is buffered without re-copying the receive buffer, and not as thousands of reads', { timeout: 120_000 }, async () => {
  // Count bytes copied by the node's joins: each join copies the buffered bytes once. Quadratic copying of a 4 MiB
  // frame in 1 KiB reads would copy ~8 GiB; joined once per packet it copies ~4 MiB.
  const peerModule = await import('@ethereumjs/devp2p')
  const proto = (peerModule.Peer as unknown as { prototype: { _onSocketData(d: Uint8Array): void } }).prototype
  const orig = proto._onSocketData
  let copied = 0
  // Bytes held as separate reads, not yet joined (devp2p patch 010): without the joins, the whole frame but one read.
  let maxLoose = 0
  proto._onSocketData = function (this: { _socketData: Uint8Array; _pendingChunks: Uint8Array[]; _pendingBytes: number }, d: Uint8Array) {
    const before = this._socketData
    orig.call(this, d)
    if (this._socketData !== before && this._socketData.length > 0 && this._socketData.buffer !== d.buffer) copied += before.length
    const joined = this._pendingChunks.length > 0 ? this._pendingChunks[0]!.length : 0
    maxLoose = Math.max(maxLoose, this._pendingBytes - joined)
  }
  try {
    const p = await AdversaryPeer.connect(t.ctx.target)
    p.status(t.ctx.target, { td: t.ctx.genesisTd, bestHash: t.ctx.genesisHash, genesisHash: t.ctx.genesisHash })
    const sent = await p.trickle(4 * 1024 * 1024, 1024, 0)
    await Promise.race([p.closed, new Promise((r) => setTimeout(r, 5_000))])
    assert.ok(sent >= 4 * 1024 * 1024, `sent ${sent} B`)
    assert.ok(copied < 64 * 1024 * 1024, `the node re-copied ${(copied / 2 ** 20).toFixed(0)} MiB of buffered data`)
    // The joins double, so loose reads never add up to more than what is joined (2 MiB of 4) plus 64 KiB and one read.
    assert.ok(maxLoose <= 2 * 1024 * 1024 + 192 * 1024, `${(maxLoose / 2 ** 20).toFixed(2)} MiB held in separate reads`)
  } finally {
    proto._onSocketData = orig
  }
})
