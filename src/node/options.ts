import type { PropagationMode } from '../propagation/interface.ts'
import type { CryptoKind } from './crypto.ts'
import type { LinkSpec } from '../shared/linkemu/spec.ts'
import type { RpcSettings } from '../rpc/settings.ts'

/** Everything one teecast node needs; `teecast node` builds this from flags or from a testnet dir. */
export interface NodeOptions {
  /** Short name used in logs and stats ("n0", "n1", ...). */
  name: string
  /** Path to a geth-style genesis JSON. */
  genesisPath: string
  dataDir: string
  /** 32-byte devp2p private key. */
  nodeKey: Uint8Array
  /** Present on Clique signers: the key that seals blocks. */
  signerKey?: Uint8Array
  host: string
  p2pPort: number
  rpcPort: number
  /** JSON-RPC over WebSocket (eth_subscribe); unset = none, 0 = any free port. */
  wsPort?: number
  /** Browser origins allowed to call the RPC (CORS); default src/rpc/access.ts DEFAULT_RPC_CORS. */
  rpcCors?: string[]
  /** Host header names accepted by the RPC; default DEFAULT_RPC_VHOSTS. */
  rpcVhosts?: string[]
  /** Prometheus /metrics port; 0 = off. */
  metricsPort: number
  /** enode URLs dialled directly (discovery is off) and redialled when they drop. */
  staticPeers: string[]
  maxPeers: number
  propagation: PropagationMode
  logLevel: 'error' | 'warn' | 'info' | 'debug' | 'off'
  /** Sender recovery backend; default native libsecp256k1 (see crypto.ts). */
  crypto?: CryptoKind
  /** Emulated link to every peer this node dials (src/shared/linkemu); unset = plain loopback. */
  link?: LinkSpec
  /** The testnet's link-faults file (src/shared/linkemu/faults.ts), watched by the link proxies; needs `link`. */
  linkFaultsPath?: string
  /** Testnet attestation dir: this node runs a (simulated) enclave. Unset = a node without an enclave. */
  attestationDir?: string
  /** tee mode: the attestation dir whose policy.json judges peers' quotes and plans (every node of a tee testnet). */
  teePolicyDir?: string
  /** tee mode: epoch length, ms (a new plan per epoch). */
  teeEpochMs?: number
  /** JSON-RPC namespaces, limits, gas cap, EVM timeout (src/rpc/settings.ts); unset fields take geth's defaults. */
  rpc?: Partial<RpcSettings>
  /** Address devp2p TCP and discovery UDP bind to; default `host`. */
  p2pListenAddr?: string
  /** Bench adversary: relay nothing it should forward (tee: tree/flood items; eth: tx and block relays); still serves requests. */
  adversaryOmit?: boolean
}
