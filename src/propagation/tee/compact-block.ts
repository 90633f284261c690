/**
 * Compact blocks for tee/1: RLP [header fields, short tx ids (8 bytes each, concatenated)]. A receiver rebuilds the
 * block from txs it already holds, asks the sender for the rest (GetBlockTxs by index), and checks the result
 * against the header's tx root before importing it (a short id collision costs one more round trip, not a bad block).
 */
import { RLP } from '@ethereumjs/rlp'
import type { Block, BlockHeaderBytes } from '@ethereumjs/block'
import { createBlockFromBytesArray } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { SHORT_ID_BYTES, MAX_IDS_PER_MESSAGE, MAX_HEADER_BYTES } from './constants.ts'
import { TeeError } from './errors.ts'
import { shortId } from './short-id.ts'

export interface CompactBlock {
  header: BlockHeaderBytes
  ids: Uint8Array[]
}

export function encodeCompactBlock(block: Block): Uint8Array {
  const ids = new Uint8Array(block.transactions.length * SHORT_ID_BYTES)
  block.transactions.forEach((tx, i) => ids.set(shortId(tx.hash()), i * SHORT_ID_BYTES))
  return RLP.encode([block.header.raw(), ids])
}

/**
 * Header fields a compact block may carry: a Prague header has 21; room for later forks. With the outer list, the
 * header list and the ids, the most RLP items a compact block decodes to: a block item of 1 MiB holding a list of
 * 1M empty strings was decoded in full before its shape was checked (found by the fuzz, testnets/adversary/tee-fuzz.ts).
 */
const MAX_HEADER_FIELDS = 64
const MAX_COMPACT_BLOCK_ITEMS = 3 + MAX_HEADER_FIELDS
/** A legacy tx is a list of 9 fields. */
const MAX_LEGACY_TX_ITEMS = 16

/**
 * Decoded blocks, per payload array (payloads are never written after they are made): in the simulator every node
 * gets the same payload object, and decoding it again at each node was a short-id string per tx per node. The
 * result is shared, so it is frozen.
 */
const decoded = new WeakMap<Uint8Array, CompactBlock>()

export function decodeCompactBlock(payload: Uint8Array): CompactBlock {
  let cb = decoded.get(payload)
  if (cb === undefined) {
    cb = decodeFresh(payload)
    Object.freeze(cb.ids)
    decoded.set(payload, Object.freeze(cb))
  }
  return cb
}

function decodeFresh(payload: Uint8Array): CompactBlock {
  let raw: unknown
  try {
    raw = RLP.decode(payload, false, { maxItems: MAX_COMPACT_BLOCK_ITEMS })
  } catch (e) {
    throw new TeeError('MALFORMED_MESSAGE', `compact block: not RLP: ${(e as Error).message}`)
  }
  if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[0]) || !(raw[1] instanceof Uint8Array)) throw new TeeError('MALFORMED_MESSAGE', 'compact block: expected [header, ids]')
  const header = raw[0] as unknown[]
  if (!header.every((f) => f instanceof Uint8Array)) throw new TeeError('MALFORMED_MESSAGE', 'compact block: header fields must be bytes')
  if (RLP.encode(header as Uint8Array[]).length > MAX_HEADER_BYTES) throw new TeeError('MALFORMED_MESSAGE', 'compact block: header too large')
  const ids = raw[1]
  if (ids.length % SHORT_ID_BYTES !== 0 || ids.length / SHORT_ID_BYTES > MAX_IDS_PER_MESSAGE) throw new TeeError('MALFORMED_MESSAGE', `compact block: ${ids.length} bytes of short ids`)
  const out: Uint8Array[] = []
  for (let i = 0; i < ids.length; i += SHORT_ID_BYTES) out.push(ids.slice(i, i + SHORT_ID_BYTES))
  return { header: header as BlockHeaderBytes, ids: out }
}

/**
 * A tx as it sits in a block body: typed txs as their bytes, legacy txs as their RLP list of fields. The txs come
 * from peers (BlockTxs) unchecked: a 128 KiB "legacy tx" holding 128k empty strings was decoded in full (a 10 MiB
 * BlockTxs of them: 10M items), so the decode is capped and the shape checked.
 */
function bodyTx(serialized: Uint8Array, i: number): Uint8Array | Uint8Array[] {
  if (serialized.length === 0 || serialized[0]! < 0xc0) return serialized
  let fields: unknown
  try {
    fields = RLP.decode(serialized, false, { maxItems: MAX_LEGACY_TX_ITEMS })
  } catch (e) {
    throw new TeeError('MALFORMED_MESSAGE', `compact block tx ${i}: not a legacy tx: ${(e as Error).message}`)
  }
  if (!Array.isArray(fields) || !fields.every((f) => f instanceof Uint8Array)) throw new TeeError('MALFORMED_MESSAGE', `compact block tx ${i}: a legacy tx is a list of byte strings`)
  return fields as Uint8Array[]
}

export function assembleBlock(cb: CompactBlock, txs: readonly Uint8Array[], common: Common): Block {
  if (txs.length !== cb.ids.length) throw new TeeError('INVARIANT_VIOLATED', `compact block: ${txs.length} txs for ${cb.ids.length} ids`)
  const body = txs.map(bodyTx)
  try {
    return createBlockFromBytesArray([cb.header, body as never, []], { common, setHardfork: true })
  } catch (e) {
    // The library's errors name no block or tx ("TypedTransaction with ID 37 unknown": a BlockTxs answer, found by the fuzz).
    throw new TeeError('MALFORMED_MESSAGE', `compact block with ${txs.length} txs does not assemble: ${(e as Error).message}`)
  }
}
