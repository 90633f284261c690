/** Writes DIR/prometheus.yml and DIR/grafana-dashboard.json for a testnet whose nodes serve /metrics. */
import { writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type { TestnetDescription } from '../description.ts'
import { prometheusConfig } from './prometheus-config.ts'
import { grafanaDashboard } from './grafana-dashboard.ts'

export function writeObservability(dir: string, d: Pick<TestnetDescription, 'nodes'>): string[] {
  const name = basename(resolve(dir))
  const yml = prometheusConfig(d, name)
  if (yml === undefined) return []
  const files = [join(dir, 'prometheus.yml'), join(dir, 'grafana-dashboard.json')]
  writeFileSync(files[0]!, yml)
  writeFileSync(files[1]!, `${JSON.stringify(grafanaDashboard({ title: `teecast testnet ${name}` }), null, 2)}\n`)
  return files
}
