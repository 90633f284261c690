/**
 * The event queue runs events in (time, insertion) order, also when events schedule more events at the current
 * time or later while the queue runs, and across growth of its arrays. Checked against a sorted list.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { EventQueue } from '../../src/sim/event-queue.ts'

test('EventQueue runs events in (time, insertion) order, with events added while it runs', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.integer({ min: 0, max: 50 }), frac: fc.constantFrom(0, 0.25, 0.5), spawn: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 3000 }),
      fc.integer({ min: 0, max: 80 }),
      (events, until) => {
        const q = new EventQueue()
        const ran: { at: number; id: number }[] = []
        const expected: { at: number; id: number }[] = []
        let id = 0
        const schedule = (at: number, spawn: readonly number[]): void => {
          const me = id++
          expected.push({ at, id: me })
          q.at(at, () => {
            assert.equal(q.now, at)
            ran.push({ at, id: me })
            for (const d of spawn) schedule(q.now + d, [])
          })
        }
        for (const e of events) schedule(e.at + e.frac, e.spawn)
        const n = q.runUntil(until)
        assert.equal(n, ran.length)
        // Order: by time, then by insertion number (ids are given in insertion order).
        for (let i = 1; i < ran.length; i++) {
          const a = ran[i - 1]!
          const b = ran[i]!
          assert.ok(a.at < b.at || (a.at === b.at && a.id < b.id), `event ${b.id} at ${b.at} ran after ${a.id} at ${a.at}`)
        }
        // Exactly the events due by `until` ran; the rest are still queued.
        const due = expected.filter((e) => e.at <= until)
        assert.equal(ran.length, due.length)
        assert.equal(q.size, expected.length - ran.length)
        assert.equal(q.now, until)
      },
    ),
    { numRuns: 300, seed: 7 },
  )
})

test('EventQueue refuses an event in the past', () => {
  const q = new EventQueue()
  q.at(5, () => {})
  q.runUntil(10)
  assert.throws(() => q.at(9, () => {}), /in the past/)
})
