/**
 * The Prometheus and Grafana kit that `teecast testnet up` writes: prometheus.yml passes `promtool check config` and
 * scrapes every node's /metrics; the dashboard validates against the fields Grafana needs
 * (testnets/observability/grafana-dashboard.schema.json, checked with ajv), repeats every panel per propagation
 * mode, and its queries parse as PromQL (promtool check rules) and name only metrics that a node exposes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { parse, stringify } from 'yaml'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { writeObservability } from '../../testnets/observability/write.ts'

test('testnet kit: prometheus.yml passes promtool, the dashboard passes its schema and queries real metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-kit-'))
  try {
    const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 3, degree: 2, signers: 1, propagation: 'stock', propagationOverrides: { 2: 'tee' }, basePort: 41000, baseRpcPort: 41100, baseMetricsPort: 41200 })
    const files = writeObservability(dir, d)
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ['prometheus.yml', 'grafana-dashboard.json'])

    execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { stdio: 'pipe' })
    const prom = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8'))
    const statics = prom.scrape_configs[0].static_configs as { targets: string[]; labels: Record<string, string> }[]
    assert.deepEqual(statics.map((s) => s.targets[0]), ['127.0.0.1:41200', '127.0.0.1:41201', '127.0.0.1:41202'])
    assert.deepEqual(statics.map((s) => s.labels.propagation), ['stock', 'stock', 'tee'])

    const dashboard = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8'))
    const ajv = new Ajv({ allErrors: true })
    const validate = ajv.compile(JSON.parse(readFileSync('testnets/observability/grafana-dashboard.schema.json', 'utf8')))
    assert.equal(validate(dashboard), true, ajv.errorsText(validate.errors))
    const panels = dashboard.panels as { id: number; title: string; repeat: string; targets: { expr: string }[] }[]
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique')
    assert.ok(panels.every((p) => p.repeat === 'propagation'), 'one column per propagation mode')
    assert.ok(dashboard.templating.list.some((v: { name: string }) => v.name === 'propagation'))

    // Every query parses as PromQL: promtool checks them as recording rules, Grafana's variables filled in.
    const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$propagation', 'stock').replaceAll('$testnet', '.*')))
    const rules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `teecast:dashboard_query_${i}`, expr })) }] }
    writeFileSync(join(dir, 'rules.yml'), stringify(rules))
    execFileSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { stdio: 'pipe' })

    // Every metric a panel queries is one a node defines (prom-client names in src/rpc/metrics/) or a process metric.
    const sources = readdirSync('src/rpc/metrics').map((f) => readFileSync(join('src/rpc/metrics', f), 'utf8')).join('\n')
    const defined = new Set([...sources.matchAll(/'(teecast_[a-z_]+)'/g)].map((m) => m[1]!))
    for (const p of panels) {
      for (const t of p.targets) {
        for (const m of t.expr.matchAll(/\b((?:teecast|process)_[a-z_]+?)(?:_bucket)?\{/g)) {
          assert.ok(m[1]!.startsWith('process_') || defined.has(m[1]!), `panel "${p.title}" queries ${m[1]}, which no node exposes`)
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('no /metrics ports, no kit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-kit-'))
  try {
    const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 2, degree: 1, signers: 1, baseMetricsPort: 0 })
    assert.deepEqual(writeObservability(dir, d), [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
