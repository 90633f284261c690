/**
 * The bench on a testnet it did not start (`bench run --testnet`, `testnet send`): a testnet.json with RPC URLs
 * and no pids, as on other hosts or in Kubernetes. CPU and RSS come from each node's /metrics, clock offsets are
 * measured NTP-style over `teecast_time` and reported. Here the "remote" nodes are local processes that the test
 * starts, described to the bench without their pids or data dirs.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { offsetFromProbes, measureClockOffset } from '../../bench/clock-offset.ts'
import { usageFromMetrics, metricsUsage } from '../../bench/metrics-usage.ts'
import { loadScenario } from '../../bench/scenario.ts'
import { runScenario } from '../../bench/scenario-run.ts'
import { launchTestnet } from '../../testnets/launcher.ts'
import { readTestnet, writeTestnet, type TestnetDescription } from '../../testnets/description.ts'
import { makeTestnet } from '../helpers/testnet.ts'

test('offset: the probe with the shortest round trip wins, and a skewed clock shows as its skew', () => {
  // The node's clock runs 5 s ahead; the second probe queued 40 ms on the way back.
  const probes = [
    { t0: 1000, server: 6004, t1: 1010 },
    { t0: 2000, server: 7003, t1: 2046 },
    { t0: 3000, server: 8001.5, t1: 3003 },
  ]
  const o = offsetFromProbes(probes)
  assert.equal(o.rttMs, 3)
  assert.equal(o.offsetMs, 5000)
  assert.throws(() => offsetFromProbes([]), /no clock probes/)
})

test('usage from /metrics text: CPU seconds and resident memory', () => {
  const text = '# HELP process_cpu_seconds_total x\nprocess_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 104857600\n'
  assert.deepEqual(usageFromMetrics(text), { cpuSeconds: 12.5, peakRssMB: 100 })
  assert.equal(usageFromMetrics('process_cpu_seconds_total 1\n'), null)
})

let net: Awaited<ReturnType<typeof makeTestnet>>
let remoteDir: string
before(async () => {
  net = await makeTestnet({ nodes: 3, signers: 1, degree: 2, seed: 'remote', period: 1, accounts: 20 })
  const d = await launchTestnet(net.dir, { readyTimeoutMs: 180_000 })
  // What another host holds: RPC and metrics addresses, keys of the accounts; no pid, no data dir.
  remoteDir = mkdtempSync(join(tmpdir(), 'tc-remote-'))
  const remote: TestnetDescription = { ...d, nodes: d.nodes.map((n) => ({ ...n, pid: null, dataDir: join(remoteDir, 'elsewhere', n.name) })) }
  writeTestnet(remoteDir, remote)
})
after(async () => {
  await net?.cleanup()
  if (remoteDir !== undefined) rmSync(remoteDir, { recursive: true, force: true })
})

test('teecast_time and /metrics of a running node', async () => {
  const n = net.d.nodes[0]!
  const o = await measureClockOffset(n.rpcUrl)
  // One host, one clock: the offset is within the probe's uncertainty (half its round trip), plus ms rounding.
  assert.ok(Math.abs(o.offsetMs) <= o.rttMs / 2 + 1, `offset ${o.offsetMs} ms, rtt ${o.rttMs} ms`)
  const u = await metricsUsage(`http://${n.host}:${n.metricsPort}/metrics`)
  assert.ok(u !== null && u.cpuSeconds > 0 && u.peakRssMB > 20, JSON.stringify(u))
})

test('bench run --testnet: the tiny workload on nodes it did not start; usage from /metrics, offsets reported', { timeout: 300_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'tc-remote-bench-'))
  try {
    const s = loadScenario('bench/scenarios/tiny.yaml')
    const summary = await runScenario(s, { outDir: out, testnet: readTestnet(remoteDir) })
    assert.equal(summary.failed, undefined, JSON.stringify(summary.failed))
    const m = summary.modes[0]!
    assert.equal(m.mode, 'stock')
    assert.equal(m.committed, 20)
    assert.equal(m.reachedAllNodes, 1)
    assert.deepEqual(Object.keys(m.clockOffsetsMs ?? {}).sort(), ['n0', 'n1', 'n2'])
    for (const [name, c] of Object.entries(m.clockOffsetsMs!)) assert.ok(Math.abs(c.offsetMs) <= c.rttMs / 2 + 1, `${name}: ${JSON.stringify(c)}`)
    assert.ok(m.cpuSecondsPerNode > 0, `CPU from /metrics: ${m.cpuSecondsPerNode}`)
    assert.ok(m.peakRssMBMax > 20, `RSS from /metrics: ${m.peakRssMBMax}`)
    for (const p of [m.propagationMs.to100.p50, m.inclusionLatencyMs.p50]) assert.ok(p !== null && p >= 0, `latency ${p}`)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('testnet send and status on the remote description', { timeout: 180_000 }, async () => {
  const run = promisify(execFile)
  const { stdout } = await run(process.execPath, ['bin/teecast.js', 'testnet', 'send', '--dir', remoteDir, '--count', '5', '--rate', '5'], { encoding: 'utf8' })
  assert.match(stdout, /committed 5\/5/)
  const status = await run(process.execPath, ['bin/teecast.js', 'testnet', 'status', '--dir', remoteDir], { encoding: 'utf8' })
  assert.equal((status.stdout.match(/ running /g) ?? []).length, 3, status.stdout)
})
