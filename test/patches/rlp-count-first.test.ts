/**
 * Patch @ethereumjs/rlp 002 (decode-counts-first): with an item cap, decode counts the items from their headers
 * before it builds any, so a bomb is refused without building the first 2^19 of its items. The heap is read before
 * and right after the refused decode, with no collection in between: what the decode built is still there. Without
 * the patch the 4M-item bomb builds its first 2^19 items before the cap throws: +105 MB of heap and ~0.8 s, against
 +1 MB and 7 ms with it (measured once, on a loaded machine).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { RLP } from '@ethereumjs/rlp'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** A list of `n` (< 2^24) empty strings: 1 byte per item, the RLP bomb; a canonical 3-byte length. */
function bomb(n: number): Uint8Array {
  const b = new Uint8Array(4 + n).fill(0x80)
  b[0] = 0xfa
  b[1] = (n >> 16) & 0xff
  b[2] = (n >> 8) & 0xff
  b[3] = n & 0xff
  return b
}

test('a capped decode refuses a bomb before building its items (heap grows < 8 MB, not ~100 MB)', () => {
  const input = bomb(4_000_000)
  gc()
  const before = process.memoryUsage().heapUsed
  assert.throws(() => RLP.decode(input, false, { maxItems: 1 << 19 }), /more than 524288 items/)
  const grew = process.memoryUsage().heapUsed - before
  assert.ok(grew < 8 * 1024 * 1024, `the refused decode left ${(grew / 1e6).toFixed(1)} MB on the heap`)
})

test('capped and uncapped decodes agree on valid input, and on nesting too deep', () => {
  const value = [[new Uint8Array([1]), new Uint8Array([2]), [new Uint8Array([3]), new Uint8Array(60).fill(7)]], new Uint8Array(100).fill(9), new Uint8Array(0), []]
  const enc = RLP.encode(value)
  assert.deepEqual(RLP.decode(enc, false, { maxItems: 100 }), RLP.decode(enc))
  assert.throws(() => RLP.decode(enc, false, { maxItems: 5 }), /more than 5 items/)
  let deep: unknown = []
  for (let i = 0; i < 200; i++) deep = [deep]
  assert.throws(() => RLP.decode(RLP.encode(deep as never), false, { maxItems: 1000 }), /nesting deeper than 128/)
})
