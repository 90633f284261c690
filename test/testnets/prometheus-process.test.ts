/**
 * `testnet up --prometheus`: the real Prometheus binary (Debian's prometheus, installed by the Makefile) starts on
 * the testnet's prometheus.yml, lists one scrape target per node, and `stopPrometheus` stops exactly its pid.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { isAlive } from '../../testnets/launcher.ts'
import { writeObservability } from '../../testnets/observability/write.ts'
import { prometheusAvailable, startPrometheus, stopPrometheus } from '../../testnets/observability/prometheus-process.ts'
import { freePorts } from '../helpers/ports.ts'
import { eventually } from '../helpers/testnet.ts'

test('Prometheus starts on the testnet config, scrapes every node target, and stops by its pid', { timeout: 90_000 }, async () => {
  assert.ok(prometheusAvailable(), 'prometheus not found: `make test` installs it (Debian package prometheus)')
  const dir = mkdtempSync(join(tmpdir(), 'tc-prom-'))
  const [port, metricsBase] = await freePorts(2)
  let pid: number | undefined
  try {
    const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 2, degree: 1, signers: 1, baseMetricsPort: metricsBase! })
    writeObservability(dir, d)
    pid = startPrometheus(dir, port!).pid
    const targets = await eventually('Prometheus lists the node targets', 60_000, async () => {
      const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: Record<string, string> }[] } }
      return r.data.activeTargets.length === 2 ? r.data.activeTargets : undefined
    }, 500)
    assert.deepEqual(targets.map((t) => t.labels.node).sort(), ['n0', 'n1'])
    assert.ok(targets.every((t) => t.labels.propagation === 'stock'))
    assert.equal(await stopPrometheus(dir), 'stopped')
    assert.equal(isAlive(pid), false)
    assert.equal(existsSync(join(dir, 'prometheus.pid')), false)
    assert.equal(await stopPrometheus(dir), 'none')
  } finally {
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
})
