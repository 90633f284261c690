/**
 * Patch @ethereumjs/devp2p 006 (send-backlog-cap), against a real in-process node. Node buffers every socket write
 * that TCP cannot take yet, without bound, so a peer that stops reading made the node hold everything it sent that
 * peer (answers to its requests, broadcasts, on every protocol of the connection: eth/68 and tee/1 alike) until the
 * ping timeout, up to 25 s later. With the patch a send that would leave more than MAX_SEND_BACKLOG (16 MiB) unread
 * is refused, and the peer is dropped at once with TIMEOUT. The cap is a static of the RLPx Peer class
 * (`Peer.maxSendBacklog`), lowered here so the test stays cheap.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Peer } from '@ethereumjs/devp2p'
import { AdversaryPeer, DISCONNECT } from '../../testnets/adversary/peer.ts'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

interface NodeSidePeer {
  _socket: { writableLength: number; destroyed: boolean }
  _disconnectReason?: number
  _sendMessage(code: number, data: Uint8Array): boolean | undefined
}

const MiB = 1024 * 1024
// The cap is 16 MiB; encrypting that much in a test is slow (RLPx frames are MAC'd in JS), so the test lowers it.
const CAP = 1 * MiB
const RlpxPeer = Peer as unknown as { maxSendBacklog: number }
let t: Target
let cap: number
before(async () => {
  cap = RlpxPeer.maxSendBacklog
  RlpxPeer.maxSendBacklog = CAP
  t = await startTarget('send-backlog')
})
after(async () => {
  RlpxPeer.maxSendBacklog = cap
  await t?.stop()
})

test('the cap is 16 MiB', () => {
  assert.equal(cap, 16 * MiB)
})

test('a peer that stops reading is dropped before its unread backlog passes the cap', { timeout: 60_000 }, async () => {
  const p = await AdversaryPeer.connect(t.ctx.target)
  p.stopReading()
  const rlpx = (t.node.client.config.server as unknown as { rlpx: { getPeers(): NodeSidePeer[] } }).rlpx
  let peer: NodeSidePeer | undefined
  for (let i = 0; i < 100 && peer === undefined; i++) {
    peer = rlpx.getPeers()[0]
    if (peer === undefined) await new Promise((r) => setTimeout(r, 50))
  }
  assert.ok(peer !== undefined, 'the node holds the connection')
  if (peer === undefined) return
  const chunk = new Uint8Array(MiB / 4)
  const offered = 64
  let accepted = 0
  let maxBacklog = 0
  // 16 MiB offered: far past the cap plus what the kernel's socket buffers take (about 3 MiB on loopback).
  for (let i = 0; i < offered; i++) {
    if (peer._sendMessage(0x7f, chunk) !== true) break
    accepted++
    maxBacklog = Math.max(maxBacklog, peer._socket.writableLength)
  }
  assert.ok(accepted < offered, `all ${offered / 4} MiB were queued for a peer that reads nothing (backlog ${maxBacklog} B)`)
  assert.ok(maxBacklog <= CAP, `backlog stayed within the cap: ${maxBacklog} B`)
  assert.equal(peer._socket.destroyed, true, 'the connection is closed, so its buffer is freed')
  assert.equal(peer._disconnectReason, DISCONNECT.TIMEOUT)
  // Reading again, the attacker drains what the kernel held and then sees the end.
  p.resumeReading()
  const closed = await Promise.race([p.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))])
  assert.equal(closed, true, 'the attacker sees the connection end')
  assert.deepEqual(t.unhandled, [])
})
