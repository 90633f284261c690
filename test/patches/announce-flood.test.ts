/**
 * Announcement floods, on one real in-process node (one target for both patches: a node start is most of the time).
 * - Patch @ethereumjs/client 050 (announced-hashes-bounded), on its tx pool. Without it the hashes being fetched are
 *   an array scanned per hash (quadratic: a 200k-hash announcement froze a node), every announced hash is taken, and
 *   nothing bounds what one peer has in flight.
 * - Patch @ethereumjs/devp2p 009 (announcement-size-cap), over the wire: a NewPooledTransactionHashes of more than
 *   4096 hashes' worth of bytes is refused before it is decoded, and the peer dropped with SUBPROTOCOL_ERROR; one of
 *   4096 hashes (what this client and geth send at most) is taken, and the peer stays. Without the patch the
 *   200k-hash message is decoded in full (7.6 MB, ~400k RLP items) and the peer stays.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { startTarget, type Target } from '../helpers/adversary-target.ts'
import { AdversaryPeer, DISCONNECT, reasonName } from '../../testnets/adversary/peer.ts'
import { announcement } from '../../testnets/adversary/payloads.ts'
import { rpcCall } from '../../src/rpc/client.ts'

let t: Target
before(async () => {
  t = await startTarget('announce-flood')
})
after(async () => {
  await t?.stop()
})

interface PoolInternals {
  running: boolean
  pending: Set<string>
  handleAnnouncedTxHashes(hashes: Uint8Array[], peer: unknown, pool: unknown): Promise<void>
}

test('a peer gets at most 4096 announced hashes in flight; the excess is dropped, and freed when the fetch ends', async () => {
  const pool = t.node.service.txPool as unknown as PoolInternals
  pool.running = true
  const asked: number[] = []
  let answer: (v: undefined) => void = () => undefined
  const peer = { id: 'cd'.repeat(32), eth: { getPooledTransactions: (a: { hashes: Uint8Array[] }) => (asked.push(a.hashes.length), new Promise<undefined>((r) => (answer = r))) } }
  const hashes = (n: number) => Array.from({ length: n }, () => new Uint8Array(randomBytes(32)))
  const first = pool.handleAnnouncedTxHashes(hashes(200_000), peer, t.node.service.pool)
  assert.equal(pool.pending.size, 4096, 'one message: at most 4096 hashes taken')
  assert.deepEqual(asked, [256], 'fetched 256 per request, as the client does')
  await pool.handleAnnouncedTxHashes(hashes(10), peer, t.node.service.pool)
  assert.equal(pool.pending.size, 4096, 'nothing more in flight for this peer')
  const other = { id: 'ef'.repeat(32), eth: { getPooledTransactions: async () => undefined } }
  await pool.handleAnnouncedTxHashes(hashes(10), other, t.node.service.pool)
  assert.equal(pool.pending.size, 4096, "another peer's announcement is handled (and done)")
  answer(undefined)
  await first
  assert.equal(pool.pending.size, 0, 'pending is cleared after the fetch')
})

async function withStatus(): Promise<AdversaryPeer> {
  const p = await AdversaryPeer.connect(t.ctx.target)
  p.status(t.ctx.target, { td: t.ctx.genesisTd, bestHash: t.ctx.genesisHash, genesisHash: t.ctx.genesisHash })
  await new Promise((r) => setTimeout(r, 300))
  return p
}

const closedWithin = (p: AdversaryPeer, ms: number) => Promise.race([p.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))])

test('an announcement of 200k hashes disconnects the peer with SUBPROTOCOL_ERROR; the node answers RPC', { timeout: 60_000 }, async () => {
  const p = await withStatus()
  p.sendEthBytes(0x08, announcement(200_000))
  const c = await closedWithin(p, 15_000)
  assert.ok(c !== undefined, 'still connected after 15 s')
  assert.equal(c.reason, DISCONNECT.SUBPROTOCOL_ERROR, `closed with ${reasonName(c.reason)}`)
  assert.equal(typeof (await rpcCall<string>(t.rpcUrl, 'eth_blockNumber')), 'string')
})

test('an announcement of 4096 hashes is taken; the peer stays', { timeout: 60_000 }, async () => {
  const p = await withStatus()
  p.sendEthBytes(0x08, announcement(4096))
  assert.equal(await closedWithin(p, 3_000), undefined, 'the node dropped a peer for a legitimate announcement')
  p.destroy()
})
