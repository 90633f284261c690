import { test } from 'node:test'
import assert from 'node:assert/strict'
import { REDIAL_MAX_MS, REDIAL_MIN_MS, StaticDialer } from '../../src/p2p/static-peers.ts'
import { parseEnode } from '../../src/shared/enode.ts'

const id = (c: string): string => c.repeat(128)
const peer = (c: string, port: number) => ({ id: id(c), host: '127.0.0.1', port })

test('only the end with the smaller id dials, so two ends never dial each other at once', () => {
  const mine = new StaticDialer(id('5'), [peer('3', 1), peer('7', 2), peer('5', 3)], 0)
  assert.deepEqual(mine.due(0, new Set()).map((p) => p.port), [2])
  assert.equal(mine.dialTargets, 1)
})

test('a failed dial backs off exponentially up to the cap; a drop is redialled soon', () => {
  const d = new StaticDialer(id('1'), [peer('9', 1)], 0)
  let now = 0
  assert.equal(d.due(now, new Set()).length, 1)
  assert.equal(d.due(now, new Set()).length, 0, 'no second dial while one is in flight')
  const waits: number[] = []
  for (let i = 0; i < 6; i++) {
    d.dialed(id('9'), false, now)
    let t = now
    while (d.due(t, new Set()).length === 0) t += 50
    waits.push(t - now)
    now = t
  }
  assert.deepEqual(waits, [250, 500, 1000, 2000, 4000, 4000])
  assert.equal(REDIAL_MAX_MS, 4000)
  d.dialed(id('9'), true, now)
  assert.equal(d.due(now + 10_000, new Set([id('9')])).length, 0, 'connected peers are not dialled')
  d.disconnected(id('9'), now)
  assert.equal(d.due(now + REDIAL_MIN_MS - 1, new Set()).length, 0)
  assert.equal(d.due(now + REDIAL_MIN_MS, new Set()).length, 1, 'a restarted peer is redialled')
})

test('enode URLs are parsed strictly', () => {
  assert.deepEqual(parseEnode(`enode://${'A'.repeat(128)}@127.0.0.1:30303`), { id: 'a'.repeat(128), host: '127.0.0.1', port: 30303 })
  assert.throws(() => parseEnode(`enode://${'a'.repeat(127)}@127.0.0.1:30303`), /not an enode URL/)
  assert.throws(() => parseEnode(`enode://${'a'.repeat(128)}@127.0.0.1:70000`), /port out of range/)
  assert.throws(() => parseEnode('http://x'), /not an enode URL/)
})
