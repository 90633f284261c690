/**
 * A scenario with `adversaries:` end to end on real node processes, tee and stock: 6 nodes, 2 junk leaves (raw
 * devp2p peers in this process) and 1 omitting relay (n5, started in the node's omission mode). Every tx reaches
 * every honest node, the honest nodes disconnect the junk leaves, and the omitting relay relays (almost) nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseScenario } from '../../bench/scenario.ts'
import { runScenario } from '../../bench/scenario-run.ts'
import type { Summary } from '../../bench/report/summary.ts'
import { freePortRange } from '../helpers/ports.ts'

test('adversaries: junk leaves are dropped, the omitting relay omits, every tx reaches every honest node (tee and stock)', { timeout: 420_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'tc-bench-adv-'))
  try {
    const s = parseScenario(`name: adversaries-small
network: { nodes: 6, degree: 3, signers: 1, seed: adversaries-small, period: 2, teeEpochSec: 5, accounts: 20 }
modes: [tee, stock]
workload: { kind: fixed-rate, rate: 10, count: 100, timeoutSec: 90 }
adversaries: { junkLeaves: 0.34, omittingRelays: 0.17 }
`)
    await runScenario(s, { outDir: out, basePort: await freePortRange(12) })
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary
    assert.equal(summary.failed, undefined, JSON.stringify(summary.failed))
    assert.deepEqual(summary.modes.map((m) => m.mode), ['tee', 'stock'])
    const t = JSON.parse(readFileSync(join(out, 'tee', 'testnet.json'), 'utf8')) as { nodes: { name: string; adversaryOmit?: boolean }[] }
    assert.deepEqual(t.nodes.filter((x) => x.adversaryOmit === true).map((x) => x.name), ['n5'])
    for (const m of summary.modes) {
      const a = m.adversaries!
      assert.equal(m.committed, 100, m.mode)
      assert.deepEqual([a.honestNodes, a.junkLeaves, a.omittingRelays], [5, 2, ['n5']])
      assert.equal(a.reach, 1, `${m.mode}: every tx at every honest node`)
      assert.equal(a.reachedAllHonest, 1)
      assert.ok(a.bytesInPerHonestNodePerTx > 0 && a.bytesInPerHonestNodePerTx >= m.perTxPerNode.txBytesIn * 0.5, `${m.mode}: ${a.bytesInPerHonestNodePerTx} B`)
      const dropped = Object.values(a.junk.disconnectedBy).reduce((x, y) => x + y, 0)
      assert.ok(a.junk.connections >= 2 && dropped >= 1, `${m.mode}: junk connections ${a.junk.connections}, dropped ${dropped}: ${JSON.stringify(a.junk)}`)
      // An undecodable tx is a protocol error in both: the node ends the session with a reason, not a bare close.
      assert.ok((a.junk.disconnectedAfter['undecodable-tx'] ?? 0) >= 1, `${m.mode}: ${JSON.stringify(a.junk.disconnectedAfter)}`)
      assert.ok((a.junk.disconnectedBy.SUBPROTOCOL_ERROR ?? 0) >= 1, `${m.mode}: ${JSON.stringify(a.junk.disconnectedBy)}`)
      const [o] = a.omitting
      assert.ok(o !== undefined && o.honestMeanTxMsgsOut > 20)
      // stock: not one push or announcement; tee: only answers to pulls (repairs), far fewer than an honest relay sends.
      if (m.mode === 'stock') assert.equal(o.txMsgsOut, 0)
      // The honest mean no longer counts junk forwards (a relay forwards a tx only once its pool admitted it), so it
      // is smaller than it was: n5's answers to pulls were 25 against an honest mean of 56 in one run. A relay that
      // forwarded would send at least the honest mean; 3/4 of it leaves room for how many pulls n5 happens to get.
      else assert.ok(o.txMsgsOut < o.honestMeanTxMsgsOut * 0.75, `tee: n5 sent ${o.txMsgsOut} TxItems, honest mean ${o.honestMeanTxMsgsOut}`)
    }
    const tee = summary.modes[0]!.adversaries!
    assert.equal(tee.exclusion?.length, 1)
    assert.ok(tee.epochs!.length >= 2, 'the poller saw the plans of several epochs')
    assert.equal(summary.modes[1]!.adversaries!.exclusion, undefined, 'stock has no plan')
    const md = readFileSync(join(out, 'report.md'), 'utf8')
    assert.match(md, /\| tee \| 5 \| 2 \| n5 \| 100\.00 % \|/)
    assert.match(md, /\| stock \| 5 \| 2 \| n5 \| 100\.00 % \|/)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
