/**
 * Bounds on what one peer can make a node hold. Repair: a hostile tee/1 peer that digests 16,384 random ids every
 * 100 ms gets at most MAX_PENDING_PULLS_PER_PEER ids pulled until those arrive or are given up, while an honest
 * peer's digests are still pulled at once. The item store: payload bytes are capped (MAX_STORE_BYTES) as entries
 * are. A peer whose digested ids no one can deliver is refused; a peer's unadmitted tx bytes are capped. Virtual
 * clock; invariants after every step.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { TeeRelay, type TeeAction } from '../../../src/propagation/tee/relay.ts'
import type { TeeParams } from '../../../src/propagation/tee/params.ts'
import { MAX_PENDING_PULLS_PER_PEER, MAX_UNSERVED_DIGESTED } from '../../../src/propagation/tee/repair.ts'
import { MAX_IDS_PER_MESSAGE, MAX_STORE_BYTES, SHORT_ID_BYTES, UNADMITTED_TX_BYTES_PER_PEER, UNADMITTED_TX_BYTES_REFILL_PER_S, READ_PAUSE_MS } from '../../../src/propagation/tee/constants.ts'
import { ORIGIN_UNKNOWN } from '../../../src/propagation/tee/messages.ts'
import { shortId } from '../../../src/propagation/tee/short-id.ts'
import { ItemStore } from '../../../src/propagation/tee/item-store.ts'
import { relayAuthority } from '../../../src/tee/plan-auth.ts'
import { syntheticItemVerifier, syntheticPayload } from '../../../src/sim/synthetic-items.ts'
import { nodeKey } from '../../helpers/node-key.ts'

const pulled = (actions: TeeAction[], to: string): number =>
  actions.reduce((s, a) => s + (a.t === 'send' && a.to === to && a.msg.t === 'pull' ? a.msg.ids.length : 0), 0)
const randomIds = (n: number): Uint8Array[] => Array.from({ length: n }, () => new Uint8Array(randomBytes(SHORT_ID_BYTES)))

/** An unattested relay at time 0 with three unattested peers up. */
function relayWithPeers(params: Partial<TeeParams> = {}): { r: TeeRelay; ids: [string, string, string] } {
  const k = nodeKey()
  const r = new TeeRelay(k.hex, false, { authority: relayAuthority(undefined, k.priv, k.id), verifier: syntheticItemVerifier }, { batchMs: 0, ...params })
  const ids: [string, string, string] = [nodeKey().hex, nodeKey().hex, nodeKey().hex]
  for (const p of ids) r.peerUp(p, { attested: false, rttMs: 10 }, 0)
  return { r, ids }
}

test('repair: one peer\'s digests start at most MAX_PENDING_PULLS_PER_PEER pulls; another peer\'s are still pulled; the share frees as pulls are given up', () => {
  const { r, ids: [hostile, honest] } = relayWithPeers()
  let now = 0
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

const refusals = (actions: TeeAction[], peer: string): TeeAction[] => actions.filter((a) => a.t === 'refused' && a.peer === peer && a.disconnect)

test('repair: a peer whose digested ids no one can deliver is refused once MAX_UNSERVED_DIGESTED are given up; a peer whose digested ids arrive is not', () => {
  const { r, ids: [hostile, honest, other] } = relayWithPeers()
  let now = 0
  const all: TeeAction[] = []
  const step = (a: TeeAction[], what: string): void => {
    all.push(...a)
    assert.deepEqual(r.invariants(), [], what)
  }
  // The honest peer digests MAX_UNSERVED_DIGESTED - 1 ids it cannot serve (say, evicted), then one that arrives.
  const item = new Uint8Array(randomBytes(32))
  step(r.receive(honest, { t: 'digest', ids: [...randomIds(MAX_UNSERVED_DIGESTED - 1), shortId(item)] }, now), 'honest digest')
  // The hostile peer digests random ids: 16,384 every 100 ms for 1 s.
  for (let i = 0; i < 10; i++) {
    now += 100
    step([...r.receive(hostile, { t: 'digest', ids: randomIds(MAX_IDS_PER_MESSAGE) }, now), ...r.tick(now)], `hostile digest ${i}`)
  }
  // The honest peer's one real item arrives (from another peer): its count starts again.
  step(r.receive(other, { t: 'items', epoch: 0, items: [{ kind: 'tx', id: item, mode: 'flood', origin: ORIGIN_UNKNOWN, payload: syntheticPayload(item, 120) }] }, now), 'the real item')
  assert.equal(refusals(all, hostile).length, 0, 'nothing given up yet: no refusal')
  for (let i = 0; i <= r.params.maxPullTries + 1; i++) {
    now += r.params.pullTimeoutMs
    step(r.tick(now), `retry ${i}`)
  }
  assert.equal(refusals(all, hostile).length, 1, 'the digest flooder is refused once, at its first given-up batch')
  assert.match((refusals(all, hostile)[0] as { reason: string }).reason, /no one could deliver/)
  assert.equal(refusals(all, honest).length, 0, 'MAX_UNSERVED_DIGESTED - 1 unserved ids, then one served: not refused')
  assert.equal(refusals(all, other).length, 0)
  assert.equal(r.counters.digestersRefused, 1)
})

test('admission: a peer\'s unadmitted tx bytes are capped (its further txs dropped unchecked, then let in again at the refill rate); admitted txs give their bytes back', () => {
  const { r, ids: [junk, good] } = relayWithPeers({ admitTxs: 1 })
  let now = 0
  const TX = 120_000
  const send = (from: string, verdict: boolean): { delivered: boolean } => {
    const id = new Uint8Array(randomBytes(32))
    const a = r.receive(from, { t: 'items', epoch: 0, items: [{ kind: 'tx', id, mode: 'flood', origin: ORIGIN_UNKNOWN, payload: syntheticPayload(id, TX) }] }, now)
    const delivered = a.some((x) => x.t === 'deliver')
    if (delivered) r.onPoolResult(`0x${Buffer.from(id).toString('hex')}`, verdict, from, now)
    assert.deepEqual(r.invariants(), [])
    return { delivered }
  }
  // 208 refused txs of 120 KB in one burst: only the allowance's worth reaches the pool.
  let junkTaken = 0
  for (let i = 0; i < 208; i++) if (send(junk, false).delivered) junkTaken++
  assert.equal(junkTaken, Math.floor(UNADMITTED_TX_BYTES_PER_PEER / TX), 'the allowance in txs of 120 KB')
  assert.equal(r.counters.txsThrottled, 208 - junkTaken)
  // Another peer whose txs the pool admits is never throttled, however many bytes it sends.
  let goodTaken = 0
  for (let i = 0; i < 208; i++) if (send(good, true).delivered) goodTaken++
  assert.equal(goodTaken, 208, 'admitted txs give their bytes back')
  // After a second the junk peer has a second's refill: that many txs get in, not more.
  now += 1000
  let later = 0
  for (let i = 0; i < 20; i++) if (send(junk, false).delivered) later++
  assert.equal(later, Math.floor((UNADMITTED_TX_BYTES_PER_PEER - junkTaken * TX + UNADMITTED_TX_BYTES_REFILL_PER_S) / TX), 'what was left, plus a second\'s refill')
  // No penalty: the junk peer is never disconnected, only not read for a while (once per pause, at most a second).
  assert.equal(r.counters.txsRejectedHostile, 0)
})

test('admission: a peer out of its allowance gets one read pause of READ_PAUSE_MS at a time, and the allowance it refills meanwhile', () => {
  const { r, ids: [junk] } = relayWithPeers({ admitTxs: 1 })
  const TX = 120_000
  let now = 0
  const pauses: number[] = []
  let taken = 0
  const send = (): void => {
    const id = new Uint8Array(randomBytes(32))
    const a = r.receive(junk, { t: 'items', epoch: 0, items: [{ kind: 'tx', id, mode: 'flood', origin: ORIGIN_UNKNOWN, payload: syntheticPayload(id, TX) }] }, now)
    for (const x of a) {
      if (x.t === 'deliver') {
        taken++
        r.onPoolResult(`0x${Buffer.from(id).toString('hex')}`, false, junk, now)
      }
      if (x.t === 'refused') {
        assert.equal(x.disconnect, false, 'never a disconnect')
        pauses.push(x.pauseMs ?? -1)
      }
    }
    assert.deepEqual(r.invariants(), [])
  }
  for (let i = 0; i < 100; i++) send()
  assert.deepEqual(pauses, [READ_PAUSE_MS], 'one pause while it runs, however many txs come meanwhile')
  now += READ_PAUSE_MS
  taken = 0
  for (let i = 0; i < 100; i++) send()
  assert.equal(taken, Math.floor((UNADMITTED_TX_BYTES_PER_PEER - Math.floor(UNADMITTED_TX_BYTES_PER_PEER / TX) * TX + (READ_PAUSE_MS / 1000) * UNADMITTED_TX_BYTES_REFILL_PER_S) / TX), 'after the pause: what was left plus the refill')
  assert.deepEqual(pauses, [READ_PAUSE_MS, READ_PAUSE_MS], 'then out again: a new pause')
})

test('repair: a graft from a peer re-digests this node\'s recent backlog to it, at most once per backlog window and only that window', () => {
  const { r, ids: [p] } = relayWithPeers()
  const digested = (actions: TeeAction[]): number => actions.reduce((s, a) => s + (a.t === 'send' && a.to === p && a.msg.t === 'digest' ? a.msg.ids.length : 0), 0)
  let now = 200
  const run = (untilMs: number): number => {
    let n = 0
    for (; now < untilMs; now += 50) {
      n += digested(r.tick(now))
      assert.deepEqual(r.invariants(), [], `at ${now} ms`)
    }
    return n
  }
  for (let i = 0; i < 20; i++) {
    const id = new Uint8Array(randomBytes(32))
    r.publish('tx', id, syntheticPayload(id, 120), now)
  }
  assert.equal(run(3000), 20, 'the 20 items are digested once')
  assert.equal(run(4000), 0, 'and not again')
  const graft = (): number => digested(r.receive(p, { t: 'graft', epoch: 0, tree: 0, attach: true }, now)) + run(now + 1000)
  assert.equal(graft(), 20, 'a graft (a tree edge to the peer) names the backlog again: the peer may lack what it missed')
  assert.equal(graft(), 0, 'a second graft within the window names nothing: a flapping peer gets no more than a reconnect')
  run(now + 10_000)
  assert.equal(graft(), 0, 'a window later the items are older than the backlog a graft names')
})
