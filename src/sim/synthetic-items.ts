/**
 * The simulator's items: no real txs, only their size. A synthetic payload carries its 32-byte id in front (the rest
 * is zeros up to the item's size), so the relay's check before forward (interface.ts ItemVerifier) runs in the
 * simulator as in a node: a payload that does not start with its id is refused.
 */
import type { ItemVerifier } from '../propagation/tee/interface.ts'

export function syntheticPayload(id: Uint8Array, bytes: number): Uint8Array {
  const p = new Uint8Array(Math.max(bytes, id.length))
  p.set(id)
  return p
}

export const syntheticItemVerifier: ItemVerifier = {
  check: (kind, id, payload) =>
    payload.length >= id.length && Buffer.compare(payload.subarray(0, id.length), id) === 0 ? { ok: true } : { ok: false, reason: `synthetic ${kind} does not carry its id` },
}
