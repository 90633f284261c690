/**
 * `teecast sim --preset fring` (bench/sim-fring.ts) and the simulator's `regions` option: FRing's RTT tiers reach the
 * links (one-way = RTT / 2), the preset writes its three files with one row per mode and failed share beside FRing's
 * published figures (marked), and bad input exits 2. Small networks on the virtual clock: a few seconds.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FRING_REGIONS, linkLatencies, runExperiment } from '../../src/sim/experiment.ts'
import { randomRegularGraph } from '../../src/shared/topology.ts'
import { SeededRandom } from '../../src/shared/rng.ts'
import { FRING_FAILED, FRING_MODES, runFring, writeFringReport, type FringRow } from '../../bench/sim-fring.ts'

test('sim regions: a link inside a region has 10 ms one-way, eu-us 40 ms, to asia 100 ms; every region holds nodes', () => {
  const s = { nodes: 90, seed: 'regions', latencyMs: [10, 100] as [number, number], regions: FRING_REGIONS }
  const edges = randomRegularGraph(90, 8, 'regions')
  const { latency, regionOf } = linkLatencies(s, edges, new SeededRandom('x'))
  const names = FRING_REGIONS.names
  for (const r of names.keys()) assert.ok(regionOf.filter((x) => x === r).length >= 15, `region ${names[r]} holds too few nodes`)
  const seen = new Set<number>()
  for (const [a, b] of edges) {
    const [ra, rb] = [names[regionOf[a]!]!, names[regionOf[b]!]!]
    const want = ra === rb ? 10 : ra === 'asia' || rb === 'asia' ? 100 : 40
    const got = latency.get(Math.min(a, b) * 90 + Math.max(a, b))
    assert.equal(got, want, `link ${a}(${ra})-${b}(${rb})`)
    seen.add(want)
  }
  assert.deepEqual([...seen].sort((x, y) => x - y), [10, 40, 100], 'the graph has links of every tier')
  // Assignment is by seed: the same seed, the same regions; another seed, others.
  assert.deepEqual(linkLatencies(s, edges, new SeededRandom('y')).regionOf, regionOf)
  assert.notDeepEqual(linkLatencies({ ...s, seed: 'other' }, edges, new SeededRandom('x')).regionOf, regionOf)
  assert.throws(() => linkLatencies({ ...s, regions: { names: ['eu', 'us'], rttMs: { 'eu-eu': 20, 'us-us': 20 } } }, edges, new SeededRandom('x')), /no RTT >= 0 for regions eu-us/)
})

test('sim regions: a run takes its link latencies from the regions (20x the RTT, about 20x the time to 50 %)', () => {
  const base = { mode: 'flood' as const, nodes: 40, degree: 6, items: 10, rateTps: 20, jitterMs: 0, drainMs: 5000, seed: 'rt' }
  const fast = runExperiment({ ...base, regions: { names: ['x'], rttMs: { 'x-x': 20 } } })
  const slow = runExperiment({ ...base, regions: { names: ['x'], rttMs: { 'x-x': 400 } } })
  assert.equal(fast.minReach, 1)
  assert.equal(slow.minReach, 1)
  const ratio = slow.latency.to50.p50 / fast.latency.to50.p50
  assert.ok(ratio > 15 && ratio < 25, `to 50 %: ${slow.latency.to50.p50} ms vs ${fast.latency.to50.p50} ms`)
})

test('sim --preset fring: one row per mode and failed share, the three files, published rows marked', async () => {
  const lines: string[] = []
  const o = { nodes: [40], seed: 'fr', items: 8, epochMs: 60_000, detectMs: 0, progress: (l: string) => void lines.push(l) }
  const rows = runFring(o)
  assert.equal(rows.length, FRING_MODES.length * (1 + FRING_FAILED.length))
  for (const mode of FRING_MODES) for (const f of [0, ...FRING_FAILED]) {
    const r = rows.filter((x) => x.mode === mode && x.failed === f)
    assert.equal(r.length, 1, `${mode} ${f}`)
    assert.equal(r[0]!.source, 'simulated')
    assert.ok(r[0]!.msgsPerNodePerTx! > 0 && r[0]!.bytesPerNodePerTx! > 0 && Number.isFinite(r[0]!.to95Ms), JSON.stringify(r[0]))
    assert.ok(r[0]!.reachAllLive! > 0 && r[0]!.reachAllLive! <= r[0]!.reachConnected!, `reach of all live <= of connected: ${JSON.stringify(r[0])}`)
  }
  assert.equal(lines.length, 2 * rows.length, 'a line before and after each run')
  assert.match(lines.at(-1)!, /^\[fring 16\/16\] 40 nodes, tee, 60 % failed: done in/)
  const dir = mkdtempSync(join(tmpdir(), 'fring-'))
  try {
    const files = await writeFringReport(rows, o, dir)
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ['fring.json', 'fring.md', 'fring.html'])
    const json = JSON.parse(readFileSync(files[0]!, 'utf8')) as { rows: FringRow[] }
    assert.equal(json.rows.filter((r) => r.source === 'simulated').length, rows.length)
    const published = json.rows.filter((r) => r.source === 'published')
    assert.deepEqual(published.filter((r) => r.failed === 0).map((r) => [r.mode, r.nodes, r.to95Ms]), [['fring', 2000, 1660], ['fring', 8000, 3590], ['gossip', 2000, 15_400], ['gossip', 8000, 63_900]])
    assert.deepEqual(published.filter((r) => r.failed > 0).map((r) => [r.mode, r.failed, r.reachAllLive]), [['fring', 0.3, 0.898], ['gossip', 0.3, 0.94], ['fring', 0.5, 0.68], ['gossip', 0.5, 0.736], ['fring', 0.6, 0.32], ['gossip', 0.6, 0.512]])
    const md = readFileSync(files[1]!, 'utf8')
    for (const mode of FRING_MODES) for (const f of FRING_FAILED) assert.match(md, new RegExp(`\\| simulated \\| 40 \\| ${mode} \\| ${f * 100} % \\|`))
    assert.equal(md.match(/\| published \| [^|]+ \| (fring|gossip) \(published\) \|/g)?.length, 10)
    assert.match(md, /\| published \| 8000 \| gossip \(published\) \| – \| 63\.90 \| – \|/)
    assert.match(md, /\| published \| as published \| fring \(published\) \| 60 % \| 32\.0 % \| – \|/)
    const html = readFileSync(files[2]!, 'utf8')
    assert.equal(html.match(/<svg/g)?.length, 5)
    assert.equal(html.match(/<tr class="published">/g)?.length, 10)
    assert.equal(html.match(/<tr><td>simulated<\/td>/g)?.length, rows.length)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/teecast.js', 'sim', ...args], { encoding: 'utf8', timeout: 120_000 })

test('teecast sim --preset fring: bad input exits 2 with a message before any run', () => {
  for (const [args, msg] of [
    [['--preset', 'fing'], /--preset must be fring, got "fing"/],
    [['--preset', 'fring', '--nodes', '200,abc'], /--nodes must be an integer in 3\.\.20000 \(or, with --preset, a list of them\), got "200,abc"/],
    [['--preset', 'fring', '--nodes', '200,8'], /every --nodes count must be above 8/],
    [['--preset', 'fring', '--items', '0'], /--items must be an integer >= 1/],
    [['--preset', 'fring', '--detect-ms', 'soon'], /--detect-ms must be/],
    [['--nodes', '200,500'], /--nodes takes one count without --preset, got "200,500"/],
  ] as const) {
    const r = run(...args)
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, msg)
    assert.doesNotMatch(r.stderr, /\[fring/, 'no run started')
    assert.equal(r.stdout, '')
  }
})

test('teecast sim --preset fring --nodes 30: progress on stderr, the three files named on stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fring-cli-'))
  try {
    const r = run('--preset', 'fring', '--nodes', '30', '--items', '5', '--out', dir)
    assert.equal(r.status, 0, r.stderr)
    assert.deepEqual(r.stdout.trim().split('\n'), ['fring.json', 'fring.md', 'fring.html'].map((f) => join(dir, f)))
    assert.equal(r.stderr.match(/^\[fring \d+\/16\] 30 nodes, \w+, \d+ % failed: done in/gm)?.length, 16)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
