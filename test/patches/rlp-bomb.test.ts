/**
 * Patches @ethereumjs/rlp 001 (decode-limits) and @ethereumjs/devp2p 003 (message-size-caps), against a real
 * in-process node over TCP with the raw adversary peer. Without rlp 001 a 100k-deep list is copied at every level
 * (and overflows the stack) and decode takes no item cap; without devp2p 003 an eth message before Status is decoded
 * in full (a 4M-item list: seconds blocked, +600 MB), and a snappy payload may declare any length.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { RLP } from '@ethereumjs/rlp'
import * as snappy from 'snappyjs'
import { AdversaryPeer, DISCONNECT, reasonName } from '../../testnets/adversary/peer.ts'
import { deepList, emptyStringList } from '../../testnets/adversary/payloads.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

let t: Target
before(async () => {
  t = await startTarget('rlp-bomb')
})
after(async () => {
  await t?.stop()
})

const rpcUrl = () => t.rpcUrl

test('rlp decode caps nesting and, when asked, items; lists are views, not copies', () => {
  let nested: unknown[] = []
  for (let i = 0; i < 100; i++) nested = [nested]
  assert.deepEqual(RLP.decode(RLP.encode(nested as never)), nested, 'nesting 100 deep still decodes')
  assert.throws(() => RLP.decode(deepList(100_000)), /nesting deeper than 128/)
  assert.throws(() => RLP.decode(deepList(200)), /nesting deeper than 128/)
  assert.equal((RLP.decode(emptyStringList(1000), false, { maxItems: 1001 }) as unknown[]).length, 1000)
  assert.throws(() => RLP.decode(emptyStringList(1000), false, { maxItems: 1000 }), /more than 1000 items/)
  // A long flat list of strings decodes in linear time: 200k one-byte items (a copy per item made this quadratic).
  const items = RLP.decode(emptyStringList(200_000)) as Uint8Array[]
  assert.equal(items.length, 200_000)
})

test('an RLP bomb sent right after Hello disconnects the peer before it is decoded; the node stays up', { timeout: 60_000 }, async () => {
  // Compressed before connecting: snappy in JS takes seconds on a loaded machine, and in this process it would hold
  // the node's event loop until its Status timer closed us (TIMEOUT) before the bomb was even sent.
  const bomb = snappy.compress(emptyStringList(4_000_000))
  const heapBefore = process.memoryUsage().heapUsed
  const p = await AdversaryPeer.connect(t.ctx.target)
  p.sendEthCompressed(0x0b, bomb)
  const c = await p.closed
  assert.equal(c.reason, DISCONNECT.SUBPROTOCOL_ERROR, `closed with ${reasonName(c.reason)}`)
  const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20
  assert.ok(grownMb < 100, `heap grew ${grownMb.toFixed(0)} MB`)
  assert.equal(typeof (await rpcCall<string>(rpcUrl(), 'eth_blockNumber')), 'string')
})

test('after Status, a 4M-item list is refused by the item cap; a 100k-deep list by the depth cap', { timeout: 60_000 }, async () => {
  for (const payload of [emptyStringList(4_000_000), deepList(100_000)]) {
    const p = await AdversaryPeer.connect(t.ctx.target)
    p.status(t.ctx.target, { td: t.ctx.genesisTd, bestHash: t.ctx.genesisHash, genesisHash: t.ctx.genesisHash })
    p.sendEthBytes(0x02, payload)
    const c = await p.closed
    assert.equal(c.reason, DISCONNECT.SUBPROTOCOL_ERROR, `closed with ${reasonName(c.reason)}`)
  }
  assert.equal(typeof (await rpcCall<string>(rpcUrl(), 'eth_blockNumber')), 'string')
})

test('a snappy payload declaring more than 16 MiB is refused before it is inflated', { timeout: 30_000 }, async () => {
  const p = await AdversaryPeer.connect(t.ctx.target)
  // varint 0x80 0x80 0x80 0x10 = 32 MiB declared, then junk
  p.sendEthCompressed(0x0b, Uint8Array.from([0x80, 0x80, 0x80, 0x10, 0, 1, 2, 3]))
  const c = await p.closed
  assert.equal(c.reason, DISCONNECT.PROTOCOL_ERROR, `closed with ${reasonName(c.reason)}`)
  assert.deepEqual(t.unhandled, [], 'no unhandled rejections')
})
