/** The whole bench harness on the tiny scenario (3 real nodes, 20 txs, stock): every summary field is there. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadScenario, parseScenario } from '../../bench/scenario.ts'
import { runScenario } from '../../bench/scenario-run.ts'
import type { Summary } from '../../bench/report/summary.ts'
import { freePortRange } from '../helpers/ports.ts'

test('tiny scenario: summary.json, nodes.csv, report.md and a self-contained report.html', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'tc-bench-'))
  try {
    const s = loadScenario('bench/scenarios/tiny.yaml')
    await runScenario(s, { outDir: out, basePort: await freePortRange(6) })
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary
    assert.equal(summary.scenario.name, 'tiny')
    assert.match(summary.gitCommit, /^[0-9a-f]{40}$|^unknown$/)
    assert.equal(summary.modes.length, 1)
    const m = summary.modes[0]!
    assert.equal(m.mode, 'stock')
    assert.equal(m.committed, 20)
    assert.equal(m.txs, 20)
    assert.equal(m.warmupTxs, 0)
    assert.equal(m.repetition, 1)
    assert.deepEqual(m.kinds, { transfer: { sent: 20, committed: 20, gasLimit: 21000 } })
    assert.equal(m.steps, undefined)
    assert.equal(m.repetitions, undefined)
    for (const k of ['offeredTxPerS', 'committedTxPerS', 'reachedAllNodes', 'cpuSecondsPerNode', 'peakRssMBMax', 'blocks', 'blockBytesInPerBlockPerNode'] as const) assert.equal(typeof m[k], 'number', k)
    for (const p of [m.inclusionLatencyMs, m.propagationMs.to50, m.propagationMs.to90, m.propagationMs.to100]) {
      assert.ok(p.p50 !== null && p.p90 !== null && p.p99 !== null && p.max !== null && p.p50 <= p.p99)
    }
    assert.equal(m.reachedAllNodes, 1, 'every tx reached every node')
    assert.equal(m.blocksReachedAllNodes, 1, 'every block reached every node')
    assert.ok(m.blockPropagationMs.to100.p50 !== null && m.blockPropagationMs.to50.p50! <= m.blockPropagationMs.to100.p50)
    assert.ok(m.perTxPerNode.txMsgsIn > 0 && m.perTxPerNode.txBytesIn > 0)
    assert.ok(m.perTxPerNode.byMessage['eth/NewPooledTransactionHashes']!.msgsIn > 0)
    assert.equal(m.latencyCdfMs.length, 20)
    assert.equal(m.inclusionCdfMs!.length, 20)
    assert.ok(m.blockCdfMs!.length >= 1 && m.blockCdfMs!.every((v, i, a) => i === 0 || a[i - 1]! <= v), 'block CDF: sorted')
    assert.equal(m.timeSeries!.reduce((t, p) => t + p.committedTxPerS * 2, 0), 20, 'every committed tx in one 2 s bin')
    assert.ok(m.timeSeries!.some((p) => p.bytesInPerS !== null && p.bytesInPerS > 0), 'bytes/s sampled during the run')
    assert.equal(summary.environment!.nodeVersion, process.version)
    assert.ok(summary.environment!.cpus >= 1 && summary.environment!.loadAverageStart.length === 3)
    assert.ok(m.peakRssMBMax > 20)
    const csv = readFileSync(join(out, 'nodes.csv'), 'utf8').trim().split('\n')
    assert.equal(csv.length, 1 + 3)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    assert.equal((html.match(/<svg/g) ?? []).length, 16, 'cost 5, latency 5, over time 3, per node 3')
    assert.doesNotMatch(html.replace(/xmlns(:xlink)?="http[^"]*"/g, ''), /https?:\/\/|<script/, 'no external resources, no scripts')
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\| stock \| 20\/20 \|/)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('tiny ramp: warm-up, a transfer / large-calldata mix, per-step results, max sustained, 2 repetitions', { timeout: 240_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'tc-bench-'))
  try {
    const s = parseScenario(
      `name: tiny-ramp
network: { nodes: 3, degree: 2, signers: 1, seed: tiny, period: 1, accounts: 20 }
modes: [stock]
repetitions: 2
workload: { kind: ramp, start: 5, end: 10, steps: 2, countPerStep: 10, warmupSec: 1, maxLatencySec: 30, timeoutSec: 60, mix: { transfer: 1, largeCalldata: 1 }, calldataBytes: 1024 }
`,
    )
    await runScenario(s, { outDir: out, basePort: await freePortRange(6) })
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary
    const m = summary.modes[0]!
    assert.equal(m.repetitions!.length, 2)
    for (const r of m.repetitions!) {
      assert.equal(r.txs, 20)
      assert.equal(r.warmupTxs, 5, '1 s at the first step rate')
      assert.equal(r.committed, 20)
      assert.deepEqual(r.steps!.map((st) => [st.offeredTxPerS, st.txs, st.committed]), [[5, 10, 10], [10, 10, 10]])
      assert.ok(r.steps!.every((st) => st.inclusionLatencyMs.p99 !== null && st.committedTxPerS >= 0))
      // Window throughput counts inclusions seen during a step's window (2 s and 1 s here), so at most all 20.
      assert.ok(r.steps![0]!.committedTxPerS * 2 + r.steps![1]!.committedTxPerS * 1 <= 20)
      assert.equal(r.maxSustainedTps, 10, 'both steps kept up on a 3-node net (30 s bound: CI machines are slow)')
      assert.equal(r.kinds.transfer!.sent + r.kinds.largeCalldata!.sent, 20)
      assert.ok(r.kinds.largeCalldata!.committed > 0 && r.kinds.largeCalldata!.gasLimit >= 21_000 + 16 * 1024)
    }
    assert.deepEqual(m.headline!.maxSustainedTps, { mean: 10, min: 10, max: 10 })
    assert.equal(m.headline!.committedTxPerS.mean, (m.repetitions![0]!.committedTxPerS + m.repetitions![1]!.committedTxPerS) / 2)
    // Same seed: the same kinds in both repetitions.
    assert.deepEqual(m.repetitions![0]!.kinds, m.repetitions![1]!.kinds)
    const csv = readFileSync(join(out, 'nodes.csv'), 'utf8').trim().split('\n')
    assert.equal(csv.length, 1 + 2 * 3)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    assert.equal((html.match(/<svg/g) ?? []).length, 17, 'the 16 charts and throughput vs offered load')
    assert.match(html, /throughput vs offered load/)
    const md = readFileSync(join(out, 'report.md'), 'utf8')
    assert.match(md, /\| stock #2 \| 20\/20 \|/)
    assert.match(md, /max sustained tx\/s .*: stock 10\.0/)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('tiny fixed-load: the closed loop keeps its txs outstanding and commits them all', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'tc-bench-'))
  try {
    const s = parseScenario(
      `name: tiny-load
network: { nodes: 3, degree: 2, signers: 1, seed: tiny, period: 1, accounts: 20 }
modes: [stock]
workload: { kind: fixed-load, inFlight: 6, count: 30, timeoutSec: 60 }
`,
    )
    await runScenario(s, { outDir: out, basePort: await freePortRange(6) })
    const m = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary).modes[0]!
    assert.equal(m.txs, 30)
    assert.equal(m.committed, 30)
    // 6 outstanding, ~1 s blocks: about 6 tx/s; far from the 30 an open loop would push at once.
    assert.ok(m.offeredTxPerS > 1 && m.offeredTxPerS < 20, `offered ${m.offeredTxPerS}`)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('tiny regions: per-link delays from the region RTTs reach the node processes', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'tc-bench-'))
  try {
    const s = parseScenario(
      `name: tiny-regions
network: { nodes: 4, degree: 3, signers: 1, seed: tiny, period: 2, accounts: 20, regions: { regions: { a: [n0, n1], b: [n2, n3] }, rtt: { a-a: 10ms, b-b: 10ms, a-b: 200ms } } }
modes: [stock]
workload: { kind: fixed-rate, rate: 10, count: 20, timeoutSec: 60 }
`,
    )
    await runScenario(s, { outDir: out, basePort: await freePortRange(8) })
    const m = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary).modes[0]!
    assert.equal(m.committed, 20)
    // Each tx enters in one region; its own region has it within a few 5 ms hops, the other only after >= 100 ms.
    assert.ok(m.propagationMs.to100.p50! >= 100, `to all nodes p50 ${m.propagationMs.to100.p50} ms`)
    assert.ok(m.propagationMs.to50.p50! < m.propagationMs.to100.p50!)
    // Blocks too: the signer's region first, the other one a 100 ms link later.
    assert.ok(m.blockPropagationMs.to100.p50! >= 100, `block to all nodes p50 ${m.blockPropagationMs.to100.p50} ms`)
    const t = JSON.parse(readFileSync(join(out, 'stock', 'testnet.json'), 'utf8')) as { link: { perLink: Record<string, { delay: string }> } }
    assert.deepEqual(Object.values(t.link.perLink).map((l) => l.delay).sort(), ['100ms', '100ms', '100ms', '100ms', '5ms', '5ms'])
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
