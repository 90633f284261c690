/**
 * Lays out a testnet on disk: keys, Clique genesis with prefunded workload accounts, topology, ports, and
 * testnet.json. Everything is derived from the seed, so two testnets with the same seed and sizes are identical
 * but for their directory (which is what lets the bench compare modes on the same network).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import type { PropagationMode } from '../src/propagation/interface.ts'
import { cliqueGenesis } from './genesis/clique.ts'
import { addressOf, deriveKey, enodeOf, nodeIdOf } from '../src/shared/keys.ts'
import { neighbours, randomRegularGraph } from '../src/shared/topology.ts'
import { writeTestnet, type TestnetDescription, type TestnetNode } from './description.ts'
import { SeededRandom } from '../src/shared/rng.ts'
import { initAttestDir } from '../src/tee/attest-dir.ts'

export interface CreateTestnetOptions {
  dir: string
  nodes: number
  signers: number
  degree: number
  seed: string
  propagation: PropagationMode
  /** Per-node overrides by index. */
  propagationOverrides?: Record<number, PropagationMode>
  period: number
  accounts: number
  chainId: number
  host: string
  /** Per-node host by index (an address or a DNS name); nodes without an entry use `host`. */
  hosts?: readonly string[]
  /** Every node on basePort/baseRpcPort/baseMetricsPort (one host per node, as in Kubernetes); default: port + index. */
  samePorts?: boolean
  basePort: number
  baseRpcPort: number
  /** 0 = no /metrics servers. */
  baseMetricsPort: number
  /** WebSocket JSON-RPC port of n0 (n1 = +1, ...); 0 = none. */
  baseWsPort?: number
  gasLimit: bigint
  link?: TestnetDescription['link']
  /** Share of nodes, chosen from the seed, that run an enclave (0 = none). */
  /** Share of nodes with an enclave; default 1 when any node runs tee propagation, else 0. */
  teeFraction?: number
  /** tee propagation: epoch length, ms (default: the protocol's, 60 s). */
  teeEpochMs?: number
  /** JSON-RPC namespaces of every node (default: the node's, without debug and admin). */
  rpcApis?: string[]
  /** Gas cap of eth_call and eth_estimateGas of every node, decimal ("0": none); default: the node's. */
  rpcGasCap?: string
}

/** WebSocket JSON-RPC port of n0 with `testnet up` (not in DEFAULT_TESTNET: callers that pick ports ask for it). */
export const DEFAULT_WS_PORT = 8700

export const DEFAULT_TESTNET = {
  signers: 2,
  degree: 4,
  seed: 'teecast',
  propagation: 'stock' as PropagationMode,
  period: 2,
  accounts: 64,
  chainId: 777001,
  host: '127.0.0.1',
  basePort: 30400,
  baseRpcPort: 8600,
  baseMetricsPort: 9600,
  // Fits 2,000+ simple transfers (21,000 gas each) per block.
  gasLimit: 60_000_000n,
}

/** 1,000,000 ETH per workload account: enough for any local run. */
const PREFUND = 10n ** 24n
/** Fixed so the genesis hash depends on the seed alone. */
const GENESIS_TIMESTAMP = 1_700_000_000

export function createTestnet(o: CreateTestnetOptions): TestnetDescription {
  if (o.signers < 1 || o.signers > o.nodes) throw new Error(`--signers must be between 1 and --nodes (${o.nodes}), got ${o.signers}`)
  const dir = resolve(o.dir)
  mkdirSync(dir, { recursive: true })
  const edges = o.nodes === 1 ? [] : randomRegularGraph(o.nodes, o.degree, o.seed)
  const adj = neighbours(o.nodes, edges)
  const nodeKeys = Array.from({ length: o.nodes }, (_, i) => deriveKey(o.seed, 'node', i))
  const signerKeys = Array.from({ length: o.signers }, (_, i) => deriveKey(o.seed, 'signer', i))
  const accounts = Array.from({ length: o.accounts }, (_, i) => {
    const k = deriveKey(o.seed, 'account', i)
    return { address: addressOf(k), privateKey: bytesToHex(k) }
  })
  const genesis = cliqueGenesis({
    chainId: o.chainId,
    period: o.period,
    signers: signerKeys.map(addressOf),
    alloc: Object.fromEntries(accounts.map((a) => [a.address, PREFUND])),
    gasLimit: o.gasLimit,
    timestamp: GENESIS_TIMESTAMP,
  })
  const genesisPath = join(dir, 'genesis.json')
  writeFileSync(genesisPath, `${JSON.stringify(genesis, null, 2)}\n`)
  const names = nodeKeys.map((_, i) => `n${i}`)
  const anyTee = o.propagation === 'tee' || Object.values(o.propagationOverrides ?? {}).includes('tee')
  const teeCount = Math.round((o.teeFraction ?? (anyTee ? 1 : 0)) * o.nodes)
  const teeNodes = new Set(new SeededRandom(`tee/${o.seed}`).shuffle(names.map((_, i) => i)).slice(0, teeCount))
  const attestationDir = teeCount > 0 ? join(dir, 'attestation') : undefined
  if (attestationDir !== undefined) initAttestDir(attestationDir)
  const nodes: TestnetNode[] = nodeKeys.map((k, i) => {
    const step = o.samePorts === true ? 0 : i
    const p2pPort = o.basePort + step
    const rpcPort = o.baseRpcPort + step
    const host = o.hosts?.[i] ?? o.host
    const signerKey = signerKeys[i]
    return {
      name: names[i]!,
      enode: enodeOf(k, host, p2pPort),
      nodeId: nodeIdOf(k),
      nodeKey: bytesToHex(k),
      ...(signerKey !== undefined ? { signerKey: bytesToHex(signerKey), signerAddress: addressOf(signerKey) } : {}),
      host,
      p2pPort,
      rpcPort,
      metricsPort: o.baseMetricsPort > 0 ? o.baseMetricsPort + step : 0,
      rpcUrl: `http://${host}:${rpcPort}`,
      ...((o.baseWsPort ?? 0) > 0 ? { wsPort: o.baseWsPort! + step, wsUrl: `ws://${host}:${o.baseWsPort! + step}` } : {}),
      pid: null,
      propagation: o.propagationOverrides?.[i] ?? o.propagation,
      dataDir: join(dir, names[i]!),
      logPath: join(dir, `${names[i]!}.log`),
      peers: adj[i]!.map((j) => names[j]!),
      ...(teeNodes.has(i) ? { tee: true } : {}),
    }
  })
  const d: TestnetDescription = { version: 1, chainId: o.chainId, seed: o.seed, genesisPath, period: o.period, nodes, accounts, ...(o.link !== undefined ? { link: o.link } : {}), ...(attestationDir !== undefined ? { attestationDir } : {}), ...(o.teeEpochMs !== undefined ? { teeEpochMs: o.teeEpochMs } : {}), ...(o.rpcApis !== undefined ? { rpcApis: o.rpcApis } : {}), ...(o.rpcGasCap !== undefined ? { rpcGasCap: o.rpcGasCap } : {}) }
  writeTestnet(dir, d)
  return d
}
