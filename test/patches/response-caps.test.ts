/**
 * Patch @ethereumjs/client 051 (response-caps), against a real in-process node. Without it one block hash named
 * 5,777 times is answered with 5,777 bodies, GetBlockHeaders and GetPooledTransactions have no cap, and a hash list
 * sent as a byte string reaches the handler (`Uint8Array.map`: unhandled rejections).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToBytes } from '@ethereumjs/util'
import { AdversaryPeer, DISCONNECT, reasonName } from '../../testnets/adversary/peer.ts'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

let t: Target
before(async () => {
  t = await startTarget('response-caps')
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

async function answer(p: AdversaryPeer, code: number, timeoutMs = 10_000): Promise<unknown[]> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const m = p.received.find((x) => x.code === code)
    if (m !== undefined) return RLP.decode(m.payload) as unknown[]
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no answer with code ${code} within ${timeoutMs} ms`)
}

test('GetBlockBodies naming one hash 5,777 times gets one body', { timeout: 30_000 }, async () => {
  const p = await withStatus()
  p.sendEth(0x05, [bigIntToBytes(1n), Array.from({ length: 5_777 }, () => t.ctx.genesisHash)])
  const [, bodies] = (await answer(p, 0x06)) as [Uint8Array, unknown[]]
  assert.equal(bodies.length, 1)
  p.destroy()
})

test('GetBlockHeaders asks the chain for at most 1024 headers; GetPooledTransactions serves distinct hashes, at most 256', async () => {
  const service = t.node.service as unknown as { handleEth(m: unknown, peer: unknown): Promise<void>; chain: { getHeaders: (...a: unknown[]) => Promise<unknown[]> }; txPool: { getByHash(h: Uint8Array[]): unknown[] } }
  const sent: [string, { headers?: unknown[]; txs?: unknown[] }][] = []
  const peer = { id: 'ab'.repeat(32), eth: { send: (name: string, a: never) => void sent.push([name, a]) } }
  const origHeaders = service.chain.getHeaders
  const origByHash = service.txPool.getByHash
  let askedMax = -1
  let askedHashes = -1
  service.chain.getHeaders = async (_block: unknown, max: unknown) => ((askedMax = max as number), [])
  service.txPool.getByHash = (h: Uint8Array[]) => ((askedHashes = h.length), Array.from({ length: h.length }, () => ({ serialize: () => new Uint8Array(100) })))
  try {
    await service.handleEth({ name: 'GetBlockHeaders', data: { reqId: 1n, block: 0n, max: 1 << 20, skip: 0, reverse: false } }, peer)
    assert.equal(askedMax, 1024)
    const hashes = Array.from({ length: 600 }, (_, i) => Uint8Array.from({ length: 32 }, (_, j) => (j === 0 ? (i % 300) >> 8 : j === 1 ? (i % 300) & 0xff : 0)))
    await service.handleEth({ name: 'GetPooledTransactions', data: { reqId: 2n, hashes } }, peer)
    assert.equal(askedHashes, 300, 'duplicates removed')
    assert.equal(sent.find(([n]) => n === 'PooledTransactions')?.[1].txs?.length, 256)
  } finally {
    service.chain.getHeaders = origHeaders
    service.txPool.getByHash = origByHash
  }
})

test('a GetBlockBodies whose hash list is a byte string disconnects the peer, with no unhandled rejection', { timeout: 30_000 }, async () => {
  const p = await withStatus()
  p.sendEth(0x05, [bigIntToBytes(3n), new Uint8Array(64).fill(1)])
  const c = await p.closed
  assert.equal(c.reason, DISCONNECT.SUBPROTOCOL_ERROR, `closed with ${reasonName(c.reason)}`)
  await new Promise((r) => setTimeout(r, 200))
  assert.deepEqual(t.unhandled, [])
})
