/**
 * Compact blocks in the tee core, on a virtual clock: two relays A (the block's origin) and B wired by hand; the
 * test is B's driver (it answers `importBlock` with the tx root verdict). Covers the rebuild from held txs, the
 * GetBlockTxs fetch of the missing ones, the collision refetch after a wrong tx root, the 3 s timeout (longer from a
 * backlogged sender), and a hostile GetBlockTxs. The invariants of both relays are checked after every step.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Common, Mainnet } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { createBlock } from '@ethereumjs/block'
import { TeeRelay, type TeeAction } from '../../../src/propagation/tee/relay.ts'
import { ethItemVerifier } from '../../../src/propagation/tee/item-verifier.ts'
import { encodeCompactBlock } from '../../../src/propagation/tee/compact-block.ts'
import { BLOCK_TXS_TIMEOUT_MS, MAX_BACKLOG_WAIT_MS, QUEUE_DELAY_HALF_LIFE_MS, TREE_WAIT_FACTOR } from '../../../src/propagation/tee/constants.ts'
import { relayAuthority } from '../../../src/tee/plan-auth.ts'
import { nodeKey } from '../../helpers/node-key.ts'

const common = new Common({ chain: Mainnet })
const tx = (nonce: number) => createLegacyTx({ nonce, gasPrice: 10, gasLimit: 21_000, to: `0x${'22'.repeat(20)}`, value: 1 }, { common }).sign(new Uint8Array(32).fill(2))
const blockOf = (n: number, txs: ReturnType<typeof tx>[]) => createBlock({ header: { number: n, gasLimit: 8_000_000, timestamp: 1_000 + n }, transactions: txs }, { common, setHardfork: true })

function pair() {
  const ka = nodeKey()
  const kb = nodeKey()
  const make = (k: ReturnType<typeof nodeKey>) => new TeeRelay(k.hex, false, { authority: relayAuthority(undefined, k.priv, k.id), verifier: ethItemVerifier(common) }, { batchMs: 0 })
  const a = make(ka)
  const b = make(kb)
  const check = (): void => {
    assert.deepEqual(a.invariants(), [])
    assert.deepEqual(b.invariants(), [])
  }
  return { a, b, ka, kb, check }
}

const sendsTo = (actions: TeeAction[], to: string) => actions.flatMap((x) => (x.t === 'send' && x.to === to ? [x.msg] : []))
const only = <T extends TeeAction['t']>(actions: TeeAction[], t: T) => actions.filter((x): x is Extract<TeeAction, { t: T }> => x.t === t)

test('compact blocks: missing txs are fetched from the sender, a wrong tx root refetches every tx once, then the block is abandoned', () => {
  const { a, b, ka, kb, check } = pair()
  let now = 0
  const tx0 = tx(0)
  const tx1 = tx(1)
  a.onLocal({ kind: 'tx', id: tx1.hash(), payload: tx1.serialize() }, now) // before B is a peer: B never gets it
  a.onPeerUp(kb.hex, { attested: false, rttMs: 10 }, now)
  b.onPeerUp(ka.hex, { attested: false, rttMs: 10 }, now)
  for (const m of sendsTo(a.onLocal({ kind: 'tx', id: tx0.hash(), payload: tx0.serialize() }, now), kb.hex)) b.onMessage(ka.hex, m, now)
  check()
  assert.ok(b.has(tx0.hash()) && !b.has(tx1.hash()))
  const block = blockOf(1, [tx0, tx1])
  now = 100
  const toB = sendsTo(a.onLocal({ kind: 'block', id: block.hash(), payload: encodeCompactBlock(block) }, now), kb.hex)
  assert.equal(toB.length, 1)
  const asked = b.onMessage(ka.hex, toB[0]!, now)
  check()
  const get = sendsTo(asked, ka.hex).find((m) => m.t === 'getBlockTxs')
  assert.ok(get !== undefined && get.t === 'getBlockTxs' && get.indexes.length === 1 && get.indexes[0] === 1, 'B asks A for tx 1 only')
  assert.equal(only(asked, 'importBlock').length, 0, 'not rebuilt yet')
  assert.equal(b.nextTimeout()! <= now + BLOCK_TXS_TIMEOUT_MS, true, 'the rebuild wait is a deadline')
  // A serves from its store; B rebuilds.
  now = 120
  const served = sendsTo(a.onMessage(kb.hex, get, now), kb.hex)
  assert.equal(served[0]?.t, 'blockTxs')
  const rebuilt = only(b.onMessage(ka.hex, served[0]!, now), 'importBlock')
  check()
  assert.equal(rebuilt.length, 1)
  assert.deepEqual(rebuilt[0]!.txs.map((t) => Buffer.from(t).toString('hex')), [tx0, tx1].map((t) => Buffer.from(t.serialize()).toString('hex')))
  // The driver finds a wrong tx root (a short-id collision): every tx is asked from the sender, once.
  now = 130
  const refetch = sendsTo(b.onBlockRebuilt(block.hash(), false, now), ka.hex)
  check()
  assert.ok(refetch[0]?.t === 'getBlockTxs' && refetch[0].indexes.join() === '0,1', 'all indexes')
  const again = only(b.onMessage(ka.hex, sendsTo(a.onMessage(kb.hex, refetch[0], now), kb.hex)[0]!, now), 'importBlock')
  assert.equal(again.length, 1, 'rebuilt from the sender\'s txs')
  const abandoned = only(b.onBlockRebuilt(block.hash(), false, now), 'blockAbandoned')
  assert.equal(abandoned.length, 1, 'a second wrong root: left to eth/68 sync')
  assert.equal(sendsTo(b.onBlockRebuilt(block.hash(), false, now), ka.hex).length, 0, 'no third fetch')
  check()
})

test('compact blocks: a rebuild whose txs never come is abandoned at the 3 s deadline, not before; an answer after it still rebuilds the block, for a while', () => {
  const { a, b, ka, kb, check } = pair()
  let now = 1_000
  const tx2 = tx(2)
  a.onLocal({ kind: 'tx', id: tx2.hash(), payload: tx2.serialize() }, now)
  a.onPeerUp(kb.hex, { attested: false, rttMs: 10 }, now)
  b.onPeerUp(ka.hex, { attested: false, rttMs: 10 }, now)
  const block = blockOf(2, [tx2])
  const toB = sendsTo(a.onLocal({ kind: 'block', id: block.hash(), payload: encodeCompactBlock(block) }, now), kb.hex)
  assert.ok(sendsTo(b.onMessage(ka.hex, toB[0]!, now), ka.hex).some((m) => m.t === 'getBlockTxs'))
  // The answer is lost. B's deadline is the rebuild timeout (digest rounds come earlier; they abandon nothing).
  let abandonedAt: number | undefined
  for (let guard = 0; guard < 100 && abandonedAt === undefined; guard++) {
    const t = b.nextTimeout()
    assert.ok(t !== undefined, 'a deadline while the rebuild waits')
    now = Math.max(now, t)
    if (only(b.onTimeout(now), 'blockAbandoned').length > 0) abandonedAt = now
    check()
  }
  assert.equal(abandonedAt, 1_000 + BLOCK_TXS_TIMEOUT_MS)
  // A late answer still rebuilds and imports it (eth/68 sync may be slower), with no refusal.
  const late = b.onMessage(ka.hex, { t: 'blockTxs', block: block.hash(), txs: [tx2.serialize()] }, now + 1_000)
  check()
  assert.deepEqual(late.filter((x) => x.t !== 'send').map((x) => x.t), ['importBlock'])
  // ...but not once MAX_BACKLOG_WAIT_MS has passed since it was abandoned.
  const tx4 = tx(4)
  a.onLocal({ kind: 'tx', id: tx4.hash(), payload: tx4.serialize() }, now) // B lacks it: the relays are not wired
  const block4 = blockOf(4, [tx4])
  now += 2_000
  assert.ok(sendsTo(b.onMessage(ka.hex, sendsTo(a.onLocal({ kind: 'block', id: block4.hash(), payload: encodeCompactBlock(block4) }, now), kb.hex)[0]!, now), ka.hex).some((m) => m.t === 'getBlockTxs'))
  now += BLOCK_TXS_TIMEOUT_MS
  assert.equal(only(b.onTimeout(now), 'blockAbandoned').length, 1)
  const tooLate = b.onMessage(ka.hex, { t: 'blockTxs', block: block4.hash(), txs: [tx4.serialize()] }, now + MAX_BACKLOG_WAIT_MS)
  check()
  assert.deepEqual(tooLate.filter((x) => x.t !== 'send'), [], 'forgotten: no rebuild, no refusal')
})

test('compact blocks: a slow BlockTxs answer shows the sender\'s link backlog, and the next rebuild from it waits that much longer before eth/68 sync', () => {
  const { a, b, ka, kb, check } = pair()
  // A holds the blocks' txs before B is its peer: B never gets them.
  const txs = [1, 2, 3].map((n) => tx(10 + n))
  for (const t of txs) a.onLocal({ kind: 'tx', id: t.hash(), payload: t.serialize() }, 0)
  a.onPeerUp(kb.hex, { attested: false, rttMs: 10 }, 0)
  b.onPeerUp(ka.hex, { attested: false, rttMs: 10 }, 0)
  /** A block of one tx that B lacks, sent by A at `at`; B's GetBlockTxs is answered `rtt` ms later (undefined: never). */
  const rebuild = (n: number, at: number, rtt: number | undefined): void => {
    const block = blockOf(n, [txs[n - 1]!])
    const toB = sendsTo(a.onLocal({ kind: 'block', id: block.hash(), payload: encodeCompactBlock(block) }, at), kb.hex)
    const get = sendsTo(b.onMessage(ka.hex, toB[0]!, at), ka.hex).find((m) => m.t === 'getBlockTxs')
    assert.ok(get !== undefined, `block ${n}: B asks A for its tx`)
    check()
    if (rtt === undefined) return
    const answer = sendsTo(a.onMessage(kb.hex, get, at + rtt), kb.hex)[0]!
    assert.equal(only(b.onMessage(ka.hex, answer, at + rtt), 'importBlock').length, 1, `block ${n} rebuilt`)
    check()
  }
  rebuild(1, 1_000, 20)
  rebuild(2, 2_000, 3_020)
  // Block 3's answer never comes: abandoned BLOCK_TXS_TIMEOUT_MS + TREE_WAIT_FACTOR x A's delay (decayed) after it.
  const at = 7_000
  rebuild(3, at, undefined)
  const expected = at + BLOCK_TXS_TIMEOUT_MS + TREE_WAIT_FACTOR * 3_000 * 0.5 ** ((at - 5_020) / QUEUE_DELAY_HALF_LIFE_MS)
  let abandonedAt: number | undefined
  for (let now = at, guard = 0; guard < 1_000 && abandonedAt === undefined; guard++) {
    now = Math.max(now, b.nextTimeout() ?? Infinity)
    assert.ok(now < Infinity, 'a deadline while the rebuild waits')
    if (only(b.onTimeout(now), 'blockAbandoned').length > 0) abandonedAt = now
    check()
  }
  assert.ok(abandonedAt !== undefined && abandonedAt > at + BLOCK_TXS_TIMEOUT_MS + 2_000, `not abandoned at the plain ${BLOCK_TXS_TIMEOUT_MS} ms (at +${abandonedAt! - at})`)
  assert.ok(Math.abs(abandonedAt - expected) <= 1, `abandoned at +${abandonedAt - at} ms, expected +${Math.round(expected - at)}`)
})

test('compact blocks: a GetBlockTxs with repeated indexes is refused with a disconnect; one the store cannot serve goes to the chain', () => {
  const { a, kb } = pair()
  const tx3 = tx(3)
  a.onPeerUp(kb.hex, { attested: false, rttMs: 10 }, 0)
  a.onLocal({ kind: 'tx', id: tx3.hash(), payload: tx3.serialize() }, 0)
  const block = blockOf(3, [tx3])
  a.onLocal({ kind: 'block', id: block.hash(), payload: encodeCompactBlock(block) }, 0)
  const bomb = a.onMessage(kb.hex, { t: 'getBlockTxs', block: block.hash(), indexes: Array.from({ length: 1000 }, () => 0) }, 1)
  assert.deepEqual(bomb.map((x) => x.t), ['refused'])
  assert.ok(bomb[0]!.t === 'refused' && bomb[0]!.disconnect)
  const unknown = a.onMessage(kb.hex, { t: 'getBlockTxs', block: new Uint8Array(32).fill(9), indexes: [0] }, 1)
  assert.deepEqual(unknown.map((x) => x.t), ['serveBlockTxsFromChain'])
  const ok = a.onMessage(kb.hex, { t: 'getBlockTxs', block: block.hash(), indexes: [0] }, 1)
  assert.ok(ok[0]?.t === 'send' && ok[0].msg.t === 'blockTxs' && ok[0].msg.txs.length === 1)
})

test('compact blocks: a missing tx that arrives on its own completes the rebuild; a peer that asked us meanwhile is answered then', () => {
  const { a, b, ka, kb, check } = pair()
  const kc = nodeKey()
  const c = new TeeRelay(kc.hex, false, { authority: relayAuthority(undefined, kc.priv, kc.id), verifier: ethItemVerifier(common) }, { batchMs: 0 })
  let now = 2_000
  const tx4 = tx(4)
  a.onLocal({ kind: 'tx', id: tx4.hash(), payload: tx4.serialize() }, now) // nobody is a peer yet: only A holds it
  a.onPeerUp(kb.hex, { attested: false, rttMs: 10 }, now)
  b.onPeerUp(ka.hex, { attested: false, rttMs: 10 }, now)
  b.onPeerUp(kc.hex, { attested: false, rttMs: 10 }, now)
  c.onPeerUp(kb.hex, { attested: false, rttMs: 10 }, now)
  const block = blockOf(4, [tx4])
  const toB = sendsTo(a.onLocal({ kind: 'block', id: block.hash(), payload: encodeCompactBlock(block) }, now), kb.hex)
  const atB = b.onMessage(ka.hex, toB[0]!, now)
  check()
  assert.ok(sendsTo(atB, ka.hex).some((m) => m.t === 'getBlockTxs'), 'B asks A')
  // B forwards the compact block before it rebuilt it; C lacks the tx too and asks B.
  const toC = sendsTo(atB, kc.hex).find((m) => m.t === 'items')
  assert.ok(toC !== undefined, 'B floods the block on to C')
  const ask = sendsTo(c.onMessage(kb.hex, toC, now), kb.hex).find((m) => m.t === 'getBlockTxs')
  assert.ok(ask !== undefined, 'C asks B')
  now += 5
  const parked = b.onMessage(kc.hex, ask, now)
  assert.deepEqual(parked, [], 'B lacks the tx: it does not send C to the chain, it keeps the request')
  check()
  // The tx reaches B as an ordinary item (its own path), before A's answer: B rebuilds and answers C.
  now += 5
  const done = b.onMessage(ka.hex, { t: 'items', epoch: 0, items: [{ kind: 'tx', id: tx4.hash(), mode: 'flood', origin: 0xffff, payload: tx4.serialize() }] }, now)
  check()
  assert.equal(only(done, 'importBlock').length, 1, 'rebuilt without blockTxs')
  const answer = sendsTo(done, kc.hex).find((m) => m.t === 'blockTxs')
  assert.ok(answer !== undefined && answer.t === 'blockTxs' && answer.txs.length === 1, 'C gets its answer')
  assert.equal(only(c.onMessage(kb.hex, answer, now), 'importBlock').length, 1, 'C rebuilds')
  // A's late answer to B is ignored.
  assert.deepEqual(only(b.onMessage(ka.hex, { t: 'blockTxs', block: block.hash(), txs: [tx4.serialize()] }, now), 'importBlock'), [])
  assert.deepEqual(c.invariants(), [])
})
