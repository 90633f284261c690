/**
 * The relay's check before store and forward, for Ethereum items (the node injects it; the simulator injects its
 * own for synthetic items). Pure and synchronous: no pool, no chain state, no clock.
 * - tx: the payload decodes as an EIP-2718 / legacy tx, and its hash (keccak of the serialized tx) is the id.
 * - block: the payload decodes as a compact block, its header passes the client's own format checks (field sizes,
 *   gasUsed <= gasLimit, the consensus's extraData layout), and the header's hash is the id. Whether the short ids
 *   name the right txs shows only after the rebuild (tx root check, compact-block repair).
 */
import { createTxFromRLP } from '@ethereumjs/tx'
import { createBlockHeaderFromBytesArray } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { decodeCompactBlock } from './compact-block.ts'
import type { ItemCheck, ItemVerifier } from './interface.ts'

const short = (id: Uint8Array): string => bytesToHex(id).slice(0, 10)

export function ethItemVerifier(common: Common): ItemVerifier {
  return {
    check(kind, id, payload): ItemCheck {
      try {
        if (kind === 'tx') {
          const tx = createTxFromRLP(payload, { common })
          return equalsBytes(tx.hash(), id) ? { ok: true } : { ok: false, reason: `tx id ${short(id)} does not match its payload (${short(tx.hash())})` }
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
