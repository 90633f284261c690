/**
 * The outbox (outbox.ts) on a virtual clock: tx item sends wait for their batch deadline; anything else to the same
 * peer flushes them first; caps, epoch changes and a departed peer flush or drop at once. Invariants after each step.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Outbox } from '../../../src/propagation/tee/outbox.ts'
import { teeParams } from '../../../src/propagation/tee/params.ts'
import { MAX_TXS_PER_MESSAGE } from '../../../src/propagation/tee/constants.ts'
import type { PeerInfo, RelayContext, RelayCounters, TeeAction } from '../../../src/propagation/tee/interface.ts'
import type { WireItem } from '../../../src/propagation/tee/messages.ts'

const A = 'a'.repeat(128)
const B = 'b'.repeat(128)

function setup(batchMs = 20): { box: Outbox; clock: { now: number }; peers: Map<string, PeerInfo>; check: (step: string) => void } {
  const clock = { now: 0 }
  const peers = new Map<string, PeerInfo>([[A, { attested: true, rttMs: 1 }], [B, { attested: true, rttMs: 1 }]])
  const ctx: RelayContext = { self: 'c'.repeat(128), attested: true, params: teeParams({ batchMs }), peers, counters: {} as RelayCounters, now: () => clock.now }
  const box = new Outbox(ctx)
  return { box, clock, peers, check: (step) => assert.deepEqual(box.invariants(), [], step) }
}

let n = 0
const tx = (size = 113): WireItem => ({ kind: 'tx', id: new Uint8Array(32).fill(n++ & 0xff), mode: 'tree', origin: 0, payload: new Uint8Array(size) })
const send = (to: string, items: WireItem[], epoch = 1): TeeAction => ({ t: 'send', to, msg: { t: 'items', epoch, items } })
const itemsTo = (out: TeeAction[], to: string): number[] => out.flatMap((a) => (a.t === 'send' && a.to === to && a.msg.t === 'items' ? [a.msg.items.length] : []))

test('outbox: tx sends wait until the first one is batchMs old, then go as one message per peer', () => {
  const { box, clock, check } = setup()
  assert.deepEqual(box.pass([send(A, [tx()]), send(B, [tx()])], 0), [])
  check('after the first sends')
  assert.equal(box.nextTimeout(), 20)
  clock.now = 15
  assert.deepEqual(box.pass([send(A, [tx(), tx()])], 15), [])
  check('after more sends')
  assert.equal(box.nextTimeout(), 20, 'the deadline stays at the first item + batchMs')
  const early: TeeAction[] = []
  box.onTimeout(early, 19)
  assert.deepEqual(early, [], 'nothing is due before the deadline')
  clock.now = 20
  const due: TeeAction[] = []
  box.onTimeout(due, 20)
  check('after the deadline')
  assert.deepEqual(itemsTo(due, A), [3])
  assert.deepEqual(itemsTo(due, B), [1])
  assert.equal(box.nextTimeout(), undefined, 'nothing left')
})

test('outbox: any other message to a peer flushes its queued txs first, keeping the order; other peers keep waiting', () => {
  const { box, check } = setup()
  box.pass([send(A, [tx()]), send(B, [tx()])], 0)
  const block: WireItem = { ...tx(600), kind: 'block' }
  const out = box.pass([send(A, [block]), { t: 'send', to: A, msg: { t: 'digest', ids: [new Uint8Array(8)] } }], 5)
  check('after a block send')
  assert.deepEqual(
    out.map((a) => (a.t === 'send' ? `${a.to[0]}:${a.msg.t}${a.msg.t === 'items' ? `/${a.msg.items[0]!.kind}` : ''}` : a.t)),
    ['a:items/tx', 'a:items/block', 'a:digest'],
    'the queued tx goes before the block that may name it',
  )
  assert.equal(box.queued(B), 1, "B's batch is not flushed by a send to A")
  // Non-send actions pass untouched.
  const deliver: TeeAction = { t: 'deliver', item: tx(), from: B }
  assert.deepEqual(box.pass([deliver], 6), [deliver])
})

test('outbox: a full batch, an epoch change and a departed peer act at once; batchMs 0 sends at once', () => {
  const { box, clock, peers, check } = setup()
  const many = Array.from({ length: MAX_TXS_PER_MESSAGE + 5 }, () => tx(1))
  const out = box.pass([send(A, many)], 0)
  check('after a batch over the cap')
  assert.deepEqual(itemsTo(out, A), [MAX_TXS_PER_MESSAGE], 'the full batch goes at once')
  assert.equal(box.queued(A), 5, 'the rest waits')
  const big = box.pass([send(B, [tx(200 * 1024), tx(100 * 1024)])], 0)
  assert.deepEqual(itemsTo(big, B), [2], 'a batch over MAX_BATCH_BYTES goes at once')
  clock.now = 1
  const next = box.pass([send(A, [tx()], 2)], 1)
  check('after an epoch change')
  assert.deepEqual(itemsTo(next, A), [5], 'a message carries one epoch tag: the old batch is flushed')
  assert.equal(box.queued(A), 1)
  peers.delete(A)
  box.peerDown(A)
  check('after the peer went down')
  assert.equal(box.queued(A), 0)
  assert.equal(box.nextTimeout(), undefined)

  const off = setup(0)
  const now = off.box.pass([send(A, [tx()]), send(A, [tx()])], 0)
  assert.deepEqual(itemsTo(now, A), [1, 1], 'batchMs 0: as the event produced them')
  assert.equal(off.box.nextTimeout(), undefined)
})
