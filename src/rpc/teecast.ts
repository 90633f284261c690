/**
 * The `teecast_` JSON-RPC namespace: wire counters and first-seen times, read by `teecast testnet send`, the bench
 * and anyone comparing propagation modes. Bad params get JSON-RPC error -32602 with the reason.
 */
import type { InstalledPropagation } from '../p2p/install.ts'
import type { MessageCounter } from '../p2p/wire-stats.ts'
import type { NodeEnclave } from '../tee/node-enclave.ts'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'

export const INVALID_PARAMS = -32602
/** Upper bound on hashes per teecast_firstSeen call, so one request cannot pin the node. */
export const FIRST_SEEN_MAX_HASHES = 10_000

export interface RpcError {
  code: number
  message: string
}

export interface P2pStats {
  node: string
  /** devp2p node id (128 hex chars, no 0x): lets a launcher check that the node answering is the one it started. */
  nodeId: string
  propagation: string
  peers: number
  messages: Record<string, MessageCounter>
  duplicates: { tx: number; block: number }
  /** Distinct txs and blocks this node has held since start (competing blocks at one height count apart). */
  seen: { tx: number; block: number }
  uptimeMs: number
}

const HASH = /^0x[0-9a-fA-F]{64}$/

export interface TeeStatus {
  attested: boolean
  epoch: number | null
  coordinator: string | null
  planNodes: number
  /** Node ids that may relay (interior) in the current plan. */
  interior: string[]
  inPlan: boolean
  /** Trees in which this node has children. */
  relays: number
  teePeers: string[]
  counters: Record<string, number>
}

/** The tee/1 relay's view of its plan and its place in it; read by teecast_teeStatus and /metrics. */
export function teeStatus(tee: NonNullable<InstalledPropagation['tee']>, selfId: string): TeeStatus {
  const relay = tee.relay
  const plan = relay.currentPlan?.body
  const self = plan?.nodes.indexOf(selfId) ?? -1
  return {
    attested: relay.attested,
    epoch: plan?.epoch ?? null,
    coordinator: plan?.coordinator ?? null,
    planNodes: plan?.nodes.length ?? 0,
    interior: plan?.nodes.filter((_, i) => plan.interior[i]) ?? [],
    inPlan: self >= 0,
    relays: self >= 0 && plan !== undefined ? plan.parents.filter((tree) => tree.some((par) => par === self)).length : 0,
    teePeers: relay.peerIds(),
    counters: { ...relay.counters },
  }
}

/** JSON-RPC server error: the call is valid but this node cannot serve it. */
export const NOT_AVAILABLE = -32000

export function teecastMethods(p: InstalledPropagation, now: () => number = Date.now, enclave?: NodeEnclave) {
  return {
    /** A quote from this node's (simulated) enclave binding its node id and the caller's 32-byte challenge. */
    teecast_attest: async (params: unknown[] = []): Promise<{ nodeId: string; mrEnclave: string; quote: string }> => {
      const [challenge] = params
      if (params.length !== 1 || typeof challenge !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(challenge)) {
        throw { code: INVALID_PARAMS, message: 'teecast_attest takes one parameter: a 0x-prefixed 32-byte hex challenge' } satisfies RpcError
      }
      if (enclave === undefined) throw { code: NOT_AVAILABLE, message: `node ${p.name} has no enclave (testnet up --tee-fraction)` } satisfies RpcError
      const q = enclave.quote(hexToBytes(`0x${p.selfId}`), hexToBytes(challenge as `0x${string}`))
      return { nodeId: p.selfId, mrEnclave: bytesToHex(enclave.mrEnclave), quote: bytesToHex(q) }
    },
    /** The tee/1 relay's view: plan epoch and coordinator, this node's place in it, its tee/1 peers, counters. */
    teecast_teeStatus: async (params: unknown[] = []): Promise<TeeStatus> => {
      if (params.length > 0) throw { code: INVALID_PARAMS, message: 'teecast_teeStatus takes no parameters' } satisfies RpcError
      const tee = p.tee
      if (tee === undefined) throw { code: NOT_AVAILABLE, message: `node ${p.name} does not run tee propagation (--propagation tee)` } satisfies RpcError
      return teeStatus(tee, p.selfId)
    },
    /** This node's wall clock, ms since the epoch: the clock its first-seen times use (the bench measures offsets). */
    teecast_time: async (params: unknown[] = []): Promise<number> => {
      if (params.length > 0) throw { code: INVALID_PARAMS, message: 'teecast_time takes no parameters' } satisfies RpcError
      return now()
    },
    teecast_p2pStats: async (params: unknown[] = []): Promise<P2pStats> => {
      if (params.length > 0) throw { code: INVALID_PARAMS, message: 'teecast_p2pStats takes no parameters' } satisfies RpcError
      return {
        node: p.name,
        nodeId: p.selfId,
        propagation: p.mode,
        peers: p.peerCount(),
        messages: p.stats.messagesSnapshot(),
        duplicates: { ...p.stats.duplicates },
        seen: { ...p.stats.distinct },
        uptimeMs: now() - p.startedAt,
      }
    },
    teecast_firstSeen: async (params: unknown[] = []): Promise<Record<string, number | null>> => {
      const [hashes] = params
      if (params.length !== 1 || !Array.isArray(hashes)) {
        throw { code: INVALID_PARAMS, message: 'teecast_firstSeen takes one parameter: an array of 32-byte hex hashes' } satisfies RpcError
      }
      if (hashes.length > FIRST_SEEN_MAX_HASHES) {
        throw { code: INVALID_PARAMS, message: `at most ${FIRST_SEEN_MAX_HASHES} hashes per call, got ${hashes.length}` } satisfies RpcError
      }
      const out: Record<string, number | null> = {}
      hashes.forEach((h, i) => {
        if (typeof h !== 'string' || !HASH.test(h)) {
          throw { code: INVALID_PARAMS, message: `hash ${i} is not a 0x-prefixed 32-byte hex string: ${JSON.stringify(h)}` } satisfies RpcError
        }
        out[h] = p.stats.firstSeenAny(h)
      })
      return out
    },
  }
}
