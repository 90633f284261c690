/**
 * Bounds on what one peer can make a node hold. Repair: a hostile tee/1 peer that digests 16,384 random ids every
 * 100 ms gets at most MAX_PENDING_PULLS_PER_PEER ids pulled until those arrive or are given up, while an honest
 * peer's digests are still pulled at once. The item store: payload bytes are capped (MAX_STORE_BYTES) as entries
 * are. Virtual clock; invariants after every step.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { TeeRelay, type TeeAction } from '../../../src/propagation/tee/relay.ts'
import { MAX_PENDING_PULLS_PER_PEER } from '../../../src/propagation/tee/repair.ts'
import { MAX_IDS_PER_MESSAGE, MAX_STORE_BYTES, SHORT_ID_BYTES } from '../../../src/propagation/tee/constants.ts'
import { ItemStore } from '../../../src/propagation/tee/item-store.ts'
import { relayAuthority } from '../../../src/tee/plan-auth.ts'
import { syntheticItemVerifier } from '../../../src/sim/synthetic-items.ts'
import { nodeKey } from '../../helpers/node-key.ts'

const pulled = (actions: TeeAction[], to: string): number =>
  actions.reduce((s, a) => s + (a.t === 'send' && a.to === to && a.msg.t === 'pull' ? a.msg.ids.length : 0), 0)
const randomIds = (n: number): Uint8Array[] => Array.from({ length: n }, () => new Uint8Array(randomBytes(SHORT_ID_BYTES)))

test('repair: one peer\'s digests start at most MAX_PENDING_PULLS_PER_PEER pulls; another peer\'s are still pulled; the share frees as pulls are given up', () => {
  const k = nodeKey()
  const r = new TeeRelay(k.hex, false, { authority: relayAuthority(undefined, k.priv, k.id), verifier: syntheticItemVerifier }, { batchMs: 0 })
  const hostile = nodeKey().hex
  const honest = nodeKey().hex
  let now = 0
  r.peerUp(hostile, { attested: false, rttMs: 10 }, now)
  r.peerUp(honest, { attested: false, rttMs: 10 }, now)
  let fromHostile = 0
  // 0.6 s of a digest of 16,384 random ids every 100 ms: 98,304 ids named.
  for (let i = 0; i < 6; i++) {
    now += 100
    const a = [...r.receive(hostile, { t: 'digest', ids: randomIds(MAX_IDS_PER_MESSAGE) }, now), ...r.tick(now)]
    fromHostile += pulled(a, hostile)
    assert.deepEqual(r.invariants(), [], `after digest ${i}`)
  }
  // The first digest is pulled whole (the cap is one full digest); the rest only as retries of the same ids.
  assert.equal(r.counters.pulls - (fromHostile - MAX_PENDING_PULLS_PER_PEER), MAX_PENDING_PULLS_PER_PEER, 'new pulls: one digest\'s worth')
  const fromHonest = pulled(r.receive(honest, { t: 'digest', ids: randomIds(100) }, now), honest)
  assert.equal(fromHonest, 100, 'an honest peer\'s digest is pulled at once, whatever another peer did')
  // The hostile ids are given up after maxPullTries; then that peer's digests are pulled again (bounded, not banned).
  for (let i = 0; i <= r.params.maxPullTries; i++) {
    now += r.params.pullTimeoutMs
    r.tick(now)
    assert.deepEqual(r.invariants(), [], `retry ${i}`)
  }
  const again = pulled(r.receive(hostile, { t: 'digest', ids: randomIds(10) }, now), hostile)
  assert.equal(again, 10, 'once its earlier pulls are given up, its share is free')
  assert.deepEqual(r.invariants(), [])
})

test('store: payload bytes are capped as entries are; the oldest go first, invariants hold after every add', () => {
  const store = new ItemStore(100, 1_000_000)
  const ids: Uint8Array[] = []
  for (let i = 0; i < 50; i++) {
    const id = new Uint8Array(randomBytes(32))
    ids.push(id)
    store.add('tx', id, new Uint8Array(100_000), undefined, i)
    assert.deepEqual(store.invariants(), [], `after add ${i}`)
  }
  assert.equal(store.size, 10, '10 payloads of 100 kB fit in 1 MB')
  assert.ok(ids.slice(40).every((id) => store.has(id)) && !ids.slice(0, 40).some((id) => store.has(id)), 'the newest are held')
  // Small items are held up to the entry capacity, as before.
  for (let i = 0; i < 200; i++) store.add('tx', new Uint8Array(randomBytes(32)), new Uint8Array(100), undefined, 100 + i)
  assert.equal(store.size, 100)
  assert.deepEqual(store.invariants(), [])
  assert.ok(MAX_STORE_BYTES <= 256 * 1024 * 1024, 'the default bounds what 65,536 txs of 128 KB would take (8 GB)')
})
