/**
 * The relay's check before store and forward, for Ethereum items (the node injects it; the simulator injects its
 * own for synthetic items). Pure and synchronous: no pool, no chain state, no clock.
 * - tx: the payload decodes as an EIP-2718 / legacy tx whose own encoding is the payload, byte for byte, and the
 *   payload hashes to the id (the keccak of decode time, item-id.ts, is reused: one keccak per tx). The tx goes back
 *   as `decoded`, its hash set to the id, so the node hands the pool this object: no second decode or hash.
 * - block: the payload decodes as a compact block, its header passes the client's own format checks (field sizes,
 *   gasUsed <= gasLimit, the consensus's extraData layout), and the header's hash is the id. Whether the short ids
 *   name the right txs shows only after the rebuild (tx root check, compact-block repair).
 */
import { createTxFromRLP } from '@ethereumjs/tx'
import { createBlockHeaderFromBytesArray } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { decodeCompactBlock } from './compact-block.ts'
import { txPayloadKeccak } from './item-id.ts'
import type { ItemCheck, ItemVerifier } from './interface.ts'

const short = (id: Uint8Array): string => bytesToHex(id).slice(0, 10)

export function ethItemVerifier(common: Common): ItemVerifier {
  return {
    check(kind, id, payload): ItemCheck {
      try {
        if (kind === 'tx') {
          const tx = createTxFromRLP(payload, { common })
          // Buffer.compare is a memcmp; equalsBytes loops in JS (~1 ms on 120 KB).
          if (Buffer.compare(tx.serialize(), payload) !== 0) return { ok: false, reason: `tx ${short(id)}: its payload is not the tx's own encoding` }
          if (!equalsBytes(txPayloadKeccak(payload), id)) return { ok: false, reason: `tx id ${short(id)} does not match its payload` }
          // The tx is frozen (createTxFromRLP's default), so hash() answers from this cache from now on.
          tx.cache.hash = id
          return { ok: true, decoded: tx }
        }
        const cb = decodeCompactBlock(payload)
        const header = createBlockHeaderFromBytesArray(cb.header, { common, setHardfork: true })
        return equalsBytes(header.hash(), id) ? { ok: true } : { ok: false, reason: `block id ${short(id)} does not match its header (${short(header.hash())})` }
      } catch (e) {
        return { ok: false, reason: `undecodable ${kind} ${short(id)}: ${(e as Error).message}` }
      }
    },
  }
}
