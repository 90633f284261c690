/**
 * Patch @ethereumjs/devp2p 011 (pong-late-while-reading), against a real in-process node. A pong rides behind
 * whatever the peer queued for us, so on a link slower than its load it came later than the ping timeout, and a peer
 * whose bytes kept arriving was dropped (TIMEOUT) and reconnected, re-announcing its whole pool each time. With the
 * patch the node drops a peer whose pong is missing once nothing has been read from it for the timeout, or once the
 * pong is MAX_PONG_WAIT_FACTOR timeouts late whatever arrives. The node side's timeout is lowered to 1 s here.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { AdversaryPeer, DISCONNECT } from '../../testnets/adversary/peer.ts'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

interface NodeSidePeer {
  _pingTimeout: number
  _socket: { destroyed: boolean }
  _disconnectReason?: number
  _sendPing(): void
}

const TIMEOUT_MS = 1_000
const MAX_PONG_WAIT_FACTOR = 6
let t: Target
before(async () => {
  t = await startTarget('pong-wait')
})
after(async () => t?.stop())

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function nodeSidePeer(): Promise<NodeSidePeer> {
  const rlpx = (t.node.client.config.server as unknown as { rlpx: { getPeers(): NodeSidePeer[] } }).rlpx
  for (let i = 0; i < 100; i++) {
    const peers = rlpx.getPeers()
    if (peers.length === 1) return peers[0]!
    await sleep(50)
  }
  throw new Error(`the node holds ${rlpx.getPeers().length} peers, not the one adversary`)
}

test('a peer whose bytes keep arriving is kept past the ping timeout, and dropped once its pong is 6 timeouts late', { timeout: 60_000 }, async () => {
  const p = await AdversaryPeer.connect(t.ctx.target)
  p.status(t.ctx.target, { td: t.ctx.genesisTd, bestHash: t.ctx.genesisHash, genesisHash: t.ctx.genesisHash })
  const peer = await nodeSidePeer()
  peer._pingTimeout = TIMEOUT_MS
  // A frame trickled for ~20 s: bytes keep coming, and our pong (written into the trickled body) never parses.
  const trickling = p.trickle(128 * 1024, 64, 10)
  const pingAt = Date.now()
  peer._sendPing()
  await sleep(3 * TIMEOUT_MS)
  assert.equal(peer._socket.destroyed, false, 'still connected 3 timeouts after the ping, bytes arriving')
  const closed = await p.closed
  const afterMs = Date.now() - pingAt
  assert.ok(afterMs >= MAX_PONG_WAIT_FACTOR * TIMEOUT_MS - 100 && afterMs < MAX_PONG_WAIT_FACTOR * TIMEOUT_MS + 3_000, `dropped ${afterMs} ms after the ping`)
  assert.equal(closed.reason, DISCONNECT.TIMEOUT)
  const sent = await trickling
  assert.ok(sent < 128 * 1024, `dropped before the trickle ended (${sent} B sent)`)
  await sleep(200)
})

test('a silent peer whose pong is missing is dropped one timeout after the ping', { timeout: 30_000 }, async () => {
  const p = await AdversaryPeer.connect(t.ctx.target)
  p.status(t.ctx.target, { td: t.ctx.genesisTd, bestHash: t.ctx.genesisHash, genesisHash: t.ctx.genesisHash })
  const peer = await nodeSidePeer()
  peer._pingTimeout = TIMEOUT_MS
  await sleep(TIMEOUT_MS)
  // It reads nothing more, so it never sees the ping and sends nothing back.
  p.stopReading()
  const pingAt = Date.now()
  peer._sendPing()
  // A peer that reads nothing never takes our DISCONNECT either: the node's decision is what counts.
  while (peer._disconnectReason === undefined && Date.now() - pingAt < 10 * TIMEOUT_MS) await sleep(50)
  const afterMs = Date.now() - pingAt
  assert.equal(peer._disconnectReason, DISCONNECT.TIMEOUT)
  assert.ok(afterMs < 2.5 * TIMEOUT_MS, `dropped ${afterMs} ms after the ping`)
  p.destroy()
  assert.deepEqual(t.unhandled, [])
})
