/** `teecast bench run | compare`: scenario runs that compare propagation modes, and diffs of two results. */
import type { CommandModule } from 'yargs'
import { SUMMARIES } from './summaries.ts'
import { existsSync, readFileSync } from 'node:fs'
import { join, basename } from 'node:path'
import { loadScenario, ScenarioError } from '../../../bench/scenario.ts'
import { runScenario } from '../../../bench/scenario-run.ts'
import { markdownTable, type Summary } from '../../../bench/report/summary.ts'
import { badInput, CliError } from '../errors.ts'
import { benchProgress } from '../../../bench/progress.ts'
import { comparability, compareTable } from '../../../bench/report/compare.ts'
import { readTestnet } from '../../../testnets/description.ts'

const stamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')

const run: CommandModule<object, { scenario: string; out?: string; 'base-port': number; testnet?: string }> = {
  command: 'run',
  describe: 'Run a scenario: a fresh testnet per mode, the workload, the measures; writes results/<time>-<name>/',
  builder: (y) =>
    y
      .option('scenario', { type: 'string', demandOption: true, describe: 'Scenario YAML (see bench/scenarios/)' })
      .option('out', { type: 'string', describe: 'Result dir (default results/<timestamp>-<scenario name>)' })
      .option('base-port', { type: 'number', default: 30600, describe: 'devp2p port of node 0 in each run' })
      .option('testnet', { type: 'string', describe: "Run the scenario's workload on this running testnet (DIR with testnet.json: other hosts, Kubernetes) instead of fresh local ones" }),
  handler: async (a) => {
    let s
    try {
      s = loadScenario(a.scenario)
    } catch (err) {
      if (err instanceof ScenarioError) throw badInput(err.message)
      throw err
    }
    let testnet
    if (a.testnet !== undefined) {
      try {
        testnet = readTestnet(a.testnet)
      } catch (err) {
        throw badInput(`--testnet: ${(err as Error).message}`)
      }
    }
    const out = a.out ?? join('results', `${stamp()}-${s.name}`)
    // A progress bar on a terminal, time-stamped lines otherwise.
    const progress = benchProgress()
    let summary
    try {
      summary = await runScenario(s, { outDir: out, basePort: a['base-port'], onProgress: progress.onProgress, onCounts: progress.onCounts, ...(testnet !== undefined ? { testnet } : {}) })
    } finally {
      progress.stop()
    }
    process.stdout.write(markdownTable(summary))
    process.stderr.write(`results in ${out}/ (summary.json, nodes.csv, report.md, report.html)\n`)
    if (summary.failed !== undefined) throw new CliError(`runs failed: ${summary.failed.map((x) => `${x.mode}${s.repetitions > 1 ? ` #${x.repetition}` : ''}`).join(', ')} (reasons in report.md)`)
    const short = summary.modes.flatMap((m) => m.repetitions ?? [m]).filter((m) => m.committed < m.txs && s.workload.kind !== 'ramp')
    if (short.length > 0) throw new CliError(`not every tx was committed in: ${short.map((m) => `${m.mode}${s.repetitions > 1 ? ` #${m.repetition}` : ''} (${m.committed}/${m.txs})`).join(', ')}`)
  },
}

function readSummary(dir: string): Summary {
  const f = join(dir, 'summary.json')
  if (!existsSync(f)) throw badInput(`no summary.json in ${dir}`)
  return JSON.parse(readFileSync(f, 'utf8')) as Summary
}

const compare: CommandModule<object, { a: string; b: string; force?: boolean }> = {
  command: 'compare <a> <b>',
  describe: "Per mode, B's means relative to A's: tx messages and bytes, propagation and inclusion times, throughput, CPU",
  builder: (y) =>
    y
      .positional('a', { type: 'string', demandOption: true })
      .positional('b', { type: 'string', demandOption: true })
      .option('force', { type: 'boolean', describe: 'Compare runs of different scenarios or node counts anyway (with a warning)' }),
  handler: (args) => {
    const [A, B] = [readSummary(args.a), readSummary(args.b)]
    const c = comparability(A, B)
    if (c.refusals.length > 0 && args.force !== true) throw badInput(`refusing to compare ${args.a} and ${args.b}: ${c.refusals.join('; ')} (--force compares anyway)`)
    for (const w of [...c.refusals, ...c.warnings]) process.stderr.write(`WARNING: ${w}\n`)
    process.stdout.write(`${basename(args.b)} relative to ${basename(args.a)} (means over repetitions)\n${compareTable(A, B)}\n`)
  },
}

export const benchCommand: CommandModule = {
  command: 'bench <command>',
  describe: SUMMARIES.bench,
  builder: (y) => y.command(run as CommandModule).command(compare as CommandModule).demandCommand(1, 'Name a bench command: run or compare.'),
  handler: () => {},
}
