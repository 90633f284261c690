/** `teecast testnet up|status|down|send`: local testnets of node processes on 127.0.0.1. */
import type { Argv, CommandModule } from 'yargs'
import { SUMMARIES } from './summaries.ts'
import { resolve } from 'node:path'
import { existsSync, writeFileSync } from 'node:fs'
import { FAULT_KINDS, planChaos, unsupported, type FaultKind } from '../../../bench/chaos/plan.ts'
import { runChaos } from '../../../bench/chaos/run.ts'
import { createTestnet, DEFAULT_TESTNET, DEFAULT_WS_PORT } from '../../../testnets/create.ts'
import { readTestnet, testnetFile } from '../../../testnets/description.ts'
import { launchTestnet, isOurNode, stopTestnet } from '../../../testnets/launcher.ts'
import { busyPorts, ephemeralPorts, portProblem, portsOf, type NamedPort } from '../../../testnets/ports.ts'
import type { TestnetDescription } from '../../../testnets/description.ts'
import { runTransferWorkload } from '../../../bench/workload/workload.ts'
import { snapshotStats } from '../../../bench/p2p-snapshot.ts'
import { txCostPerNode } from '../../../bench/stats/wire.ts'
import { rpcCall } from '../../rpc/client.ts'
import { PROPAGATION_MODES } from '../../propagation/interface.ts'
import { badInput, CliError } from '../errors.ts'
import { networkFromFlags, type NetworkFlags } from './testnet-flags.ts'
import { renderTable } from '../table.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { writeObservability } from '../../../testnets/observability/write.ts'
import { PROMETHEUS_BINARY, prometheusAvailable, startPrometheus, stopPrometheus } from '../../../testnets/observability/prometheus-process.ts'
import { parseRpcApis } from '../../rpc/apis.ts'
import { k8sCommands } from './testnet-k8s.ts'
import { chooseNetnsPlan, netnsUnavailable, setupNetnsTestnet, teardownNetns } from '../../../testnets/netns/setup.ts'
import type { NetnsRecord } from '../../../testnets/netns/plan.ts'

const DEFAULT_DIR = '.testnet'
const say = (quiet: boolean | undefined) => (msg: string) => {
  if (quiet !== true) process.stderr.write(`${msg}\n`)
}

interface UpArgs extends NetworkFlags {
  dir: string
  prometheus?: boolean
  'prometheus-port': number
  'base-port': number
  'rpc-port': number
  'metrics-port': number
  'ws-port': number
  'log-level': string
  quiet?: boolean
  'rpc-api'?: string
  netns?: boolean
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
      .option('rpc-api', { type: 'string', describe: 'JSON-RPC namespaces of every node, comma-separated (default eth,net,web3,txpool,teecast; add debug,admin to serve those)' })
      .option('netns', { type: 'boolean', describe: 'Each node in its own network namespace on a bridge (root); rate and loss by the kernel' })
      .option('quiet', { type: 'boolean', describe: 'No progress output' })
      .option('prometheus', { type: 'boolean', describe: 'Also start Prometheus (if installed) on DIR/prometheus.yml; testnet down stops it' })
      .option('prometheus-port', { type: 'number', default: 9090, describe: 'Port of --prometheus, on 127.0.0.1' }) as unknown as Argv<UpArgs>,
  handler: async (a) => {
    const net = networkFromFlags(a)
    if (a.prometheus === true && a['metrics-port'] === 0) throw badInput('--prometheus needs /metrics: drop --metrics-port 0')
    if (a.prometheus === true && !prometheusAvailable()) throw badInput(`--prometheus: no '${PROMETHEUS_BINARY}' binary on PATH (Debian: apt-get install prometheus)`)
    const rpcApis = a['rpc-api'] !== undefined ? parseRpcApis(a['rpc-api']) : undefined
    if (typeof rpcApis === 'string') throw badInput(`--rpc-api: ${rpcApis}`)
    if (existsSync(testnetFile(a.dir))) {
      const old = readTestnetOrFail(a.dir)
      const running = old.nodes.filter((n) => n.pid !== null && isOurNode(n.pid, a.dir, n.name))
      if (running.length > 0) throw new CliError(`a testnet is running in ${a.dir} (${running.map((n) => n.name).join(', ')}); run 'teecast testnet down --dir ${a.dir} --wipe' first`)
      throw new CliError(`${a.dir} already holds a stopped testnet: restart it from its data with 'teecast testnet start --dir ${a.dir}', or remove it with 'teecast testnet down --dir ${a.dir} --wipe'`)
    }
    const ports = plannedPorts(a.nodes, a['base-port'], a['rpc-port'], a['metrics-port'])
    const badPort = portProblem(ports)
    if (badPort !== undefined) throw badInput(`${badPort}; choose --base-port, --rpc-port and --metrics-port so that every node's ports fit`)
    const log = say(a.quiet)
    const busy = await busyPorts(DEFAULT_TESTNET.host, ports)
    if (busy.length > 0) throw new CliError(`ports in use on ${DEFAULT_TESTNET.host}: ${busy.map((p) => `${p.port} (${p.label}, ${p.error})`).join(', ')}; pick other --base-port / --rpc-port / --metrics-port`)
    const eph = ephemeralPorts(ports)
    if (eph.length > 0) log(`warning: ${eph.length} ports lie in Linux's ephemeral range (32768-60999), where an outgoing connection can take them first: ${eph.slice(0, 3).map((p) => p.port).join(', ')}${eph.length > 3 ? ', ...' : ''}`)
    const netns = a.netns === true ? planNetnsOrFail(a.dir, a.nodes) : undefined
    const created = createTestnet({
      ...DEFAULT_TESTNET,
      ...net,
      dir: a.dir,
      basePort: a['base-port'],
      baseRpcPort: a['rpc-port'],
      baseMetricsPort: a['metrics-port'],
      baseWsPort: a['ws-port'],
      ...(netns !== undefined ? { hosts: netns.nodes.map((n) => n.ip) } : {}),
      ...(rpcApis !== undefined ? { rpcApis } : {}),
    })
    const kit = writeObservability(a.dir, created)
    log(`testnet in ${resolve(a.dir)}: ${a.nodes} nodes, ${a.signers} signers, degree ${net.degree}, seed "${a.seed}"${net.link !== undefined ? `, links ${JSON.stringify(net.link)}` : ''}`)
    if (netns !== undefined) log(`namespaces ${netns.prefix}-*, bridge ${setupNetnsTestnet(a.dir, netns).bridge} (${netns.subnet})`)
    const d = await launchOrStop(a.dir, a['log-level'], log, netns !== undefined ? () => teardownNetns(netns) : undefined)
    printNodes(d)
    if (a.prometheus === true) {
      const p = startPrometheus(a.dir, a['prometheus-port'])
      log(`Prometheus on ${p.url} (pid ${p.pid}), scraping ${kit[0]}`)
    }
    log(`ready: every node has its peers and block >= 1. Description: ${testnetFile(a.dir)}${kit.length > 0 ? `; Prometheus and Grafana: ${kit.join(', ')}` : ''}`)
  },
}

/** The ports `up` will give its nodes, before the testnet exists. */
function plannedPorts(nodes: number, p2p: number, rpc: number, metrics: number): NamedPort[] {
  return Array.from({ length: nodes }, (_, i) => [
    { label: `n${i} devp2p (--base-port)`, port: p2p + i },
    { label: `n${i} rpc (--rpc-port)`, port: rpc + i },
    ...(metrics > 0 ? [{ label: `n${i} metrics (--metrics-port)`, port: metrics + i }] : []),
  ]).flat()
}

/**
 * Starts the testnet's nodes and waits until it is ready. On failure, or on Ctrl-C / SIGTERM meanwhile, it stops
 * every node it started (the data stays) and says so.
 */
async function launchOrStop(dir: string, logLevel: string, log: (msg: string) => void, cleanup?: () => unknown): Promise<TestnetDescription> {
  const tidy = (): void => {
    try {
      cleanup?.()
    } catch (err) {
      log(`also: ${(err as Error).message}`)
    }
  }
  let interrupted: string | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== undefined) return
    interrupted = signal
    log(`${signal}: stopping the nodes started so far ...`)
    void stopTestnet(dir)
      .then((reports) => {
        const stopped = reports.filter((r) => r.outcome === 'stopped' || r.outcome === 'killed').length
        log(`stopped ${stopped} node processes; the data stays in ${resolve(dir)} ('teecast testnet start --dir ${dir}' restarts, 'down --wipe' removes it)`)
      })
      .catch((err: Error) => log(`could not stop every node: ${err.message}; see 'teecast testnet status --dir ${dir}'`))
      .finally(() => {
        tidy()
        process.exit(130)
      })
  }
  // `on`, not `once`: a second Ctrl-C while stopping must not kill us half-way (stopping is bounded: SIGKILL after 5 s).
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    // A loaded 2-core machine needs seconds per node process to start it (tsx, LevelDB, devp2p): scale the wait.
    const nodes = readTestnet(dir).nodes.length
    return await launchTestnet(dir, { logLevel, onProgress: log, readyTimeoutMs: 60_000 + 10_000 * nodes })
  } catch (err) {
    if (interrupted !== undefined) await new Promise<never>(() => {})
    const reports = await stopTestnet(dir).catch(() => [])
    tidy()
    const stopped = reports.filter((r) => r.outcome === 'stopped' || r.outcome === 'killed').length
    throw new CliError(`testnet failed to start: ${(err as Error).message}${stopped > 0 ? `\n(stopped the ${stopped} node processes still running)` : ''}`)
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}

function printNodes(d: TestnetDescription): void {
  process.stdout.write(
    `${renderTable(
      ['node', 'propagation', 'signer', 'enclave', 'pid', 'rpc', 'ws', 'enode'],
      d.nodes.map((n) => [n.name, n.propagation, n.signerAddress !== undefined ? 'yes' : '', n.tee === true ? 'yes' : '', String(n.pid), n.rpcUrl, n.wsUrl ?? '', n.enode]),
    )}\n`,
  )
}

const start: CommandModule<object, { dir: string; 'log-level': string; quiet?: boolean }> = {
  command: 'start',
  describe: 'Restart a stopped testnet from its data on disk (after down without --wipe)',
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: DEFAULT_DIR, describe: 'Testnet directory' })
      .option('log-level', { type: 'string', default: 'info', choices: ['error', 'warn', 'info', 'debug'] })
      .option('quiet', { type: 'boolean', describe: 'No progress output' }),
  handler: async (a) => {
    const old = readTestnetOrFail(a.dir)
    const running = old.nodes.filter((n) => n.pid !== null && isOurNode(n.pid, a.dir, n.name))
    if (running.length > 0) throw new CliError(`nodes of ${a.dir} are running (${running.map((n) => n.name).join(', ')}); 'teecast testnet down --dir ${a.dir}' first`)
    const log = say(a.quiet)
    const busy = old.netns !== undefined ? [] : await busyPorts(old.nodes[0]?.host ?? DEFAULT_TESTNET.host, portsOf(old))
    if (busy.length > 0) throw new CliError(`ports in use: ${busy.map((p) => `${p.port} (${p.label}, ${p.error})`).join(', ')}`)
    const t0 = Date.now()
    const d = await launchOrStop(a.dir, a['log-level'], log)
    printNodes(d)
    log(`ready after ${((Date.now() - t0) / 1000).toFixed(1)} s, from the data in ${resolve(a.dir)}`)
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
        // No pid: a node on another host or in Kubernetes, asked over RPC.
        const running = n.pid === null ? isRemote(d) : isOurNode(n.pid, a.dir, n.name)
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
    const { netns } = readTestnet(a.dir)
    const prom = await stopPrometheus(a.dir)
    if (prom !== 'none') say(a.quiet)(`prometheus: ${prom}`)
    const reports = await stopTestnet(a.dir, { wipe: a.wipe })
    for (const r of reports) if (r.outcome !== 'gone' || a.quiet !== true) say(false)(`${r.name}: ${r.outcome}${r.pid !== null ? ` (pid ${r.pid})` : ''}`)
    if (netns !== undefined) say(a.quiet)(`removed ${teardownNetns(netns).join(', ') || 'no namespaces (already gone)'}`)
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
    const stopped = isRemote(d) ? [] : d.nodes.filter((n) => n.pid === null || !isOurNode(n.pid, a.dir, n.name))
    if (stopped.length > 0) throw new CliError(`nodes not running: ${stopped.map((n) => n.name).join(', ')}; start with 'teecast testnet up'`)
    const log = say(false)
    const before = await snapshotStats(d)
    const r = await runTransferWorkload(d, { count: a.count, rate: a.rate, inclusionTimeoutMs: a.timeout * 1000, onProgress: log })
    // Let the last block reach every node before reading the counters and heads.
    await sleep(d.period * 1000)
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

interface ChaosArgs {
  dir: string
  count: number
  rate: number
  faults?: string[]
  down: number
  seed: string
  timeout: number
  json?: string
}

const chaos: CommandModule<object, ChaosArgs> = {
  command: 'chaos',
  describe: 'Send a workload while killing and restarting nodes, cutting the network in two, slowing a link and (tee) killing the coordinator; check nothing accepted is lost',
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: DEFAULT_DIR, describe: 'Testnet directory (a running testnet)' })
      .option('count', { type: 'number', default: 300, describe: 'Transactions to send' })
      .option('rate', { type: 'number', default: 5, describe: 'Offered transactions per second' })
      .option('faults', { type: 'string', array: true, describe: `Faults, in order (${FAULT_KINDS.join(', ')}); default every one the testnet supports` })
      .option('down', { type: 'number', default: 10, describe: 'Seconds each fault lasts (a killed node stays down this long)' })
      .option('seed', { type: 'string', default: 'chaos', describe: 'Picks the nodes and links hit' })
      .option('timeout', { type: 'number', default: 180, describe: 'Seconds to wait for inclusion after the last send' })
      .option('json', { type: 'string', describe: 'Also write the result as JSON to this file' }) as unknown as Argv<ChaosArgs>,
  handler: async (a) => {
    if (!(Number.isInteger(a.count) && a.count >= 1)) throw badInput(`--count must be a whole number >= 1, got ${a.count}`)
    if (!(a.rate > 0)) throw badInput(`--rate must be > 0, got ${a.rate}`)
    if (!(a.down >= 1 && a.down <= 600)) throw badInput(`--down must be between 1 and 600 seconds, got ${a.down}`)
    const d = readTestnetOrFail(a.dir)
    const stopped = d.nodes.filter((n) => n.pid === null || !isOurNode(n.pid, a.dir, n.name))
    if (stopped.length > 0) throw new CliError(`nodes not running: ${stopped.map((n) => n.name).join(', ')}; start with 'teecast testnet start --dir ${a.dir}'`)
    const asked = a.faults?.flatMap((f) => f.split(',')).filter((f) => f !== '')
    for (const f of asked ?? []) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw badInput(`--faults: "${f}" is not one of ${FAULT_KINDS.join(', ')}`)
    const log = say(false)
    const kinds = (asked ?? FAULT_KINDS.filter((k) => unsupported(d, k) === undefined)) as FaultKind[]
    for (const k of kinds) {
      const why = unsupported(d, k)
      if (why !== undefined) throw badInput(`--faults ${k}: ${why}`)
    }
    for (const k of FAULT_KINDS) if (!kinds.includes(k) && asked === undefined) log(`skipping ${k}: ${unsupported(d, k)}`)
    const plan = planChaos(d, { kinds, workloadMs: (a.count / a.rate) * 1000, downMs: a.down * 1000, seed: a.seed })
    log(`chaos on ${d.nodes.length} nodes: ${plan.map((f) => `${f.kind} at ${(f.atMs / 1000).toFixed(0)} s`).join(', ')}; ${a.count} txs at ${a.rate} tx/s`)
    const r = await runChaos(d, plan, { dir: a.dir, count: a.count, rate: a.rate, inclusionTimeoutMs: a.timeout * 1000, onProgress: log })
    const sec = (v: number | null | undefined): string => (v === null || v === undefined ? 'never' : v.toFixed(1))
    process.stdout.write(
      `${renderTable(
        ['fault', 'target', 'from s', 'to s', 'one head after s', 'restart: head before / after', 'kept chain', 'RPC after s', 'caught up s (periods)', 'note'],
        r.faults.map((f) => [
          f.kind,
          f.target,
          f.startedAtSec.toFixed(1),
          f.endedAtSec.toFixed(1),
          sec(f.healedInSec),
          f.restart !== undefined ? `${f.restart.headBefore} / ${f.restart.headAfterRestart}` : '',
          f.restart !== undefined ? (f.restart.kept ? 'yes' : 'NO') : '',
          f.restart !== undefined ? sec(f.restart.answeredInSec) : '',
          f.restart !== undefined ? `${sec(f.restart.caughtUpInSec)}${f.restart.caughtUpInPeriods !== null ? ` (${f.restart.caughtUpInPeriods.toFixed(1)})` : ''}` : '',
          f.note ?? '',
        ]),
      )}\n`,
    )
    process.stdout.write(
      `accepted ${r.accepted}, committed ${r.committed}, lost ${r.lost}, rejected by RPC ${r.rejected}; ${r.headsEqual ? `every node on one head (block ${r.finalHead})` : 'nodes NOT on one head'}` +
        `${r.tee !== undefined ? `; tee: ${r.tee.plans} new plans, ${r.tee.floodFallbacks} flood fallbacks, ${r.tee.repaired} repaired, ${r.tee.pulls} pulls, ${r.tee.planPushes} plan pushes` : ''}\n`,
    )
    if (a.json !== undefined) writeFileSync(a.json, `${JSON.stringify({ plan, result: r }, null, 2)}\n`)
    if (r.lost > 0 || !r.headsEqual || r.faults.some((f) => f.restart !== undefined && !f.restart.kept)) throw new CliError('chaos run failed: see the table above')
  },
}

/** A description of nodes that run elsewhere (bench run --testnet, Kubernetes): no local pids, nor data dirs here. */
const isRemote = (d: ReturnType<typeof readTestnet>): boolean => d.nodes.every((n) => n.pid === null) && !d.nodes.some((n) => existsSync(n.dataDir))

function planNetnsOrFail(dir: string, nodes: number): NetnsRecord {
  const why = netnsUnavailable()
  if (why !== undefined) throw new CliError(`--netns: ${why}`)
  try {
    return chooseNetnsPlan(dir, Array.from({ length: nodes }, (_, i) => `n${i}`))
  } catch (err) {
    throw badInput(`--netns: ${(err as Error).message}`)
  }
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
  describe: SUMMARIES.testnet,
  builder: (y) =>
    y
      .command(up as CommandModule)
      .command(start as CommandModule)
      .command(status as CommandModule)
      .command(down as CommandModule)
      .command(send as CommandModule)
      .command(chaos as CommandModule)
      .command(k8sCommands)
      .demandCommand(1, 'Name a testnet command: up, start, status, down, send, chaos or k8s.'),
  handler: () => {},
}
