/**
 * The pod side of the generated manifests (`teecast testnet k8s-init`): turns the ConfigMap's topology and the
 * Secrets' keys into an ordinary testnet.json in the pod's data dir, so that `teecast node --dir` and `teecast bench
 * run --testnet` run unchanged.
 * - In a node pod: this pod's node gets its own keys and the pod's IP as host; every peer's DNS name is resolved to
 *   an address (devp2p dials addresses, and an enode URL carries one), waiting until the name exists.
 * - In the bench Job: every node is described by its DNS name and RPC URL, with no pid and no keys, plus the
 *   workload accounts.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { lookup } from 'node:dns/promises'
import { join } from 'node:path'
import { writeTestnet, type TestnetAccount, type TestnetDescription, type TestnetNode } from '../description.ts'
import type { K8sTopology } from './manifests.ts'
import { parseEnode } from '../../src/shared/enode.ts'
import type { LinkSpecInput } from '../../src/shared/linkemu/spec.ts'

/** What the tc init container applies: the link spec, and the peers' resolved addresses. */
export interface ShapeFile {
  link: LinkSpecInput
  peers: string[]
}
export const SHAPE_FILE = 'link-shape.json'

export interface NodeInitOptions {
  config: string
  keys: string
  attestation: string
  out: string
  pod: string
  podIp: string
  /** How long to wait for a peer's name to resolve. */
  resolveTimeoutMs?: number
  resolve?: (host: string) => Promise<string>
}

const readJson = <T>(path: string): T => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function resolveWithin(host: string, timeoutMs: number, resolve: (h: string) => Promise<string>): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await resolve(host)
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`peer ${host} did not resolve within ${timeoutMs} ms: ${(err as Error).message}`)
      await sleep(1000)
    }
  }
}

const enodeAt = (nodeId: string, host: string, port: number): string => `enode://${nodeId}@${host}:${port}`

function baseDescription(t: K8sTopology, out: string, nodes: TestnetNode[], accounts: TestnetAccount[], attestationDir: string | undefined): TestnetDescription {
  // Shaped by the kernel (tc) or by Chaos Mesh: the node's own emulator stays off.
  const link = t.linkShaping === 'userspace' ? t.link : undefined
  return {
    version: 1,
    chainId: t.chainId,
    seed: t.seed,
    genesisPath: join(out, 'genesis.json'),
    period: t.period,
    nodes,
    accounts,
    ...(link !== undefined ? { link } : {}),
    ...(attestationDir !== undefined ? { attestationDir } : {}),
    ...(t.teeEpochMs !== undefined ? { teeEpochMs: t.teeEpochMs } : {}),
  }
}

function describeNode(n: K8sTopology['nodes'][number], out: string): TestnetNode {
  const { group: _g, pod: _p, ...rest } = n
  return { ...rest, nodeKey: '', pid: null, dataDir: join(out, 'chain'), logPath: join(out, `${n.name}.log`) }
}

/** Writes OUT/testnet.json, OUT/genesis.json, OUT/node-name and, for a tee testnet, OUT/attestation/. */
export async function initNodePod(o: NodeInitOptions): Promise<TestnetDescription> {
  const t = readJson<K8sTopology>(join(o.config, 'topology.json'))
  const self = t.nodes.find((n) => n.pod === o.pod)
  if (self === undefined) throw new Error(`pod ${o.pod} is not in ${join(o.config, 'topology.json')} (pods: ${t.nodes.map((n) => n.pod).slice(0, 5).join(', ')}, ...)`)
  mkdirSync(o.out, { recursive: true })
  copyFileSync(join(o.config, 'genesis.json'), join(o.out, 'genesis.json'))
  let attestationDir: string | undefined
  if (existsSync(join(o.config, 'policy.json'))) {
    attestationDir = join(o.out, 'attestation')
    mkdirSync(attestationDir, { recursive: true })
    copyFileSync(join(o.config, 'policy.json'), join(attestationDir, 'policy.json'))
    // Secret volumes hold the keys as symlinks into a timestamped dir; only regular names are copied.
    for (const f of readdirSync(o.attestation).filter((f) => !f.startsWith('..'))) copyFileSync(join(o.attestation, f), join(attestationDir, f))
  }
  const resolve = o.resolve ?? (async (h: string) => (await lookup(h, { family: 4 })).address)
  const timeout = o.resolveTimeoutMs ?? 600_000
  const peers = new Set(self.peers)
  const nodes = await Promise.all(
    t.nodes.map(async (n): Promise<TestnetNode> => {
      const base = describeNode(n, o.out)
      if (n.name === self.name) {
        const signer = join(o.keys, `${n.name}.signer`)
        return {
          ...base,
          host: o.podIp,
          enode: enodeAt(n.nodeId, o.podIp, n.p2pPort),
          rpcUrl: `http://${o.podIp}:${n.rpcPort}`,
          nodeKey: readFileSync(join(o.keys, `${n.name}.node`), 'utf8').trim(),
          ...(existsSync(signer) ? { signerKey: readFileSync(signer, 'utf8').trim() } : {}),
        }
      }
      if (!peers.has(n.name)) return base
      const ip = await resolveWithin(n.host, timeout, resolve)
      return { ...base, enode: enodeAt(n.nodeId, ip, n.p2pPort) }
    }),
  )
  const d = baseDescription(t, o.out, nodes, [], attestationDir)
  writeTestnet(o.out, d)
  writeFileSync(join(o.out, 'node-name'), `${self.name}\n`)
  if (t.linkShaping === 'tc' && t.link !== undefined) {
    const shape: ShapeFile = { link: t.link, peers: nodes.filter((n) => peers.has(n.name)).map((n) => parseEnode(n.enode).host) }
    writeFileSync(join(o.out, SHAPE_FILE), `${JSON.stringify(shape)}\n`)
  }
  return d
}

/** The bench's view: every node by DNS name and RPC URL, no pids, no node keys; the workload accounts. */
export function initBenchPod(o: { config: string; accounts: string; out: string }): TestnetDescription {
  const t = readJson<K8sTopology>(join(o.config, 'topology.json'))
  const accounts = readJson<TestnetAccount[]>(join(o.accounts, 'accounts.json'))
  mkdirSync(o.out, { recursive: true })
  copyFileSync(join(o.config, 'genesis.json'), join(o.out, 'genesis.json'))
  const d = baseDescription(t, o.out, t.nodes.map((n) => describeNode(n, o.out)), accounts, undefined)
  writeTestnet(o.out, d)
  return d
}
