/** The whole bench harness on the tiny scenario (3 real nodes, 20 txs, stock): every summary field is there. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadScenario } from '../../bench/scenario.ts'
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
    for (const k of ['offeredTxPerS', 'committedTxPerS', 'reachedAllNodes', 'cpuSecondsPerNode', 'peakRssMBMax'] as const) assert.equal(typeof m[k], 'number', k)
    for (const p of [m.inclusionLatencyMs, m.propagationMs.to50, m.propagationMs.to90, m.propagationMs.to100]) {
      assert.ok(p.p50 !== null && p.p90 !== null && p.p99 !== null && p.max !== null && p.p50 <= p.p99)
    }
    assert.equal(m.reachedAllNodes, 1, 'every tx reached every node')
    assert.ok(m.perTxPerNode.txMsgsIn > 0 && m.perTxPerNode.txBytesIn > 0)
    assert.ok(m.perTxPerNode.byMessage['eth/NewPooledTransactionHashes']!.msgsIn > 0)
    assert.equal(m.latencyCdfMs.length, 20)
    assert.ok(m.peakRssMBMax > 20)
    const csv = readFileSync(join(out, 'nodes.csv'), 'utf8').trim().split('\n')
    assert.equal(csv.length, 1 + 3)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    assert.equal((html.match(/<svg/g) ?? []).length, 4)
    assert.doesNotMatch(html.replace(/xmlns(:xlink)?="http[^"]*"/g, ''), /https?:\/\/|<script/, 'no external resources, no scripts')
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\| stock \| 20\/20 \|/)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
