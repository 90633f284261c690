/**
 * `teecast bench compare` on the recorded report fixture: the same scenario compares (ratios of means over the
 * repetitions); a different node count or scenario is refused with exit 2 unless --force, which warns loudly.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Summary } from '../../bench/report/summary.ts'
import { comparability } from '../../bench/report/compare.ts'

const fixture = JSON.parse(readFileSync('test/bench/fixtures/report/summary.json', 'utf8')) as Summary
const run = (...args: string[]) => spawnSync(process.execPath, ['bin/teecast.js', 'bench', 'compare', ...args], { encoding: 'utf8', timeout: 60_000 })

function withRuns(edit: (b: Summary) => void, fn: (a: string, b: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tc-compare-'))
  try {
    const b = structuredClone(fixture)
    edit(b)
    for (const [name, s] of [['a', fixture], ['b', b]] as const) {
      mkdirSync(join(dir, name))
      writeFileSync(join(dir, name, 'summary.json'), JSON.stringify(s))
    }
    fn(join(dir, 'a'), join(dir, 'b'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('comparability: node count and scenario refuse, other differences warn', () => {
  const b = structuredClone(fixture)
  b.scenario.network.nodes = 4
  b.scenario.name = 'other'
  b.scenario.network.period = 2
  const c = comparability(fixture, b)
  assert.deepEqual(c.refusals, ['different scenarios: "tiny-report" and "other"', 'different node counts: 3 and 4'])
  assert.ok(c.warnings.includes('network.period differs: 1 and 2'))
  assert.deepEqual(comparability(fixture, fixture).refusals, [])
})

test('bench compare: ratios of means for the same scenario; exit 2 for another node count; --force warns', { timeout: 120_000 }, () => {
  withRuns(() => {}, (a, b) => {
    const r = run(a, b)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /\| stock \| x1\.00 \| x1\.00 \|/)
    assert.match(r.stdout, /\| tee \| x1\.00 \|/)
  })
  withRuns((b) => { b.scenario.network.nodes = 4 }, (a, b) => {
    const refused = run(a, b)
    assert.equal(refused.status, 2)
    assert.match(refused.stderr, /refusing to compare .*different node counts: 3 and 4/)
    const forced = run(a, b, '--force')
    assert.equal(forced.status, 0, forced.stderr)
    assert.match(forced.stderr, /WARNING: different node counts: 3 and 4/)
  })
})
