/**
 * Runs every mode of a scenario (each `repetitions` times, each run on a fresh testnet) and writes summary.json,
 * nodes.csv, report.md and report.html into the result dir.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import os from 'node:os'
import type { Scenario } from './scenario.ts'
import { runMode, runOnTestnet, type RunOptions } from './run.ts'
import type { TestnetDescription } from '../testnets/description.ts'
import { markdownTable, nodesCsv, type Environment, type Headline, type ModeResult, type NodeResult, type Summary } from './report/summary.ts'
import { renderHtml } from './report/html.ts'
import { spread } from './stats/ramp.ts'

function gitDirty(): boolean | null {
  try {
    return execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim().length > 0
  } catch {
    return null
  }
}

function environment(loadAverageStart: number[], dirty: boolean | null): Environment {
  const cpus = os.cpus()
  return {
    nodeVersion: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    loadAverageStart,
    loadAverageEnd: os.loadavg().map((x) => +x.toFixed(2)),
    gitDirty: dirty,
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

/** Mean / min / max over the repetitions of one mode. */
export function headline(reps: readonly ModeResult[]): Headline {
  const h: Headline = {
    committedTxPerS: spread(reps.map((r) => r.committedTxPerS)),
    inclusionP50Ms: spread(reps.map((r) => r.inclusionLatencyMs.p50)),
    inclusionP99Ms: spread(reps.map((r) => r.inclusionLatencyMs.p99)),
    toAllNodesP50Ms: spread(reps.map((r) => r.propagationMs.to100.p50)),
    toAllNodesP99Ms: spread(reps.map((r) => r.propagationMs.to100.p99)),
    txMsgsInPerTxPerNode: spread(reps.map((r) => r.perTxPerNode.txMsgsIn)),
    txBytesInPerTxPerNode: spread(reps.map((r) => r.perTxPerNode.txBytesIn)),
    cpuSecondsPerNode: spread(reps.map((r) => r.cpuSecondsPerNode)),
  }
  if (reps.some((r) => r.maxSustainedTps !== undefined)) h.maxSustainedTps = spread(reps.map((r) => r.maxSustainedTps ?? null))
  return h
}

/** One entry per mode: its first repetition, plus all repetitions and the headline spread when there are several. */
export function combineRepetitions(reps: readonly ModeResult[]): ModeResult {
  if (reps.length === 1) return reps[0]!
  return { ...reps[0]!, repetitions: [...reps], headline: headline(reps) }
}

export async function runScenario(s: Scenario, o: RunOptions & { testnet?: TestnetDescription }): Promise<Summary> {
  mkdirSync(o.outDir, { recursive: true })
  const startedAt = new Date().toISOString()
  const load0 = os.loadavg().map((x) => +x.toFixed(2))
  const dirty0 = gitDirty()
  const modes: Summary['modes'] = []
  const nodes: NodeResult[] = []
  const failed: NonNullable<Summary['failed']> = []
  // A testnet that runs elsewhere: its own mode(s), each repetition on the same nodes.
  // adversaries.clean: each mode also runs without adversaries first, as `<mode>-clean`.
  const clean = s.adversaries?.clean === true && o.testnet === undefined
  const modeList: readonly string[] = o.testnet !== undefined ? ['testnet'] : s.modes.flatMap((m) => (clean ? [`${m}-clean`, m] : [m]))
  const cleanScenario: Scenario = { ...s, adversaries: { junkLeaves: 0, omittingRelays: 0, clean: false } }
  // Repetitions interleave the modes (stock 1, tee 1, stock 2, tee 2, ...), so a load that drifts over the run falls
  // on every mode alike rather than on whichever mode ran last.
  const repsByMode = new Map<string, ModeResult[]>(modeList.map((m) => [m, []]))
  for (let rep = 1; rep <= s.repetitions; rep++) {
    for (const [i, mode] of modeList.entries()) {
      o.onProgress?.(`[${i + 1}/${modeList.length}] ${mode}${s.repetitions > 1 ? `, repetition ${rep}/${s.repetitions}` : ''}`)
      // A run that fails (a testnet that never got ready, say) is recorded and the others go on: minutes of results
      // are not thrown away for one bad run.
      try {
        const isClean = mode.endsWith('-clean')
        const propagation = (isClean ? mode.slice(0, -'-clean'.length) : mode) as Scenario['modes'][number]
        const r = o.testnet !== undefined ? await runOnTestnet(o.testnet, s, o, rep) : await runMode(isClean ? cleanScenario : s, propagation, o, rep, mode)
        repsByMode.get(mode)!.push(r.result)
        nodes.push(...r.nodes)
      } catch (err) {
        failed.push({ mode, repetition: rep, error: (err as Error).message })
        o.onProgress?.(`${mode}${s.repetitions > 1 ? ` #${rep}` : ''} failed: ${(err as Error).message}`)
      }
    }
  }
  for (const reps of repsByMode.values()) if (reps.length > 0) modes.push(combineRepetitions(reps))
  const summary: Summary = { scenario: s, gitCommit: gitCommit(), environment: environment(load0, dirty0), startedAt, finishedAt: new Date().toISOString(), modes, ...(failed.length > 0 ? { failed } : {}) }
  writeFileSync(join(o.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  writeFileSync(join(o.outDir, 'nodes.csv'), nodesCsv(nodes))
  writeFileSync(join(o.outDir, 'report.md'), markdownTable(summary))
  writeFileSync(join(o.outDir, 'report.html'), await renderHtml(summary, nodes))
  return summary
}
