/**
 * Patch @ethereumjs/client 057 (sync-wakes-on-new-peer). When the sync loop found no peer to sync from, it waited a
 * fixed 5 s before it looked again: a node restarted from its data sat idle that long after its first peer
 * connected. With the patch it looks again as soon as a peer joins the pool, or after one loop interval.
 * The loop runs on node:test's mocked setTimeout, so no test here sleeps.
 */
import { afterEach, beforeEach, mock, test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { setImmediate as flush } from 'node:timers/promises'
import { Synchronizer } from '@ethereumjs/client/dist/esm/src/sync/sync.js'
import { Event } from '@ethereumjs/client/dist/esm/src/types.js'

interface LoopProbe {
  events: EventEmitter
  sync: Synchronizer
  /** How many times the loop has looked for a peer to sync from. */
  looks: () => number
}

/** A synchronizer whose first look finds no peer and whose later looks find one (it has nothing to fetch from it). */
function probe(interval: number): LoopProbe {
  const events = new EventEmitter()
  const config = { events, logger: undefined, updateSynchronizedState: () => undefined }
  // The base class is abstract only in its types: its loop (sync, best, wait) is what the patch changed.
  const Loop = Synchronizer as unknown as new (o: unknown) => Synchronizer
  const sync = new Loop({ config, pool: {}, chain: {}, interval })
  const s = sync as unknown as { opened: boolean; best: () => Promise<unknown>; syncWithPeer: () => Promise<boolean> }
  s.opened = true
  let looks = 0
  s.best = async () => (++looks === 1 ? undefined : { id: 'peer' })
  s.syncWithPeer = async () => false
  return { events, sync, looks: () => looks }
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }))
afterEach(() => mock.timers.reset())

test('a peer joining the pool wakes a sync loop that found no peer', async () => {
  const p = probe(60_000)
  const done = p.sync.sync()
  await flush()
  assert.equal(p.looks(), 1)
  p.events.emit(Event.POOL_PEER_ADDED, { id: 'peer' })
  await flush()
  assert.equal(p.looks(), 2, 'looked again at once, without waiting for a timer')
  assert.equal(await done, false)
  assert.equal(p.events.listenerCount(Event.POOL_PEER_ADDED), 1, 'the wait removed its listener (the constructor keeps one)')
})

test('with no peer joining, the loop looks again after one interval, not after 5 s', async () => {
  const p = probe(1_000)
  const done = p.sync.sync()
  await flush()
  mock.timers.tick(999)
  await flush()
  assert.equal(p.looks(), 1, 'not before the interval')
  mock.timers.tick(1)
  await flush()
  assert.equal(p.looks(), 2)
  assert.equal(await done, false)
})
