import { test } from 'node:test'
import assert from 'node:assert/strict'
import { progressLine } from '../../src/cli/commands/sim.ts'

test('teecast sim progress: one line per interval of wall time at most, with the virtual time and events', () => {
  let clock = 0
  const lines: string[] = []
  const report = progressLine('stock', (l) => void lines.push(l), 15_000, () => clock)
  for (let s = 1; s <= 100; s++) {
    clock += 1000 // one wall second per virtual second
    report({ virtualMs: s * 1000, endMs: 100_000, events: s * 50_000 })
  }
  assert.equal(lines.length, 6)
  assert.equal(lines[0], '  stock: 15 of 100 virtual s, 0.8 M events, 15 s\n')
  assert.match(lines[5]!, /^ {2}stock: 90 of 100 virtual s, 4\.5 M events, 90 s\n$/)
})
