import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { adversaryCounts, parseScenario, ScenarioError, loadScenario } from '../../bench/scenario.ts'

test('every shipped scenario parses', () => {
  for (const f of readdirSync('bench/scenarios')) {
    const s = loadScenario(`bench/scenarios/${f}`)
    assert.ok(s.modes.length >= 1, f)
  }
  const std = loadScenario('bench/scenarios/standard.yaml')
  assert.deepEqual(std.modes, ['stock', 'geth', 'flood', 'tee'])
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
    [base.replace('kind: fixed-rate', 'kind: burst'), /kind/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: ramp, start: 10, end: 50, steps: 5 }'), /exactly one of stepSec and countPerStep/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: ramp, start: 10, end: 50, steps: 5, stepSec: 5, countPerStep: 9 }'), /exactly one of stepSec and countPerStep/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: ramp, start: 10, end: 50, steps: 1, stepSec: 5 }'), /one step needs start = end/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: ramp, start: 0, end: 50, steps: 5, stepSec: 5 }'), /start/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: ramp, start: 10, end: 50, steps: 5, stepSec: 5, maxLatencySec: 0 }'), /maxLatencySec/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: fixed-load, count: 20 }'), /inFlight/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: fixed-load, inFlight: 0, count: 20 }'), /inFlight/],
    [base.replace('workload: { kind: fixed-rate, rate: 20, count: 20, timeoutSec: 60 }', 'workload: { kind: fixed-load, inFlight: 4, count: 20, rate: 3 }'), /rate/],
    [base.replace('timeoutSec: 60', 'timeoutSec: 60, mix: { transfer: 0 }'), /weights must not all be 0/],
    [base.replace('timeoutSec: 60', 'timeoutSec: 60, mix: { transfer: 1, swap: 1 }'), /swap/],
    [base.replace('timeoutSec: 60', 'timeoutSec: 60, mix: { transfer: -1, contractCall: 1 }'), /transfer/],
    [base.replace('timeoutSec: 60', 'timeoutSec: 60, calldataBytes: 0'), /calldataBytes/],
    [base.replace('timeoutSec: 60', 'timeoutSec: 60, warmupSec: -2'), /warmupSec/],
    [base.replace('modes: [stock]', 'modes: [stock]\nrepetitions: 0'), /repetitions/],
    [base.replace('accounts: 20', 'accounts: 20, regions: { regions: { a: [n0, n1] }, rtt: { a-a: 20ms } }'), /no region for n2/],
    [base.replace('accounts: 20', 'accounts: 20, regions: { regions: { a: [n0, n1], b: [n2] }, rtt: { a-a: 20ms, b-b: 20ms } }'), /no rtt for a-b/],
    [base.replace('accounts: 20', 'accounts: 20, regions: { regions: { a: [n0, n1, n2, n5] }, rtt: { a-a: 20ms } }'), /n5 does not exist/],
    [base.replace('accounts: 20', 'accounts: 20, regions: { regions: { a: [n0, n1, n2] }, rtt: { a-a: soon } }'), /rtt a-a: "soon" is not a duration/],
    [base.replace('accounts: 20', 'accounts: 20, linkFile: x.yaml, regions: { regions: { a: [n0, n1, n2] }, rtt: { a-a: 2ms } }'), /linkFile or regions, not both/],
    [base.replace('accounts: 20', 'accounts: 20, linkFile: /nonexistent/topology.yaml'), /linkFile: topology file \/nonexistent\/topology.yaml/],
  ]
  for (const [text, re] of cases) assert.throws(() => parseScenario(text, 't.yaml'), (e: Error) => e instanceof ScenarioError && re.test(e.message), text.slice(0, 60))
})

test('defaults of the new workload fields, and a topology file read relative to the scenario', () => {
  const tiny = loadScenario('bench/scenarios/tiny.yaml')
  assert.equal(tiny.repetitions, 1)
  assert.equal(tiny.workload.warmupSec, 0)
  assert.deepEqual(tiny.workload.mix, { transfer: 1, contractCall: 0, largeCalldata: 0 })
  assert.equal(tiny.workload.calldataBytes, 4096)
  const ramp = loadScenario('bench/scenarios/ramp.yaml')
  assert.equal(ramp.workload.kind, 'ramp')
  if (ramp.workload.kind === 'ramp') assert.equal(ramp.workload.maxLatencySec, 10)
  const regions = loadScenario('bench/scenarios/regions.yaml')
  assert.deepEqual(regions.network.regions?.regions, { eu: ['n0', 'n1', 'n2'], us: ['n3', 'n4', 'n5'], asia: ['n6', 'n7'] })
  assert.equal(regions.network.regions?.rtt['eu-asia'], '200ms')
})

test('adversaries: fractions of the nodes, whole counts, refused when out of range or when no honest follower is left', () => {
  const base = readFileSync('bench/scenarios/tiny.yaml', 'utf8').replace('nodes: 3, degree: 2', 'nodes: 10, degree: 4')
  const s = parseScenario(`${base}adversaries: { junkLeaves: 0.2, omittingRelays: 0.1 }\n`)
  assert.deepEqual(s.adversaries, { junkLeaves: 0.2, omittingRelays: 0.1, clean: false })
  assert.deepEqual(adversaryCounts(s.adversaries, s.network.nodes), { junkLeaves: 2, omittingRelays: 1 })
  assert.equal(loadScenario('bench/scenarios/tiny.yaml').adversaries, undefined)
  const cases: [string, RegExp][] = [
    ['adversaries: { junkLeaves: 1.5 }', /fraction of the nodes, 0 to 1\s+→ at adversaries\.junkLeaves/],
    ['adversaries: { omittingRelays: -0.1 }', /fraction of the nodes, 0 to 1\s+→ at adversaries\.omittingRelays/],
    ['adversaries: { junkLeaves: 0.01 }', /0\.01 of 10 nodes rounds to none; give at least 0\.100\s+→ at adversaries\.junkLeaves/],
    ['adversaries: { omittingRelays: 0.9 }', /9 omitting relays, but only 8 of 10 nodes/],
    ['adversaries: { liars: 0.1 }', /liars/],
    ['adversaries: { junkLeaves: "many" }', /junkLeaves/],
  ]
  for (const [extra, re] of cases) assert.throws(() => parseScenario(`${base}${extra}\n`, 't.yaml'), (e: Error) => e instanceof ScenarioError && re.test(e.message), `${extra}: ${(() => { try { parseScenario(`${base}${extra}\n`) } catch (e) { return (e as Error).message } })()}`)
})
