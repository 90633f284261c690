/**
 * The `teecast_` JSON-RPC namespace: wire counters and first-seen times, read by `teecast testnet send`, the bench
 * and anyone comparing propagation modes. Bad params get JSON-RPC error -32602 with the reason.
 */
import type { InstalledPropagation } from '../p2p/install.ts'
import type { MessageCounter } from '../p2p/wire-stats.ts'

export const INVALID_PARAMS = -32602
/** Upper bound on hashes per teecast_firstSeen call, so one request cannot pin the node. */
export const FIRST_SEEN_MAX_HASHES = 10_000

export interface RpcError {
  code: number
  message: string
}

export interface P2pStats {
  node: string
  propagation: string
  peers: number
  messages: Record<string, MessageCounter>
  duplicates: { tx: number; block: number }
  uptimeMs: number
}

const HASH = /^0x[0-9a-fA-F]{64}$/

export function teecastMethods(p: InstalledPropagation, now: () => number = Date.now) {
  return {
    teecast_p2pStats: async (params: unknown[] = []): Promise<P2pStats> => {
      if (params.length > 0) throw { code: INVALID_PARAMS, message: 'teecast_p2pStats takes no parameters' } satisfies RpcError
      return {
        node: p.name,
        propagation: p.mode,
        peers: p.peerCount(),
        messages: p.stats.messagesSnapshot(),
        duplicates: { ...p.stats.duplicates },
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
