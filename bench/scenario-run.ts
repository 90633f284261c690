/** Runs every mode of a scenario and writes summary.json, nodes.csv, report.md and report.html into the result dir. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import type { Scenario } from './scenario.ts'
import { runMode, type RunOptions } from './run.ts'
import { markdownTable, nodesCsv, type NodeResult, type Summary } from './report/summary.ts'
import { renderHtml } from './report/html.ts'

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

export async function runScenario(s: Scenario, o: RunOptions): Promise<Summary> {
  mkdirSync(o.outDir, { recursive: true })
  const startedAt = new Date().toISOString()
  const modes: Summary['modes'] = []
  const nodes: NodeResult[] = []
  for (const [i, mode] of s.modes.entries()) {
    o.onProgress?.(`[${i + 1}/${s.modes.length}] ${mode}`)
    const r = await runMode(s, mode, o)
    modes.push(r.result)
    nodes.push(...r.nodes)
  }
  const summary: Summary = { scenario: s, gitCommit: gitCommit(), startedAt, finishedAt: new Date().toISOString(), modes }
  writeFileSync(join(o.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  writeFileSync(join(o.outDir, 'nodes.csv'), nodesCsv(nodes))
  writeFileSync(join(o.outDir, 'report.md'), markdownTable(summary))
  writeFileSync(join(o.outDir, 'report.html'), await renderHtml(summary))
  return summary
}
