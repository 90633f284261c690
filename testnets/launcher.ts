/**
 * Starts and stops the node processes of a local testnet. Each node is `teecast node --dir DIR --name nX`, detached,
 * logging to DIR/nX.log; its pid goes into testnet.json, and `down` signals exactly those pids, after checking that
 * each still runs teecast for this testnet (a recycled pid is never killed).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'
import { rpcCall, waitForRpc } from '../src/rpc/client.ts'
import { readTestnet, writeTestnet, type TestnetDescription, type TestnetNode } from './description.ts'

const TEECAST_BIN = fileURLToPath(new URL('../bin/teecast.js', import.meta.url))

export interface LaunchOptions {
  logLevel?: string
  /** How long to wait for every node to have its peers and block 1. */
  readyTimeoutMs?: number
  onProgress?: (msg: string) => void
}

export function startNodeProcess(dir: string, node: TestnetNode, logLevel = 'info'): number {
  const log = openSync(node.logPath, 'a')
  try {
    // TEECAST_NODE_FLAGS passes node.js flags to every node process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeFlags = (process.env.TEECAST_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')
    const argv = [...nodeFlags, TEECAST_BIN, 'node', '--dir', resolve(dir), '--name', node.name, '--log-level', logLevel]
    // In its own network namespace (testnet up --netns): `ip netns exec` execs node, so the pid is the node's.
    const [cmd, args] = node.netns !== undefined ? ['ip', ['netns', 'exec', node.netns, process.execPath, ...argv]] : [process.execPath, argv]
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, FORCE_COLOR: '0' },
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface NodeReadiness {
  block: number
  peers: number
  /** The client accepts eth_sendRawTransaction only once it considers itself synchronized. */
  synced: boolean
}

export async function readiness(node: TestnetNode): Promise<NodeReadiness> {
  const [block, stats, syncing] = await Promise.all([
    rpcCall<string>(node.rpcUrl, 'eth_blockNumber', [], 3_000),
    rpcCall<{ peers: number }>(node.rpcUrl, 'teecast_p2pStats', [], 3_000),
    rpcCall<unknown>(node.rpcUrl, 'eth_syncing', [], 3_000),
  ])
  return { block: Number(block), peers: stats.peers, synced: syncing === false }
}

/** Waits until every node answers RPC, has all its static peers and is at block >= minBlock. */
export async function waitUntilReady(d: TestnetDescription, nodes: TestnetNode[], o: LaunchOptions & { minBlock?: number } = {}): Promise<void> {
  const timeout = o.readyTimeoutMs ?? 90_000
  const deadline = Date.now() + timeout
  await Promise.all(nodes.map((n) => waitForRpc(n.rpcUrl, timeout)))
  const minBlock = o.minBlock ?? 1
  let lastReport = ''
  for (;;) {
    const states = await Promise.all(nodes.map((n) => readiness(n).catch((): NodeReadiness => ({ block: -1, peers: -1, synced: false }))))
    const waiting = nodes.filter((n, i) => states[i]!.block < minBlock || states[i]!.peers < n.peers.length || !states[i]!.synced)
    if (waiting.length === 0) return
    const report = `waiting for ${waiting.length}/${nodes.length} nodes (peers, block ${minBlock}, synced): ${waiting
      .map((n) => {
        const s = states[nodes.indexOf(n)]!
        return `${n.name} block ${s.block} peers ${s.peers}/${n.peers.length}${s.synced ? '' : ' syncing'}`
      })
      .join(', ')}`
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
  for (const n of d.nodes) n.pid = startNodeProcess(dir, n, o.logLevel)
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
