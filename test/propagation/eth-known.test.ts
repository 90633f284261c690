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

const PEERS = ['a', 'b', 'c', 'd', 'e']
const HASHES: `0x${string}`[] = ['0x01', '0x02', '0x03', '0x04', '0x05', '0x06']
const step = fc.oneof(
  fc.record({ t: fc.constant('add' as const), peer: fc.constantFrom(...PEERS), hash: fc.constantFrom(...HASHES), dt: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ t: fc.constant('addNew' as const), peer: fc.constantFrom(...PEERS), hashes: fc.subarray(HASHES), dt: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ t: fc.constant('prune' as const), back: fc.integer({ min: 0, max: 20 }) }),
)

test('KnownByPeer answers as a per-peer map of hash -> time does, through adds and prunes by age', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
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
    { numRuns: 500, seed: 1 },
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
