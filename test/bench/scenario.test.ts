import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { parseScenario, ScenarioError, loadScenario } from '../../bench/scenario.ts'

test('every shipped scenario parses', () => {
  for (const f of readdirSync('bench/scenarios')) {
    const s = loadScenario(`bench/scenarios/${f}`)
    assert.ok(s.modes.length >= 1, f)
  }
  const std = loadScenario('bench/scenarios/standard.yaml')
  assert.deepEqual(std.modes, ['stock', 'geth', 'flood'])
})

test('bad scenarios are refused with the field and the reason', () => {
  const base = readFileSync('bench/scenarios/tiny.yaml', 'utf8')
  const cases: [string, RegExp][] = [
    [base.replace('modes: [stock]', 'modes: [gossip]'), /modes/],
    [base.replace('nodes: 3, degree: 2', 'nodes: 3, degree: 3'), /needs more than 3 nodes/],
    [base.replace('rate: 20', 'rate: -1'), /rate/],
    [base.replace('seed: tiny,', 'seed: tiny, link: { delay: fast },'), /not a duration/],
    [base.replace('name: tiny', 'name: Tiny Run'), /lower-case/],
    [`${base}\nextra: 1\n`, /extra/],
    ['{ not: [yaml', /not YAML/],
  ]
  for (const [text, re] of cases) assert.throws(() => parseScenario(text, 't.yaml'), (e: Error) => e instanceof ScenarioError && re.test(e.message), text.slice(0, 60))
})
