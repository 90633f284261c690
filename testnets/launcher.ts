/**
 * Starts and stops the node processes of a local testnet. Each node is `teecast node --dir DIR --name nX`, detached,
 * logging to DIR/nX.log; its pid goes into testnet.json, and `down` signals exactly those pids, after checking that
 * each still runs teecast for this testnet (a recycled pid is never killed).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'
import { rpcCall } from '../src/rpc/client.ts'
import { readTestnet, writeTestnet, type TestnetDescription, type TestnetNode } from './description.ts'
import { busyPorts, portProblem, portsOf } from './ports.ts'
import { expectedPlanNodes } from './tee-readiness.ts'
import { nodeScript } from './node-bundle.ts'
import { nodeProcessEnv } from '../src/node/allocator.ts'
import { setTimeout as sleep } from 'node:timers/promises'

const TEECAST_BIN = fileURLToPath(new URL('../bin/teecast.js', import.meta.url))

export interface LaunchOptions {
  logLevel?: string
  /** How long to wait for every node to have its peers and block 1. */
  readyTimeoutMs?: number
  onProgress?: (msg: string) => void
}

export async function startNodeProcess(dir: string, node: TestnetNode, logLevel = 'info', say?: (msg: string) => void): Promise<number> {
  const script = await nodeScript(TEECAST_BIN, say)
  const log = openSync(node.logPath, 'a')
  try {
    // TEECAST_NODE_FLAGS passes node.js flags to every node process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeFlags = (process.env.TEECAST_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')
    const argv = [...nodeFlags, script, 'node', '--dir', resolve(dir), '--name', node.name, '--log-level', logLevel]
    // In its own network namespace (testnet up --netns): `ip netns exec` execs node, so the pid is the node's.
    const [cmd, args] = node.netns !== undefined ? ['ip', ['netns', 'exec', node.netns, process.execPath, ...argv]] : [process.execPath, argv]
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...nodeProcessEnv(process.env), FORCE_COLOR: '0' },
    })
    if (child.pid === undefined) throw new Error(`could not start node ${node.name}`)
    child.unref()
    return child.pid
  } finally {
    closeSync(log)
  }
}

/** True when `pid` is alive and is `teecast node` for this dir and node name. */
export function isOurNode(pid: number, dir: string, name: string): boolean {
  let cmd: string
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return false
  }
  const args = cmd.split('\0')
  const at = (flag: string): string | undefined => args[args.indexOf(flag) + 1]
  return args.includes('node') && at('--dir') === resolve(dir) && at('--name') === name
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}


interface NodeReadiness {
  block: number
  peers: number
  /** The client accepts eth_sendRawTransaction only once it considers itself synchronized. */
  synced: boolean
  /** The devp2p id of whoever answers on the node's RPC port. */
  nodeId: string
  /** tee nodes: how many nodes the plan it runs holds (0: none yet). */
  planNodes?: number
}

export async function readiness(node: TestnetNode): Promise<NodeReadiness> {
  const [block, stats, syncing, tee] = await Promise.all([
    rpcCall<string>(node.rpcUrl, 'eth_blockNumber', [], 3_000),
    rpcCall<{ peers: number; nodeId?: string }>(node.rpcUrl, 'teecast_p2pStats', [], 3_000),
    rpcCall<unknown>(node.rpcUrl, 'eth_syncing', [], 3_000),
    node.propagation === 'tee' ? rpcCall<{ planNodes: number }>(node.rpcUrl, 'teecast_teeStatus', [], 3_000) : undefined,
  ])
  return { block: Number(block), peers: stats.peers, synced: syncing === false, nodeId: stats.nodeId ?? '', ...(tee !== undefined ? { planNodes: tee.planNodes } : {}) }
}

/** The last lines of a node's log that say why it failed (errors first), for a message to the user. */
export function logTail(path: string, lines = 6): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return `(no log at ${path})`
  }
  const all = text.split('\n').filter((l) => l.trim() !== '').slice(-60)
  const errors = all.filter((l) => /error|EADDRINUSE|EACCES|fatal|exception|out of range/i.test(l))
  return (errors.length > 0 ? errors : all).slice(-lines).join('\n')
}

/** A node process that exited while it should be starting: the error names it and quotes its log. */
export class NodeExitedError extends Error {
  constructor(readonly node: TestnetNode, readonly pid: number) {
    super(`node ${node.name} (pid ${pid}) exited while the testnet was starting; from ${node.logPath}:\n${logTail(node.logPath)}`)
    this.name = 'NodeExitedError'
  }
}

/** How long a ready chain waits for every tee node's plan to cover its tee component (tee-readiness.ts). */
const PLAN_WAIT_MS = 30_000

/**
 * Waits until every node answers RPC as itself (its node id), has all its static peers, is at block >= minBlock
 * and is synchronized, and every tee node runs a plan of its whole tee component (tee-readiness.ts): traffic sent
 * right after this returns travels the trees, not a flood (a plan still smaller after PLAN_WAIT_MS is a warning).
 * Fails at once when a node process started here has exited.
 */

export async function waitUntilReady(d: TestnetDescription, nodes: TestnetNode[], o: LaunchOptions & { minBlock?: number } = {}): Promise<void> {
  const timeout = o.readyTimeoutMs ?? 90_000
  const started = Date.now()
  const deadline = started + timeout
  const minBlock = o.minBlock ?? 1
  const planTarget = expectedPlanNodes(d)
  const wantPlan = (n: TestnetNode): number => planTarget.get(n.name) ?? 0
  let lastReport = ''
  let chainReadyAt: number | undefined
  for (;;) {
    for (const n of nodes) if (n.pid !== null && !isAlive(n.pid)) throw new NodeExitedError(n, n.pid)
    const states = await Promise.all(nodes.map((n) => readiness(n).catch((): NodeReadiness => ({ block: -1, peers: -1, synced: false, nodeId: '' }))))
    const impostor = nodes.findIndex((n, i) => states[i]!.nodeId !== '' && states[i]!.nodeId !== n.nodeId)
    if (impostor >= 0) {
      const n = nodes[impostor]!
      throw new Error(`${n.rpcUrl} is answered by another node (id ${states[impostor]!.nodeId.slice(0, 16)}…), not ${n.name} of this testnet: is another testnet using these ports?`)
    }
    const waiting = nodes.filter((n, i) => states[i]!.block < minBlock || states[i]!.peers < n.peers.length || !states[i]!.synced)
    const unplanned = nodes.filter((n, i) => (states[i]!.planNodes ?? 0) < wantPlan(n))
    const plans = unplanned.map((n) => `${n.name} plan ${states[nodes.indexOf(n)]!.planNodes ?? 0}/${wantPlan(n)} nodes`)
    if (waiting.length === 0) chainReadyAt ??= Date.now()
    // A mixed network can settle on a smaller plan than the largest one possible (two attested groups joined by
    // unattested nodes): after PLAN_WAIT_MS of a ready chain, say so and go on rather than fail.
    if (chainReadyAt !== undefined && waiting.length === 0 && unplanned.length > 0 && Date.now() - chainReadyAt > PLAN_WAIT_MS) {
      o.onProgress?.(`warning: after ${PLAN_WAIT_MS / 1000} s, ${unplanned.length} tee nodes run a plan smaller than their tee component: ${plans.join(', ')}`)
      return
    }
    if (chainReadyAt !== undefined && waiting.length === 0 && unplanned.length === 0) {
      const planned = nodes.filter((n) => wantPlan(n) > 0)
      if (planned.length > 0) o.onProgress?.(`every tee node runs a plan of its ${[...new Set(planned.map(wantPlan))].join('/')} tee nodes, ${((Date.now() - started) / 1000).toFixed(1)} s after the start (${((Date.now() - chainReadyAt) / 1000).toFixed(1)} s after the chain was ready)`)
      return
    }
    const chain = waiting.map((n) => {
      const s = states[nodes.indexOf(n)]!
      return s.block < 0 ? `${n.name} no RPC answer yet` : `${n.name} block ${s.block} peers ${s.peers}/${n.peers.length}${s.synced ? '' : ' syncing'}`
    })
    const report = waiting.length > 0 ? `waiting for ${waiting.length}/${nodes.length} nodes (peers, block ${minBlock}, synced): ${chain.join(', ')}` : `waiting for a tee plan of every tee node on ${unplanned.length}/${nodes.length} nodes: ${plans.join(', ')}`
    if (report !== lastReport) o.onProgress?.(report)
    lastReport = report
    if (Date.now() > deadline) throw new Error(`testnet not ready after ${timeout} ms: ${report}; see the node logs in ${resolve(d.nodes[0]!.logPath, '..')}`)
    await sleep(500)
  }
}

export async function launchTestnet(dir: string, o: LaunchOptions = {}): Promise<TestnetDescription> {
  const d = readTestnet(dir)
  for (const n of d.nodes) {
    if (n.pid !== null && isOurNode(n.pid, dir, n.name)) throw new Error(`node ${n.name} of ${dir} is already running (pid ${n.pid}); run 'teecast testnet down --dir ${dir}' first`)
  }
  const ports = portsOf(d)
  const bad = portProblem(ports)
  if (bad !== undefined) throw new Error(bad)
  // Nodes in their own namespaces (--netns) bind addresses this namespace does not have: nothing to probe here.
  const busy = d.netns !== undefined ? [] : await busyPorts(d.nodes[0]?.host ?? '127.0.0.1', ports)
  if (busy.length > 0) throw new Error(`ports not free: ${busy.map((p) => `${p.label} ${p.port} (${p.error})`).join(', ')}`)
  for (const n of d.nodes) n.pid = await startNodeProcess(dir, n, o.logLevel, o.onProgress)
  writeTestnet(dir, d)
  o.onProgress?.(`started ${d.nodes.length} node processes`)
  await waitUntilReady(d, d.nodes, o)
  return d
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how the process ended. */
export async function stopPid(pid: number, graceMs = 5_000): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone'
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped'
    await sleep(50)
  }
  process.kill(pid, 'SIGKILL')
  return 'killed'
}

export interface DownReport {
  name: string
  pid: number | null
  outcome: 'stopped' | 'killed' | 'gone' | 'not ours'
}

export async function stopTestnet(dir: string, o: { wipe?: boolean } = {}): Promise<DownReport[]> {
  const d = readTestnet(dir)
  const reports = await Promise.all(
    d.nodes.map(async (n): Promise<DownReport> => {
      if (n.pid === null) return { name: n.name, pid: null, outcome: 'gone' }
      if (!isOurNode(n.pid, dir, n.name)) return { name: n.name, pid: n.pid, outcome: isAlive(n.pid) ? 'not ours' : 'gone' }
      return { name: n.name, pid: n.pid, outcome: await stopPid(n.pid) }
    }),
  )
  for (const n of d.nodes) n.pid = null
  if (o.wipe === true) rmSync(resolve(dir), { recursive: true, force: true })
  else writeTestnet(dir, d)
  return reports
}
