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

export const ethItemId: ItemIdOf = (kind, payload) => (kind === 'tx' ? keccak256(payload) : keccak256(RLP.encode(decodeCompactBlock(payload).header)))
