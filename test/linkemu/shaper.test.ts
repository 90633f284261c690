import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LinkShaper, MIN_RTO_MS, piecesOf, SEGMENT_BYTES } from '../../src/shared/linkemu/shaper.ts'
import { LinkSpecError, parseDuration, parseLinkSpec, parseLoss, parseRate, UNLIMITED } from '../../src/shared/linkemu/spec.ts'

test('units parse, bad values are refused with the reason', () => {
  assert.deepEqual(parseLinkSpec({ delay: '50ms', jitter: '5ms', rate: '20mbit', loss: '0.5%' }), { delayMs: 50, jitterMs: 5, rateBps: 20e6, loss: 0.005 })
  assert.equal(parseDuration('1.5s'), 1500)
  assert.equal(parseRate('512kbit'), 512_000)
  assert.equal(parseLoss('0%'), 0)
  assert.deepEqual(parseLinkSpec({}), UNLIMITED)
  for (const [f, re] of [
    [() => parseDuration('fast'), /not a duration/],
    [() => parseRate('20mb'), /not a rate like 20mbit/],
    [() => parseRate('0mbit'), /must be above 0/],
    [() => parseLoss('0.5'), /not a percentage/],
    [() => parseLoss('100%'), /below 100%/],
  ] as [() => unknown, RegExp][]) assert.throws(f, (e: Error) => e instanceof LinkSpecError && re.test(e.message))
})

test('delay is added once; rate serialises chunks back to back', () => {
  const s = new LinkShaper({ ...UNLIMITED, delayMs: 50, rateBps: 8_000_000 })
  // 1000 B at 8 Mbit/s = 1 ms on the wire.
  assert.equal(s.deliveryTime(0, 1000), 51)
  assert.equal(s.deliveryTime(0, 1000), 52, 'queued behind the first')
  assert.equal(s.deliveryTime(100, 1000), 151, 'an idle link does not bank credit')
})

test('a chunk is split into pieces of one segment on a slow link, and left whole on a fast one', () => {
  const slow = { ...UNLIMITED, rateBps: 32_000 }
  const pieces = piecesOf(slow, 65_536)
  assert.equal(pieces.reduce((a, b) => a + b, 0), 65_536)
  assert.ok(pieces.every((n) => n <= SEGMENT_BYTES), 'one segment each at 32 kbit/s')
  assert.deepEqual(piecesOf({ ...UNLIMITED, rateBps: 20e6 }, 65_536), [65_536])
  assert.deepEqual(piecesOf(UNLIMITED, 1_000_000), [1_000_000])
  // Shaped piece by piece, the first piece of a 64 KB chunk leaves a 32 kbit/s link after its own 362 ms, not after
  // the whole chunk's 16.4 s; the last leaves when the whole chunk would have.
  const s = new LinkShaper(slow)
  const at = pieces.map((n) => s.deliveryTime(0, n))
  assert.ok(at[0]! < 400, `first piece at ${at[0]} ms`)
  assert.equal(Math.round(at.at(-1)!), Math.round((65_536 * 8 * 1000) / 32_000))
})

test('jitter never reorders a stream, and a lost segment holds back what follows by one RTO', () => {
  const s = new LinkShaper({ ...UNLIMITED, delayMs: 20, jitterMs: 30 }, 7)
  let prev = 0
  for (let t = 0; t < 1000; t += 1) {
    const at = s.deliveryTime(t, 100)
    assert.ok(at >= prev && at >= t + 20 && at <= Math.max(prev, t + 50))
    prev = at
  }
  const lossy = new LinkShaper({ ...UNLIMITED, delayMs: 10, loss: 0.999 }, 3)
  assert.equal(lossy.deliveryTime(0, 100), 10 + MIN_RTO_MS, 'lost: delivered after one RTO')
  // A chunk sent right behind it is lost in the same window and waits for the same retransmission round.
  assert.equal(lossy.deliveryTime(0, 100), 10 + MIN_RTO_MS)
  const clean = new LinkShaper({ ...UNLIMITED, delayMs: 10, loss: 0.999 }, 3)
  clean.deliveryTime(0, 100)
  assert.ok(clean.deliveryTime(1, 1) >= 10 + MIN_RTO_MS, 'head-of-line: nothing overtakes the lost segment')
})

test('loss is applied per segment at the configured rate, deterministically', () => {
  const run = (seed: number) => {
    const s = new LinkShaper({ ...UNLIMITED, loss: 0.01 }, seed)
    let lost = 0
    let prev = 0
    for (let i = 0; i < 20_000; i++) {
      const at = s.deliveryTime(prev, 1448)
      if (at > prev) lost++
      prev = at
    }
    return lost
  }
  const lost = run(42)
  assert.equal(run(42), lost, 'same seed, same losses')
  assert.ok(lost > 120 && lost < 280, `about 1 % of 20,000 segments lost, got ${lost}`)
})
