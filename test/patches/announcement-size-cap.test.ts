/**
 * Patch @ethereumjs/devp2p 009 (announcement-size-cap), against a real in-process node: a NewPooledTransactionHashes
 * of more than 4096 hashes' worth of bytes is refused before it is decoded, and the peer dropped with
 * SUBPROTOCOL_ERROR; one of 4096 hashes (what this client and geth send at most) is taken, and the peer stays.
 * Without the patch the 200k-hash message is decoded in full (7.6 MB, ~400k RLP items) and the peer stays.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { AdversaryPeer, DISCONNECT, reasonName } from '../../testnets/adversary/peer.ts'
import { announcement } from '../../testnets/adversary/payloads.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

let t: Target
before(async () => {
  t = await startTarget('announcement-cap')
})
after(async () => {
  await t?.stop()
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
