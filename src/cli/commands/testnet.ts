/** `teecast testnet up|status|down|send`: local testnets of node processes on 127.0.0.1. */
import type { Argv, CommandModule } from 'yargs'
import { resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { createTestnet, DEFAULT_TESTNET, DEFAULT_WS_PORT } from '../../../testnets/create.ts'
import { readTestnet, testnetFile } from '../../../testnets/description.ts'
import { launchTestnet, isOurNode, stopTestnet } from '../../../testnets/launcher.ts'
import { validateRegular } from '../../../testnets/topology.ts'
import { runTransferWorkload } from '../../../testnets/workload.ts'
import { snapshotStats, txCostPerNode } from '../../../testnets/wire-report.ts'
import { rpcCall } from '../../rpc/client.ts'
import { isPropagationMode, PROPAGATION_MODES, type PropagationMode } from '../../propagation/interface.ts'
import { badInput, CliError } from '../errors.ts'
import { renderTable } from '../table.ts'
import { parseLinkSpec } from '../../../testnets/linkemu/spec.ts'

const DEFAULT_DIR = '.testnet'
const say = (quiet: boolean | undefined) => (msg: string) => {
  if (quiet !== true) process.stderr.write(`${msg}\n`)
}

interface UpArgs {
  dir: string
  nodes: number
  signers: number
  degree?: number
  seed: string
  propagation: string[]
  period: number
  accounts: number
  'base-port': number
  'rpc-port': number
  'metrics-port': number
  'ws-port': number
  'log-level': string
  quiet?: boolean
  delay?: string
  jitter?: string
  rate?: string
  loss?: string
  'tee-fraction'?: number
  'tee-epoch'?: number
}

/** `--propagation stock` for all, or `--propagation stock --propagation n3=flood` for per-node overrides. */
export function parsePropagationFlags(values: string[], nodes: number): { base: PropagationMode; overrides: Record<number, PropagationMode> } {
  let base: PropagationMode = DEFAULT_TESTNET.propagation
  const overrides: Record<number, PropagationMode> = {}
  for (const v of values) {
    const m = /^n?(\d+)=(.+)$/.exec(v)
    const mode = m === null ? v : m[2]!
    if (!isPropagationMode(mode)) throw badInput(`--propagation: "${mode}" is not one of ${PROPAGATION_MODES.join(', ')}`)
    if (m === null) base = mode
    else {
      const i = Number(m[1])
      if (i >= nodes) throw badInput(`--propagation ${v}: there are only ${nodes} nodes (n0..n${nodes - 1})`)
      overrides[i] = mode
    }
  }
  return { base, overrides }
}

/** The largest degree <= 4 that a connected regular graph on `nodes` nodes can have. */
export function defaultDegree(nodes: number): number {
  let d = Math.min(DEFAULT_TESTNET.degree, Math.max(1, nodes - 1))
  if ((nodes * d) % 2 !== 0) d -= 1
  return Math.max(1, d)
}

const up: CommandModule<object, UpArgs> = {
  command: 'up',
  describe: 'Create a testnet (keys, Clique genesis, random D-regular topology) and start its nodes',
  builder: (y: Argv) =>
    y
      .option('dir', { type: 'string', default: DEFAULT_DIR, describe: 'Testnet directory (holds testnet.json, data, logs)' })
      .option('nodes', { type: 'number', default: 4, describe: 'Number of nodes' })
      .option('signers', { type: 'number', default: DEFAULT_TESTNET.signers, describe: 'Clique signers (the first S nodes)' })
      .option('degree', { type: 'number', describe: `Peers per node, random connected regular graph (default min(${DEFAULT_TESTNET.degree}, nodes-1))` })
      .option('seed', { type: 'string', default: DEFAULT_TESTNET.seed, describe: 'Seed for keys and topology' })
      .option('propagation', {
        type: 'string',
        array: true,
        default: [DEFAULT_TESTNET.propagation],
        describe: `Mode for all nodes (${PROPAGATION_MODES.join('|')}), plus per-node overrides like n3=flood`,
      })
      .option('period', { type: 'number', default: DEFAULT_TESTNET.period, describe: 'Clique block period, seconds' })
      .option('accounts', { type: 'number', default: DEFAULT_TESTNET.accounts, describe: 'Prefunded workload accounts' })
      .option('base-port', { type: 'number', default: DEFAULT_TESTNET.basePort, describe: 'devp2p port of n0 (n1 = +1, ...)' })
      .option('rpc-port', { type: 'number', default: DEFAULT_TESTNET.baseRpcPort, describe: 'JSON-RPC port of n0' })
      .option('metrics-port', { type: 'number', default: DEFAULT_TESTNET.baseMetricsPort, describe: 'Prometheus port of n0 (0 = off)' })
      .option('ws-port', { type: 'number', default: DEFAULT_WS_PORT, describe: 'WebSocket JSON-RPC (eth_subscribe) port of n0 (0 = off)' })
      .option('log-level', { type: 'string', default: 'info', choices: ['error', 'warn', 'info', 'debug'] })
      .option('delay', { type: 'string', describe: 'Emulated one-way delay on every link, e.g. 50ms' })
      .option('jitter', { type: 'string', describe: 'Emulated jitter on every link, e.g. 5ms (order kept)' })
      .option('rate', { type: 'string', describe: 'Emulated rate limit on every link, e.g. 20mbit' })
      .option('loss', { type: 'string', describe: 'Emulated segment loss on every link, e.g. 0.5% (costs a TCP retransmission)' })
      .option('tee-fraction', { type: 'number', describe: 'Share of nodes (chosen from the seed) that run a simulated enclave (default 1 with --propagation tee, else 0)' })
      .option('tee-epoch', { type: 'number', describe: 'tee propagation: epoch length in seconds (default 60)' })
      .option('quiet', { type: 'boolean', describe: 'No progress output' }) as unknown as Argv<UpArgs>,
  handler: async (a) => {
    const degree = a.degree ?? defaultDegree(a.nodes)
    const bad = validateRegular(a.nodes, degree)
    if (bad !== undefined) throw badInput(bad)
    if (a.signers < 1 || a.signers > a.nodes) throw badInput(`--signers must be between 1 and --nodes (${a.nodes}), got ${a.signers}`)
    if (!(a.period >= 1 && Number.isInteger(a.period))) throw badInput(`--period must be a whole number of seconds >= 1, got ${a.period}`)
    if (!(a.accounts >= 1)) throw badInput(`--accounts must be >= 1, got ${a.accounts}`)
    const teeFraction = a['tee-fraction']
    if (teeFraction !== undefined && !(teeFraction >= 0 && teeFraction <= 1)) throw badInput(`--tee-fraction must be between 0 and 1, got ${teeFraction}`)
    const teeEpoch = a['tee-epoch']
    if (teeEpoch !== undefined && !(teeEpoch >= 2 && teeEpoch <= 86_400)) throw badInput(`--tee-epoch must be between 2 and 86400 seconds, got ${teeEpoch}`)
    const { base, overrides } = parsePropagationFlags(a.propagation, a.nodes)
    const linkFlags = { delay: a.delay, jitter: a.jitter, rate: a.rate, loss: a.loss }
    const link = Object.values(linkFlags).some((v) => v !== undefined) ? Object.fromEntries(Object.entries(linkFlags).filter(([, v]) => v !== undefined)) : undefined
    if (link !== undefined) {
      try {
        parseLinkSpec(link)
      } catch (err) {
        throw badInput(`--${(err as Error).message}`)
      }
    }
    if (existsSync(testnetFile(a.dir))) {
      const old = readTestnet(a.dir)
      const running = old.nodes.filter((n) => n.pid !== null && isOurNode(n.pid, a.dir, n.name))
      if (running.length > 0) throw new CliError(`a testnet is running in ${a.dir} (${running.map((n) => n.name).join(', ')}); run 'teecast testnet down --dir ${a.dir} --wipe' first`)
      throw new CliError(`${a.dir} already holds a testnet; remove it with 'teecast testnet down --dir ${a.dir} --wipe' or pick another --dir`)
    }
    const log = say(a.quiet)
    createTestnet({
      ...DEFAULT_TESTNET,
      dir: a.dir,
      nodes: a.nodes,
      signers: a.signers,
      degree,
      seed: a.seed,
      propagation: base,
      propagationOverrides: overrides,
      period: a.period,
      accounts: a.accounts,
      basePort: a['base-port'],
      baseRpcPort: a['rpc-port'],
      baseMetricsPort: a['metrics-port'],
      baseWsPort: a['ws-port'],
      link,
      ...(teeFraction !== undefined ? { teeFraction } : {}),
      ...(teeEpoch !== undefined ? { teeEpochMs: Math.round(teeEpoch * 1000) } : {}),
    })
    log(`testnet in ${resolve(a.dir)}: ${a.nodes} nodes, ${a.signers} signers, degree ${degree}, seed "${a.seed}"${link !== undefined ? `, links ${JSON.stringify(link)}` : ''}`)
    let d
    try {
      d = await launchTestnet(a.dir, { logLevel: a['log-level'], onProgress: log })
    } catch (err) {
      await stopTestnet(a.dir).catch(() => undefined)
      throw new CliError(`testnet failed to start: ${(err as Error).message}`)
    }
    process.stdout.write(
      `${renderTable(
        ['node', 'propagation', 'signer', 'enclave', 'pid', 'rpc', 'ws', 'enode'],
        d.nodes.map((n) => [n.name, n.propagation, n.signerAddress !== undefined ? 'yes' : '', n.tee === true ? 'yes' : '', String(n.pid), n.rpcUrl, n.wsUrl ?? '', n.enode]),
      )}\n`,
    )
    log(`ready: every node has its peers and block >= 1. Description: ${testnetFile(a.dir)}`)
  },
}

const status: CommandModule<object, { dir: string }> = {
  command: 'status',
  describe: 'Head, peers and pool size of every node',
  builder: (y) => y.option('dir', { type: 'string', default: DEFAULT_DIR, describe: 'Testnet directory' }),
  handler: async (a) => {
    const d = readTestnetOrFail(a.dir)
    const rows = await Promise.all(
      d.nodes.map(async (n) => {
        const running = n.pid !== null && isOurNode(n.pid, a.dir, n.name)
        if (!running) return [n.name, n.propagation, 'stopped', '', '', '', '']
        try {
          const [head, stats, pool] = await Promise.all([
            rpcCall<{ number: string; hash: string }>(n.rpcUrl, 'eth_getBlockByNumber', ['latest', false]),
            rpcCall<{ peers: number }>(n.rpcUrl, 'teecast_p2pStats'),
            rpcCall<{ pending: Record<string, Record<string, unknown>> }>(n.rpcUrl, 'txpool_content'),
          ])
          const poolSize = Object.values(pool.pending).reduce((s, byNonce) => s + Object.keys(byNonce).length, 0)
          return [n.name, n.propagation, 'running', String(Number(head.number)), head.hash.slice(0, 12), String(stats.peers), String(poolSize)]
        } catch (err) {
          return [n.name, n.propagation, `no answer: ${(err as Error).message}`, '', '', '', '']
        }
      }),
    )
    process.stdout.write(`${renderTable(['node', 'propagation', 'state', 'head', 'hash', 'peers', 'pool'], rows)}\n`)
  },
}

const down: CommandModule<object, { dir: string; wipe?: boolean; quiet?: boolean }> = {
  command: 'down',
  describe: "Stop the testnet's own node processes (by pid); keep the data unless --wipe",
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: DEFAULT_DIR, describe: 'Testnet directory' })
      .option('wipe', { type: 'boolean', describe: 'Also delete the testnet directory' })
      .option('quiet', { type: 'boolean', describe: 'No output when there is nothing to stop' }),
  handler: async (a) => {
    if (!existsSync(testnetFile(a.dir))) {
      if (a.quiet === true) return
      throw new CliError(`no testnet in ${a.dir}`)
    }
    const reports = await stopTestnet(a.dir, { wipe: a.wipe })
    for (const r of reports) if (r.outcome !== 'gone' || a.quiet !== true) say(false)(`${r.name}: ${r.outcome}${r.pid !== null ? ` (pid ${r.pid})` : ''}`)
    if (a.wipe === true) say(a.quiet)(`removed ${resolve(a.dir)}`)
  },
}

const send: CommandModule<object, { dir: string; count: number; rate: number; timeout: number }> = {
  command: 'send',
  describe: 'Send signed EIP-1559 transfers round-robin over the nodes, wait for inclusion, print cost per tx per node',
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: DEFAULT_DIR, describe: 'Testnet directory' })
      .option('count', { type: 'number', default: 200, describe: 'Number of transactions' })
      .option('rate', { type: 'number', default: 50, describe: 'Offered transactions per second' })
      .option('timeout', { type: 'number', default: 120, describe: 'Seconds to wait for inclusion after the last send' }),
  handler: async (a) => {
    if (!(Number.isInteger(a.count) && a.count >= 1)) throw badInput(`--count must be a whole number >= 1, got ${a.count}`)
    if (!(a.rate > 0)) throw badInput(`--rate must be > 0, got ${a.rate}`)
    const d = readTestnetOrFail(a.dir)
    const stopped = d.nodes.filter((n) => n.pid === null || !isOurNode(n.pid, a.dir, n.name))
    if (stopped.length > 0) throw new CliError(`nodes not running: ${stopped.map((n) => n.name).join(', ')}; start with 'teecast testnet up'`)
    const log = say(false)
    const before = await snapshotStats(d)
    const r = await runTransferWorkload(d, { count: a.count, rate: a.rate, inclusionTimeoutMs: a.timeout * 1000, onProgress: log })
    // Let the last block reach every node before reading the counters and heads.
    await new Promise((res) => setTimeout(res, d.period * 1000))
    const after = await snapshotStats(d)
    const costs = txCostPerNode(before, after, r.committed)
    const heads = await Promise.all(d.nodes.map((n) => rpcCall<{ number: string; hash: string }>(n.rpcUrl, 'eth_getBlockByNumber', ['latest', false])))
    process.stdout.write(
      `${renderTable(
        ['node', 'propagation', 'peers', 'head', 'tx msgs in/tx', 'tx bytes in/tx', 'tx msgs out/tx', 'tx bytes out/tx', 'dup txs'],
        costs.map((c, i) => [c.node, c.propagation, c.peers, `${Number(heads[i]!.number)} ${heads[i]!.hash.slice(0, 10)}`, c.txMsgsIn, c.txBytesIn, c.txMsgsOut, c.txBytesOut, c.duplicateTxs]),
      )}\n`,
    )
    const mean = (f: (c: (typeof costs)[number]) => number): number => costs.reduce((s, c) => s + f(c), 0) / costs.length
    process.stdout.write(
      `committed ${r.committed}/${a.count} (${r.rejected.length} rejected by RPC) in ${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s: ${r.txPerSecond.toFixed(1)} tx/s; ` +
        `mean per node per tx: ${mean((c) => c.txMsgsIn).toFixed(2)} tx msgs, ${mean((c) => c.txBytesIn).toFixed(0)} B in\n`,
    )
    for (const rej of r.rejected.slice(0, 5)) log(`rejected by ${rej.node}: ${rej.error}`)
    if (r.committed < a.count) throw new CliError(`only ${r.committed} of ${a.count} txs committed within ${a.timeout} s`)
  },
}

function readTestnetOrFail(dir: string) {
  try {
    return readTestnet(dir)
  } catch (err) {
    throw new CliError((err as Error).message)
  }
}

export const testnetCommand: CommandModule = {
  command: 'testnet <command>',
  describe: 'Launch and drive local testnets (up, status, down, send)',
  builder: (y) =>
    y
      .command(up as CommandModule)
      .command(status as CommandModule)
      .command(down as CommandModule)
      .command(send as CommandModule)
      .demandCommand(1, 'Name a testnet command: up, status, down or send.'),
  handler: () => {},
}
