/**
 * An item's id from its payload. tee/1 does not send ids that the payload determines (32 bytes per item, a quarter
 * of a transfer): the receiver recomputes them here, once, at decode.
 * - tx: keccak256 of the EIP-2718 / legacy tx bytes (the tx hash).
 * - block: keccak256 of the RLP header inside the compact block (the block hash).
 * A payload that cannot give an id (a block item that is not a compact block) fails with TeeError('MALFORMED_MESSAGE').
 */
import { RLP } from '@ethereumjs/rlp'
import { keccak256 } from '../../shared/keccak.ts'
import { decodeCompactBlock } from './compact-block.ts'
import type { ItemKind } from './messages.ts'

/** Computes the id of an item of `kind` from its payload (the simulator injects its own). */
export type ItemIdOf = (kind: ItemKind, payload: Uint8Array) => Uint8Array

/**
 * A tx payload's keccak, computed once per payload object: the id at decode, and the relay's check of that id just
 * after (item-verifier.ts), hash the same bytes, and a 120 KB tx costs ~0.6 ms per keccak. Payloads are never
 * written to once decoded; a payload object not hashed here (an item built in a test) is hashed afresh.
 */
const txPayloadHashes = new WeakMap<Uint8Array, Uint8Array>()

export function txPayloadKeccak(payload: Uint8Array): Uint8Array {
  let h = txPayloadHashes.get(payload)
  if (h === undefined) {
    h = keccak256(payload)
    txPayloadHashes.set(payload, h)
  }
  return h
}

export const ethItemId: ItemIdOf = (kind, payload) => (kind === 'tx' ? txPayloadKeccak(payload) : keccak256(RLP.encode(decodeCompactBlock(payload).header)))
