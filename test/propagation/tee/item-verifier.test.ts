/**
 * The relay's check of Ethereum tx items hashes each payload once: the keccak of decode time (the item's id) is the
 * one the check compares, and the tx it decoded goes to the node with its hash set, so neither the delivery nor the
 * pool hashes or decodes the payload again. A forged id or a payload that is not the tx's own encoding is refused.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Common, Mainnet } from '@ethereumjs/common'
import { createFeeMarket1559Tx, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, concatBytes } from '@ethereumjs/util'
import { ethItemVerifier } from '../../../src/propagation/tee/item-verifier.ts'
import { ethItemId, txPayloadKeccak } from '../../../src/propagation/tee/item-id.ts'
import { keccak256 } from '../../../src/shared/keccak.ts'

const common = new Common({ chain: Mainnet, hardfork: 'cancun' })
const key = new Uint8Array(32).fill(7)
const tx = (data: Uint8Array) => createFeeMarket1559Tx({ nonce: 0, maxFeePerGas: 10, maxPriorityFeePerGas: 1, gasLimit: 10_000_000, to: `0x${'22'.repeat(20)}`, data, chainId: 1 }, { common }).sign(key)

test('a tx item is hashed once: the check reuses the id\'s keccak and hands over the tx with its hash set', () => {
  const payload = tx(new Uint8Array(120_000).fill(1)).serialize()
  const id = ethItemId('tx', payload)
  assert.equal(txPayloadKeccak(payload), id, 'the same payload object: the keccak of decode time, not a new one')
  assert.deepEqual(id, keccak256(payload))
  const c = ethItemVerifier(common).check('tx', id, payload)
  assert.ok(c.ok, 'the genuine item passes')
  const decoded = c.decoded as TypedTransaction
  assert.equal(decoded.hash(), id, 'the tx answers hash() with the id itself: no second keccak')
  assert.equal(bytesToHex(decoded.serialize()), bytesToHex(payload))
  assert.equal(decoded.getSenderAddress().toString(), tx(new Uint8Array(0)).getSenderAddress().toString(), 'a real tx: the sender recovers')
})

test('a tx item under another tx\'s id, or bytes that are not a tx, are refused with the reason', () => {
  const v = ethItemVerifier(common)
  const real = tx(new Uint8Array([1]))
  const other = tx(new Uint8Array([2])).serialize()
  const forged = v.check('tx', real.hash(), other)
  assert.equal(forged.ok, false)
  assert.match(forged.ok ? '' : forged.reason, /does not match its payload/)
  const junk = v.check('tx', keccak256(new Uint8Array([0xc3, 0x80, 0x80, 0x80])), new Uint8Array([0xc3, 0x80, 0x80, 0x80]))
  assert.equal(junk.ok, false)
  assert.match(junk.ok ? '' : junk.reason, /undecodable tx/)
  // Trailing bytes after a whole tx: not the tx's own encoding, whatever the decoder makes of them.
  const padded = concatBytes(other, new Uint8Array([0]))
  assert.equal(v.check('tx', keccak256(padded), padded).ok, false)
})
