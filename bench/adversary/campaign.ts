/**
 * The live campaign: devp2p, tee/1 and JSON-RPC attacks against one real node process (a 1-node Clique testnet in a
 * temp dir, sealing every 2 s), round after round until `--minutes` have passed (0: one round). Prints, per attack
 * (worst over its rounds): the outcome the attacker saw, the longest JSON-RPC call meanwhile, RSS growth, CPU
 * seconds, the longest time the head stood still, unhandled rejections the node logged, and how long until the node
 * took a tx over RPC afterwards. Then the whole run against the issue's targets.
 *
 *   node --import tsx bench/adversary/campaign.ts [--minutes M] [--propagation tee|stock] [--json PATH] [--keep] [attack ...]
 *
 * --keep leaves the testnet's directory (the node's log and data) in place and prints where it is.
 *
 * tee (the default) runs every attack: a tee node speaks eth/68 as well. stock leaves out the tee/1 attacks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createCommonFromGethGenesis } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { launchTestnet, stopTestnet, isAlive } from '../../testnets/launcher.ts'
import { buildTransfers } from '../workload/tx-factory.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { ATTACKS, type Attack, type AttackContext } from '../../testnets/adversary/attacks.ts'
import { TEE_ATTACKS } from '../../testnets/adversary/tee-attacks.ts'
import { RPC_ATTACKS } from '../../testnets/adversary/rpc-attacks.ts'
import { longProbe, rssMb, type ProbeReport } from '../../testnets/adversary/probe.ts'

const PERIOD_S = 2
const IDLE_S = 30

function usage(msg: string): never {
  console.error(`${msg}\nusage: campaign.ts [--minutes M] [--propagation tee|stock] [--json PATH] [--keep] [attack ...]`)
  process.exit(2)
}

let args: ReturnType<typeof parseArgs<{ options: { minutes: { type: 'string' }; propagation: { type: 'string' }; json: { type: 'string' }; keep: { type: 'boolean' } }; allowPositionals: true }>>
try {
  args = parseArgs({ options: { minutes: { type: 'string' }, propagation: { type: 'string' }, json: { type: 'string' }, keep: { type: 'boolean' } }, allowPositionals: true })
} catch (e) {
  usage((e as Error).message)
}
const minutes = Number(args.values.minutes ?? '0')
if (!Number.isFinite(minutes) || minutes < 0) usage(`--minutes must be a number >= 0, got "${args.values.minutes}"`)
const propagation = args.values.propagation ?? 'tee'
if (propagation !== 'tee' && propagation !== 'stock') usage(`--propagation must be tee or stock, got "${propagation}"`)
const all: Record<string, Attack> = { ...ATTACKS, ...(propagation === 'tee' ? TEE_ATTACKS : {}), ...RPC_ATTACKS }
const chosen = args.positionals.length > 0 ? args.positionals : Object.keys(all)
for (const n of chosen) if (all[n] === undefined) usage(`unknown attack "${n}"; known (with --propagation ${propagation}): ${Object.keys(all).join(', ')}`)

interface AttackRow {
  attack: string
  rounds: number
  outcome: string
  maxRpcMs: number
  failedCalls: number
  rssStartMb: number
  rssPeakMb: number
  cpuSec: number
  maxHeadGapMs: number
  unhandled: number
  /** ms from the attack's end until a tx was accepted over RPC; -1: not within 30 s. */
  intakeMs: number
  alive: boolean
}

/** Lines in the node's log that say a promise was rejected with no handler, or an exception was not caught. */
const unhandledIn = (logPath: string): number => {
  try {
    return readFileSync(logPath, 'utf8').split('\n').filter((l) => /unhandled rejection|uncaught exception/.test(l)).length
  } catch {
    return 0
  }
}

/** Sends one transfer until the node accepts it; ms until then, -1 after `limitMs`. */
async function intakeDelay(d: ReturnType<typeof createTestnet>, rpcUrl: string, limitMs = 30_000): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < limitMs) {
    try {
      const [tx] = await buildTransfers(d, 1, rpcUrl)
      await rpcCall<string>(rpcUrl, 'eth_sendRawTransaction', [bytesToHex(tx!.serialize())], 5_000)
      return Date.now() - t0
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return -1
}

const dir = mkdtempSync(join(tmpdir(), 'tc-adversary-'))
const base = 40000 + Math.floor(Math.random() * 5000) * 3
const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 1, signers: 1, degree: 0, accounts: 4, seed: 'adversary', period: PERIOD_S, propagation, basePort: base, baseRpcPort: base + 1, baseMetricsPort: 0 })
const rows = new Map<string, AttackRow>()
let whole: ProbeReport | undefined
let rssEndMb = 0
let rssIdleMb = 0
let crashed: string | undefined
const startedAt = Date.now()
try {
  await launchTestnet(dir, { readyTimeoutMs: 120_000, logLevel: 'warn' })
  const node = d.nodes[0]!
  const pid = JSON.parse(readFileSync(join(dir, 'testnet.json'), 'utf8')).nodes[0].pid as number
  const genesis = JSON.parse(readFileSync(d.genesisPath, 'utf8'))
  const common = createCommonFromGethGenesis(genesis, { chain: 'teecast' })
  const g = await rpcCall<{ hash: string; difficulty: string }>(node.rpcUrl, 'eth_getBlockByNumber', ['0x0', false])
  common.setForkHashes(hexToBytes(g.hash as `0x${string}`))
  console.log(`node ${node.name} (${propagation}) pid ${pid} p2p ${node.p2pPort} rpc ${node.rpcUrl}; log ${node.logPath}`)
  console.log(`${chosen.length} attacks per round, ${minutes > 0 ? `rounds for ${minutes} min` : 'one round'}; load average ${loadavg()[0]!.toFixed(1)}`)
  // RSS right after launch is not a baseline: a node's heap grows by itself in its first minute (modules, JIT,
  // first blocks). The growth an attack causes is taken from the RSS after IDLE_S of idling.
  const rssLaunchMb = rssMb(pid)
  await new Promise((r) => setTimeout(r, IDLE_S * 1000))
  rssIdleMb = rssMb(pid)
  console.log(`RSS ${rssLaunchMb.toFixed(0)} MB after launch, ${rssIdleMb.toFixed(0)} MB after ${IDLE_S} s idle (the baseline)`)
  const wholeWatch = await longProbe(node.rpcUrl, pid)
  const deadline = Date.now() + minutes * 60_000
  for (let round = 1; crashed === undefined && (round === 1 || Date.now() < deadline); round++) {
    for (const name of chosen) {
      const head = await rpcCall<{ hash: string }>(node.rpcUrl, 'eth_getBlockByNumber', ['latest', false])
      const ctx: AttackContext = {
        target: { host: '127.0.0.1', port: node.p2pPort, nodeId: node.nodeId, common },
        genesisHash: hexToBytes(g.hash as `0x${string}`),
        headHash: hexToBytes(head.hash as `0x${string}`),
        genesisTd: BigInt(g.difficulty),
        rpcUrl: node.rpcUrl,
      }
      const unhandled0 = unhandledIn(node.logPath)
      const watch = await wholeWatch.window()
      let outcome: string
      try {
        outcome = await all[name]!(ctx)
      } catch (err) {
        outcome = `attack failed: ${(err as Error).message}`
      }
      const alive = isAlive(pid)
      const intakeMs = alive ? await intakeDelay(d, node.rpcUrl) : -1
      await new Promise((r) => setTimeout(r, 1_000))
      const r = await watch.stop()
      const row: AttackRow = { attack: name, rounds: 1, outcome, maxRpcMs: r.maxRpcMs, failedCalls: r.failedCalls, rssStartMb: r.rssStartMb, rssPeakMb: r.rssPeakMb, cpuSec: r.cpuSec, maxHeadGapMs: r.maxHeadGapMs, unhandled: unhandledIn(node.logPath) - unhandled0, intakeMs, alive }
      const prev = rows.get(name)
      // Worst over rounds; the outcome of the round with the longest RPC stall (the last one if none stalled).
      rows.set(name, prev === undefined ? row : {
        ...row,
        rounds: prev.rounds + 1,
        outcome: prev.maxRpcMs > row.maxRpcMs ? prev.outcome : row.outcome,
        maxRpcMs: Math.max(prev.maxRpcMs, row.maxRpcMs),
        failedCalls: prev.failedCalls + row.failedCalls,
        rssStartMb: Math.min(prev.rssStartMb, row.rssStartMb),
        rssPeakMb: Math.max(prev.rssPeakMb, row.rssPeakMb),
        cpuSec: Math.max(prev.cpuSec, row.cpuSec),
        maxHeadGapMs: Math.max(prev.maxHeadGapMs, row.maxHeadGapMs),
        unhandled: prev.unhandled + row.unhandled,
        intakeMs: prev.intakeMs < 0 || row.intakeMs < 0 ? -1 : Math.max(prev.intakeMs, row.intakeMs),
        alive: prev.alive && row.alive,
      })
      process.stdout.write(`round ${round} ${name}: ${outcome} (max RPC ${r.maxRpcMs} ms, tx intake after ${intakeMs} ms)\n`)
      if (!alive) {
        crashed = name
        break
      }
    }
  }
  whole = await wholeWatch.stop()
  rssEndMb = isAlive(pid) ? rssMb(pid) : 0
} finally {
  await stopTestnet(dir).catch(() => undefined)
  if (args.values.keep === true) console.log(`kept ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}

console.log('\nattack | rounds | outcome (worst round) | max RPC ms | failed RPC | RSS MB start -> peak | CPU s | head still, ms | unhandled | tx intake after, ms | alive')
for (const r of rows.values()) console.log(`${r.attack} | ${r.rounds} | ${r.outcome} | ${r.maxRpcMs} | ${r.failedCalls} | ${r.rssStartMb.toFixed(0)} -> ${r.rssPeakMb.toFixed(0)} | ${r.cpuSec.toFixed(1)} | ${r.maxHeadGapMs} | ${r.unhandled} | ${r.intakeMs} | ${r.alive}`)

const w = whole!
const elapsedS = w.elapsedMs / 1000
const totals = {
  minutes: Number((elapsedS / 60).toFixed(1)),
  propagation,
  crashes: crashed === undefined ? 0 : 1,
  crashedDuring: crashed,
  unhandledRejections: [...rows.values()].reduce((s, r) => s + r.unhandled, 0),
  maxRpcMs: w.maxRpcMs,
  failedRpcCalls: w.failedCalls,
  rpcCalls: w.calls,
  blocks: w.headEnd - w.headStart,
  blocksExpected: Math.floor(elapsedS / PERIOD_S),
  maxHeadGapMs: w.maxHeadGapMs,
  rssIdleMb: Math.round(rssIdleMb),
  rssStartMb: Math.round(w.rssStartMb),
  rssEndMb: Math.round(rssEndMb),
  rssPeakMb: Math.round(w.rssPeakMb),
  maxIntakeMs: Math.max(...[...rows.values()].map((r) => (r.intakeMs < 0 ? Infinity : r.intakeMs))),
  loadAverage: loadavg()[0],
}
console.log(`\nwhole run: ${totals.minutes} min, ${totals.crashes} crashes${crashed !== undefined ? ` (during ${crashed})` : ''}, ${totals.unhandledRejections} unhandled rejections`)
console.log(`  JSON-RPC (eth_blockNumber every 100 ms on one kept-alive connection): longest ${totals.maxRpcMs} ms, ${totals.failedRpcCalls} of ${totals.rpcCalls} failed (target: every call within 1,000 ms)`)
console.log(`  head: ${totals.blocks} blocks of ${totals.blocksExpected} periods, longest still ${totals.maxHeadGapMs} ms (period ${PERIOD_S * 1000} ms)`)
console.log(`  RSS: ${totals.rssIdleMb} MB after ${IDLE_S} s idle, ${totals.rssEndMb} MB at the end (growth ${totals.rssEndMb - totals.rssIdleMb} MB, target < 100), peak ${totals.rssPeakMb} MB`)
console.log(`  tx intake after an attack: at most ${totals.maxIntakeMs} ms (target: within one period, ${PERIOD_S * 1000} ms); load average at the end ${totals.loadAverage!.toFixed(1)}; took ${((Date.now() - startedAt) / 60_000).toFixed(1)} min`)
if (args.values.json !== undefined) writeFileSync(args.values.json, `${JSON.stringify({ totals, attacks: [...rows.values()] }, null, 2)}\n`)
