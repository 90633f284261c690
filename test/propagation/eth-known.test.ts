/**
 * KnownByPeer against the client's own shape of the same state: a map per peer from hash to the time it became
 * known, pruned by age. Random steps (adds, prunes at a rising cutoff) on a rising clock; after every step both must
 * give the same answers to has() and the same size.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { KnownByPeer } from '../../src/propagation/eth/known.ts'

class ByPeerModel {
  readonly m = new Map<string, Map<string, number>>()
  add(peer: string, hash: string, now: number): boolean {
    let p = this.m.get(peer)
    if (p === undefined) this.m.set(peer, (p = new Map()))
    if (p.has(hash)) return false
    p.set(hash, now)
    return true
  }
  prune(cutoff: number): void {
    for (const p of this.m.values()) for (const [h, at] of p) if (at < cutoff) p.delete(h)
  }
  has(peer: string, hash: string): boolean {
    return this.m.get(peer)?.has(hash) === true
  }
  get size(): number {
    let n = 0
    for (const p of this.m.values()) n += p.size
    return n
  }
}

const HASHES: `0x${string}`[] = ['0x01', '0x02', '0x03', '0x04', '0x05', '0x06']
const stepOver = (PEERS: readonly string[]) => fc.oneof(
  fc.record({ t: fc.constant('add' as const), peer: fc.constantFrom(...PEERS), hash: fc.constantFrom(...HASHES), dt: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ t: fc.constant('addNew' as const), peer: fc.constantFrom(...PEERS), hashes: fc.subarray(HASHES), dt: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ t: fc.constant('prune' as const), back: fc.integer({ min: 0, max: 20 }) }),
)

/** Few peers, and more peers than fit the per-hash bitmask (31), so both layouts are checked. */
const FEW = ['a', 'b', 'c', 'd', 'e']
const MANY = Array.from({ length: 40 }, (_, i) => `p${i}`)

for (const PEERS of [FEW, MANY]) test(`KnownByPeer answers as a per-peer map of hash -> time does, through adds and prunes by age (${PEERS.length} peers)`, () => {
  fc.assert(
    fc.property(fc.array(stepOver(PEERS), { maxLength: PEERS.length > 10 ? 300 : 80 }), (steps) => {
      const k = new KnownByPeer()
      const model = new ByPeerModel()
      let now = 0
      for (const s of steps) {
        if (s.t === 'add') {
          now += s.dt
          assert.equal(k.add(s.peer, s.hash, now), model.add(s.peer, s.hash, now))
        } else if (s.t === 'addNew') {
          now += s.dt
          const fresh = k.addNew(s.peer, s.hashes.map((hash) => ({ hash })), now).map((x) => x.hash)
          assert.deepEqual(fresh, s.hashes.filter((h) => model.add(s.peer, h, now)))
        } else {
          k.prune(now - s.back)
          model.prune(now - s.back)
        }
        assert.equal(k.size, model.size)
        for (const p of PEERS) for (const h of HASHES) assert.equal(k.has(p, h), model.has(p, h), `has(${p}, ${h}) after ${JSON.stringify(s)}`)
      }
    }),
    { numRuns: PEERS.length > 10 ? 150 : 500, seed: 1 },
  )
})

test('KnownByPeer prunes each (peer, hash) pair by its own age: a hash known to one peer early and another late keeps the late one', () => {
  const k = new KnownByPeer()
  k.add('a', '0x01', 0)
  k.add('b', '0x01', 100)
  k.prune(50)
  assert.equal(k.has('a', '0x01'), false)
  assert.equal(k.has('b', '0x01'), true)
  assert.equal(k.size, 1)
  assert.equal(k.add('a', '0x01', 120), true, 'a pruned pair can be known again')
  k.prune(200)
  assert.equal(k.size, 0)
})

test('KnownByPeer keeps its answers across the log compaction that a long run of prunes triggers', () => {
  const k = new KnownByPeer()
  const model = new ByPeerModel()
  for (let t = 0; t < 20_000; t++) {
    const peer = `p${t % 37}`
    const hash = `0x${(t % 5003).toString(16)}` as const
    assert.equal(k.add(peer, hash, t), model.add(peer, hash, t))
    if (t % 1000 === 999) {
      k.prune(t - 3000)
      model.prune(t - 3000)
      assert.equal(k.size, model.size)
    }
  }
  for (let t = 0; t < 5003; t += 97) for (const p of ['p0', 'p5', 'p36']) assert.equal(k.has(p, `0x${t.toString(16)}`), model.has(p, `0x${t.toString(16)}`))
})

test('KnownByPeer refuses a clock that goes back, since its ages are kept in time order', () => {
  const k = new KnownByPeer()
  k.add('a', '0x01', 10)
  assert.throws(() => k.add('b', '0x02', 9), /clock went backwards/)
})
