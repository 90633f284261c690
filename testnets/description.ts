/**
 * `DIR/testnet.json`: the one description of a local testnet that every other tool reads (testnet status/send/down,
 * the bench). It holds private keys: it describes a throw-away local network only.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import type { PropagationMode } from '../src/propagation/interface.ts'
import type { NetnsRecord } from './netns/plan.ts'

export interface TestnetNode {
  name: string
  enode: string
  nodeId: string
  /** devp2p private key (hex, 0x-prefixed). */
  nodeKey: string
  /** Clique sealing key, present on signers. */
  signerKey?: string
  signerAddress?: string
  host: string
  p2pPort: number
  rpcPort: number
  metricsPort: number
  rpcUrl: string
  /** JSON-RPC over WebSocket (eth_subscribe); absent in testnets made before it existed, or with --ws-port 0. */
  wsPort?: number
  wsUrl?: string
  /** Process id while running; null when stopped. */
  pid: number | null
  propagation: PropagationMode
  dataDir: string
  logPath: string
  /** Names of the nodes this one is statically linked to. */
  peers: string[]
  /** Runs a (simulated) enclave, attested under the testnet's attestation dir. */
  tee?: boolean
  /** Network namespace the node runs in (`testnet up --netns`); absent = the caller's. */
  netns?: string
  /** Bench adversary (scenario `adversaries.omittingRelays`): the node relays nothing it should forward. */
  adversaryOmit?: boolean
}

export interface TestnetAccount {
  address: string
  privateKey: string
}

export interface TestnetDescription {
  version: 1
  chainId: number
  seed: string
  genesisPath: string
  /** Clique block period, seconds. */
  period: number
  nodes: TestnetNode[]
  accounts: TestnetAccount[]
  /** Emulated links between all peers (src/shared/linkemu), as given on the command line: "50ms", "20mbit", "0.5%". */
  link?: { delay?: string; jitter?: string; rate?: string; loss?: string }
  /** Attestation root, enclave signer and policy of the testnet (teecast attest init), when any node has an enclave. */
  attestationDir?: string
  /** tee propagation: epoch length, ms. */
  teeEpochMs?: number
  /** JSON-RPC namespaces every node serves (testnet up --rpc-api); unset = the node's default (no debug, admin). */
  rpcApis?: string[]
  /** Gas cap of eth_call and eth_estimateGas on every node, decimal ("0": none); unset = the node's default. */
  rpcGasCap?: string
  /** What `testnet up --netns` created (testnets/netns/): removed by `down`. */
  netns?: NetnsRecord
}

export const testnetFile = (dir: string): string => join(dir, 'testnet.json')

export function readTestnet(dir: string): TestnetDescription {
  let text: string
  try {
    text = readFileSync(testnetFile(dir), 'utf8')
  } catch {
    throw new Error(`no testnet in ${dir} (missing ${testnetFile(dir)}); start one with 'teecast testnet up --dir ${dir}'`)
  }
  const d = JSON.parse(text) as TestnetDescription
  if (d.version !== 1 || !Array.isArray(d.nodes)) throw new Error(`${testnetFile(dir)} is not a teecast testnet description`)
  return d
}

/** Written via a temp file and rename, so a reader never sees half a file. */
export function writeTestnet(dir: string, d: TestnetDescription): void {
  const tmp = `${testnetFile(dir)}.tmp`
  writeFileSync(tmp, `${JSON.stringify(d, null, 2)}\n`)
  renameSync(tmp, testnetFile(dir))
}
