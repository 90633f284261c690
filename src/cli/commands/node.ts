/** `teecast node`: run one patched client in the foreground, from a testnet dir or from explicit flags. */
import type { CommandModule } from 'yargs'
import { SUMMARIES } from './summaries.ts'
import { hexToBytes } from '@ethereumjs/util'
import { readTestnet, testnetFile } from '../../../testnets/description.ts'
import { isPropagationMode, PROPAGATION_MODES, type PropagationMode } from '../../propagation/interface.ts'
import type { NodeOptions } from '../../node/options.ts'
import { badInput } from '../errors.ts'
import { existsSync } from 'node:fs'
import { portProblem } from '../../../testnets/ports.ts'
import { parseLinkSpec } from '../../shared/linkemu/spec.ts'
import { linkFaultsFile } from '../../shared/linkemu/faults.ts'
import { rpcSettingsFromArgs, withRpcFlags, type RpcArgs } from './rpc-flags.ts'
import { parseAccessList, validateCors } from '../../rpc/access.ts'

interface NodeArgs extends RpcArgs {
  dir?: string
  name?: string
  genesis?: string
  datadir?: string
  'node-key'?: string
  'signer-key'?: string
  host: string
  port: number
  'rpc-port': number
  'metrics-port': number
  'ws-port'?: number
  'rpc-cors'?: string
  'rpc-vhosts'?: string
  peer: string[]
  'max-peers': number
  propagation?: string
  'log-level': string
  'tee-epoch'?: number
  'attestation-dir'?: string
  'tee-policy'?: string
  'adversary-omit'?: boolean
}

const KEY = /^(0x)?[0-9a-fA-F]{64}$/
const key = (flag: string, v: string): Uint8Array => {
  if (!KEY.test(v)) throw badInput(`--${flag} must be 32 bytes of hex, got "${v}"`)
  return hexToBytes(`0x${v.replace(/^0x/, '')}`)
}

/** --rpc-cors and --rpc-vhosts, checked; unset flags keep the defaults (src/rpc/access.ts). */
function accessFlags(a: NodeArgs): Pick<NodeOptions, 'rpcCors' | 'rpcVhosts'> {
  const out: Pick<NodeOptions, 'rpcCors' | 'rpcVhosts'> = {}
  try {
    if (a['rpc-cors'] !== undefined) {
      out.rpcCors = parseAccessList('--rpc-cors', a['rpc-cors'])
      validateCors(out.rpcCors)
    }
    if (a['rpc-vhosts'] !== undefined) out.rpcVhosts = parseAccessList('--rpc-vhosts', a['rpc-vhosts'])
  } catch (err) {
    throw badInput((err as Error).message)
  }
  return out
}

function wsPortFlag(a: NodeArgs): number | undefined {
  const p = a['ws-port']
  if (p === undefined) return undefined
  if (!(Number.isInteger(p) && p >= 0 && p <= 65_535)) throw badInput(`--ws-port must be a TCP port (0-65535), got ${p}`)
  return p
}

export function nodeOptionsFromArgs(a: NodeArgs): NodeOptions {
  const access = accessFlags(a)
  return { ...nodeOptionsWithoutRpcAccess(a), ...access }
}

function nodeOptionsWithoutRpcAccess(a: NodeArgs): NodeOptions {
  const mode = a.propagation
  if (mode !== undefined && !isPropagationMode(mode)) throw badInput(`--propagation must be one of ${PROPAGATION_MODES.join(', ')}, got "${mode}"`)
  const logLevel = a['log-level'] as NodeOptions['logLevel']
  if (a.dir !== undefined) {
    if (a.name === undefined) throw badInput('--dir needs --name (which node of the testnet to run)')
    let t
    try {
      t = readTestnet(a.dir)
    } catch (err) {
      throw badInput((err as Error).message)
    }
    const n = t.nodes.find((x) => x.name === a.name)
    if (n === undefined) throw badInput(`no node "${a.name}" in ${a.dir}; nodes: ${t.nodes.map((x) => x.name).join(', ')}`)
    const byName = new Map(t.nodes.map((x) => [x.name, x]))
    return {
      name: n.name,
      genesisPath: t.genesisPath,
      dataDir: n.dataDir,
      nodeKey: key('node-key', n.nodeKey),
      signerKey: n.signerKey !== undefined ? key('signer-key', n.signerKey) : undefined,
      host: n.host,
      p2pPort: n.p2pPort,
      rpcPort: n.rpcPort,
      metricsPort: n.metricsPort,
      ...((wsPortFlag(a) ?? n.wsPort) !== undefined && (wsPortFlag(a) ?? n.wsPort) !== 0 ? { wsPort: wsPortFlag(a) ?? n.wsPort } : {}),
      staticPeers: n.peers.map((p) => byName.get(p)?.enode).filter((e): e is string => e !== undefined),
      maxPeers: Math.max(a['max-peers'], n.peers.length + 4),
      propagation: (mode as PropagationMode | undefined) ?? n.propagation,
      logLevel,
      ...(t.link !== undefined ? { link: parseLinkSpec(t.link), linkFaultsPath: linkFaultsFile(a.dir) } : {}),
      ...(n.tee === true && t.attestationDir !== undefined ? { attestationDir: t.attestationDir } : {}),
      ...(t.attestationDir !== undefined ? { teePolicyDir: t.attestationDir } : {}),
      ...(teeEpochMs(a) ?? t.teeEpochMs) !== undefined ? { teeEpochMs: teeEpochMs(a) ?? t.teeEpochMs } : {},
      rpc: { ...testnetGasCap(a.dir, t.rpcGasCap), ...rpcSettingsFromArgs(a, t.rpcApis) },
      ...(a['p2p-listen-addr'] !== undefined ? { p2pListenAddr: a['p2p-listen-addr'] } : {}),
      ...(a['adversary-omit'] === true || n.adversaryOmit === true ? { adversaryOmit: true } : {}),
    }
  }
  if (a.genesis === undefined || a.datadir === undefined || a['node-key'] === undefined) {
    throw badInput('give either --dir and --name, or --genesis, --datadir and --node-key')
  }
  const badPort = portProblem([
    { label: '--port', port: a.port },
    { label: '--rpc-port', port: a['rpc-port'] },
    ...(a['metrics-port'] !== 0 ? [{ label: '--metrics-port', port: a['metrics-port'] }] : []),
  ])
  if (badPort !== undefined) throw badInput(badPort)
  const nodeKey = key('node-key', a['node-key'])
  const rpc = rpcSettingsFromArgs(a)
  const wsPort = wsPortFlag(a)
  // Last, so that every flag is checked first: a missing file is the only error that depends on the disk.
  if (!existsSync(a.genesis)) throw badInput(`--genesis ${a.genesis}: no such file`)
  return {
    name: a.name ?? 'node',
    genesisPath: a.genesis,
    dataDir: a.datadir,
    nodeKey,
    signerKey: a['signer-key'] !== undefined ? key('signer-key', a['signer-key']) : undefined,
    host: a.host,
    p2pPort: a.port,
    rpcPort: a['rpc-port'],
    metricsPort: a['metrics-port'],
    ...(wsPort !== undefined && wsPort !== 0 ? { wsPort } : {}),
    staticPeers: a.peer,
    maxPeers: a['max-peers'],
    propagation: (mode as PropagationMode | undefined) ?? 'stock',
    logLevel,
    ...(a['attestation-dir'] !== undefined ? { attestationDir: a['attestation-dir'] } : {}),
    ...(a['tee-policy'] !== undefined ? { teePolicyDir: a['tee-policy'] } : {}),
    ...(teeEpochMs(a) !== undefined ? { teeEpochMs: teeEpochMs(a) } : {}),
    rpc,
    ...(a['p2p-listen-addr'] !== undefined ? { p2pListenAddr: a['p2p-listen-addr'] } : {}),
    ...(a['adversary-omit'] === true ? { adversaryOmit: true } : {}),
  }
}

/** testnet.json's rpcGasCap: a decimal string (as `testnet up` writes it) or a whole JSON number; anything else is bad input. */
function testnetGasCap(dir: string, v: unknown): { gasCap?: bigint } {
  if (v === undefined) return {}
  if (typeof v === 'string' && /^\d+$/.test(v)) return { gasCap: BigInt(v) }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { gasCap: BigInt(v) }
  throw badInput(`${testnetFile(dir)}: rpcGasCap must be a whole number of gas in decimal ("0": no cap), got ${JSON.stringify(v)}`)
}

function teeEpochMs(a: NodeArgs): number | undefined {
  const s = a['tee-epoch']
  if (s === undefined) return undefined
  if (!(Number.isFinite(s) && s >= 2 && s <= 86_400)) throw badInput(`--tee-epoch must be between 2 and 86400 seconds, got ${s}`)
  return Math.round(s * 1000)
}

export const nodeCommand: CommandModule<object, NodeArgs> = {
  command: 'node',
  describe: SUMMARIES.node,
  builder: (y) =>
    withRpcFlags(y)
      .option('dir', { type: 'string', describe: 'Testnet dir (reads testnet.json); use with --name' })
      .option('name', { type: 'string', describe: 'Node name within the testnet (n0, n1, ...)' })
      .option('genesis', { type: 'string', describe: 'Geth-style genesis JSON (without --dir)' })
      .option('datadir', { type: 'string', describe: 'Data directory (without --dir)' })
      .option('node-key', { type: 'string', describe: 'devp2p private key, 32 bytes hex (without --dir)' })
      .option('signer-key', { type: 'string', describe: 'Clique signer key, 32 bytes hex: this node seals blocks' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on and advertise' })
      .option('port', { type: 'number', default: 30303, describe: 'devp2p TCP port' })
      .option('rpc-port', { type: 'number', default: 8545, describe: 'JSON-RPC HTTP port' })
      .option('metrics-port', { type: 'number', default: 0, describe: 'Prometheus /metrics port (0 = off)' })
      .option('ws-port', { type: 'number', describe: 'WebSocket JSON-RPC port with eth_subscribe (0 = off; with --dir: the testnet\'s)' })
      .option('rpc-cors', { type: 'string', describe: 'Comma-separated browser origins allowed by CORS on HTTP and WS, e.g. http://localhost:*,https://app.example, or * (default: http://localhost:*,http://127.0.0.1:*)' })
      .option('rpc-vhosts', { type: 'string', describe: 'Comma-separated Host names the RPC accepts, or * (IP addresses always pass; default: localhost,127.0.0.1)' })
      .option('peer', { type: 'string', array: true, default: [] as string[], describe: 'Static peer enode URL (repeatable)' })
      .option('max-peers', { type: 'number', default: 25, describe: 'Maximum devp2p peers' })
      .option('propagation', { type: 'string', describe: `Propagation mode: ${PROPAGATION_MODES.join('|')} (default stock)` })
      .option('log-level', { type: 'string', default: 'info', choices: ['error', 'warn', 'info', 'debug', 'off'] })
      .option('attestation-dir', { type: 'string', describe: 'Attestation dir (teecast attest init): this node runs the simulated enclave (without --dir)' })
      .option('tee-policy', { type: 'string', describe: 'tee mode: attestation dir whose policy.json judges quotes and plans (without --dir)' })
      .option('tee-epoch', { type: 'number', describe: 'tee mode: epoch length in seconds (a new broadcast plan per epoch; default 60)' })
      // Bench adversaries only (bench scenarios' omittingRelays): this node forwards nothing it should relay.
      .option('adversary-omit', { type: 'boolean', hidden: true }),
  handler: async (a) => {
    const options = nodeOptionsFromArgs(a)
    // The client is loaded only once the flags are good: bad input answers at once.
    const { runNodeProcess } = await import('../../node/process.ts')
    await runNodeProcess(options)
  },
}
