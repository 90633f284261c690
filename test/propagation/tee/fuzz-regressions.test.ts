/**
 * Regression tests for the defects the tee/1 fuzz found (testnets/adversary/tee-fuzz.ts; replay with
 * bench/fuzz/tee.ts). Each holds the found input, or builds it when it is large (the comment says its shape), and
 * fails without its fix:
 * - RLP bombs in the codec: every code decoded the whole payload before checking its shape (codec.ts MAX_ITEMS);
 * - report messages: the static item cap still let a 200 KB list of 1-byte strings build ~200k items (size-bound cap);
 * - compact blocks: a header list of ~16k fields was decoded before the shape check (compact-block.ts);
 * - assembleBlock: a 128 KiB "legacy tx" of empty strings from a BlockTxs was decoded in full, and a tx of unknown
 *   type failed with the library's bare error;
 * - plan bodies: the cycle check walked every node to the root, O(n^2) on a chain (plan.ts assertAcyclic);
 * - plan bodies: interior-bitmap bits past the last node were ignored (a second encoding of one plan);
 * - report bodies: a flag byte other than 0 or 1 decoded as false (255 encodings of one report).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Common, Mainnet } from '@ethereumjs/common'
import { createBlock } from '@ethereumjs/block'
import { decodeTeeMessage, TEE_CODES } from '../../../src/propagation/tee/codec.ts'
import { isTeeError } from '../../../src/propagation/tee/errors.ts'
import { decodePlanBody, encodePlanBody, ROOT, validatePlanBody } from '../../../src/propagation/tee/plan.ts'
import type { PlanBody } from '../../../src/propagation/tee/messages.ts'
import { decodeReportBody } from '../../../src/propagation/tee/report.ts'
import { assembleBlock, decodeCompactBlock, encodeCompactBlock } from '../../../src/propagation/tee/compact-block.ts'
import { PLAN_VERSION } from '../../../src/propagation/tee/constants.ts'

/** RLP list prefix for `n` bytes of content (long form, 3 length bytes: every list here is 64 KiB..16 MiB). */
const list3 = (n: number): number[] => [0xfa, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
/** [[`unit` x count], ...rest]: a list bomb in first position, as the fuzz built it (prefix 0xfa030d.. fa030d40). */
function bomb(unit: number[], count: number, rest: number[] = []): Uint8Array {
  const inner = new Uint8Array(4 + unit.length * count)
  inner.set(list3(unit.length * count))
  for (let i = 0; i < count; i++) inner.set(unit, 4 + i * unit.length)
  const out = new Uint8Array(4 + inner.length + rest.length)
  out.set(list3(inner.length + rest.length))
  out.set(inner, 4)
  out.set(rest, 4 + inner.length)
  return out
}
const refusedByItemCap = (e: unknown): boolean => isTeeError(e, 'MALFORMED_MESSAGE') && /more than \d+ items/.test(e.message)

test('fuzz regression: a list bomb (200,000 empty strings) is refused by the item cap, for every tee/1 code, before the list is built', () => {
  // Found for GetBlockTxs: seed 1, input of 200,039 bytes starting fa030d63 fa030d40 80 80 80 ... (took 1.1 s).
  const input = bomb([0x80], 200_000, [0xa0, ...new Array<number>(32).fill(7)])
  for (const code of Object.values(TEE_CODES)) assert.throws(() => decodeTeeMessage(code, input), refusedByItemCap, `code 0x${code.toString(16)}`)
})

test('fuzz regression: a report message of 1-byte strings gets an item cap from its size, far below the 65533-row cap', () => {
  // Found after the static caps: 200,008 bytes starting fa030d44 fa030d40 01 01 01 ... (still ~200 ms).
  const input = bomb([0x01], 200_000)
  assert.throws(() => decodeTeeMessage(TEE_CODES.report, input), (e: unknown) => {
    const cap = Number(/more than (\d+) items/.exec((e as Error).message)?.[1])
    return refusedByItemCap(e) && cap <= 1 + 3 * Math.ceil(input.length / 144)
  })
})

const common = new Common({ chain: Mainnet })

test('fuzz regression: a compact block whose header is a list of 16,384 fields is refused by the item cap', () => {
  // Found: 49,167 bytes starting f9c00c f9c000 8203e9 8203e9 ... (took 200 ms: decoded in full, then measured).
  const fields = new Uint8Array(3 + 3 * 16_384)
  fields.set([0xf9, 0xc0, 0x00])
  for (let i = 0; i < 16_384; i++) fields.set([0x82, 0x03, 0xe9], 3 + 3 * i)
  const input = new Uint8Array([0xf9, 0xc0, 0x0c, ...fields, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80])
  assert.throws(() => decodeCompactBlock(input), refusedByItemCap)
})

test('fuzz regression: assembleBlock refuses a 128 KiB "legacy tx" of empty strings (from a BlockTxs) with a TeeError, without decoding it', () => {
  // Found in the rebuild state machine: a BlockTxs answer holding fa01fffc 80 80 80 ... (131,072 bytes).
  const block = createBlock({ header: { number: 1, gasLimit: 8_000_000, timestamp: 1_000 } }, { common, setHardfork: true })
  const cb = { ...decodeCompactBlock(encodeCompactBlock(block)), ids: [new Uint8Array(8)] }
  const tx = new Uint8Array(131_072).fill(0x80)
  tx.set(list3(131_068))
  assert.throws(() => assembleBlock(cb, [tx], common), refusedByItemCap)
})

/** A plan of `n` nodes whose `trees` trees are chains (node i under node i - 1): the deepest trees there are. */
function chainPlan(n: number, trees: number): PlanBody {
  const nodes = Array.from({ length: n }, (_, i) => i.toString(16).padStart(128, '0'))
  const chain = Int32Array.from({ length: n }, (_, i) => (i === 0 ? ROOT : i - 1))
  return { version: PLAN_VERSION, epoch: 1, coordinator: nodes[0]!, nodes, interior: nodes.map(() => true), parents: Array.from({ length: trees }, () => chain) }
}

test('fuzz regression: checking a plan reads each parent a bounded number of times (the walk to the root was O(n^2) on a chain)', () => {
  // Found: a 1,700-node chain plan of 111,150 bytes took 200 ms to decode; a 65,533-node one with 64 trees, minutes.
  const n = 2_000
  const body = chainPlan(n, 1)
  let reads = 0
  const counted = new Proxy(body.parents[0]!, {
    get(t, k) {
      if (typeof k === 'string' && /^\d+$/.test(k)) reads++
      return Reflect.get(t, k)
    },
  })
  validatePlanBody({ ...body, parents: [counted] })
  assert.ok(reads <= 8 * n, `${reads} parent reads for ${n} nodes (the quadratic walk: ~${(n * n) / 2})`)
  assert.equal(decodePlanBody(encodePlanBody(chainPlan(1_700, 4))).nodes.length, 1_700)
  // A cycle is still found.
  const cyclic = { ...body, parents: [Int32Array.from(body.parents[0]!, (p, i) => (i === 0 ? n - 1 : p))] }
  assert.throws(() => validatePlanBody(cyclic), (e: unknown) => isTeeError(e, 'INVALID_PLAN') && /cycle/.test(e.message))
})

test('fuzz regression: assembleBlock refuses a tx of unknown type (from a BlockTxs) with a TeeError with context, not the bare library error', () => {
  // Found in the rebuild state machine (bench seed 2): a BlockTxs answer holding the 4 bytes 25533df0 (type 0x25).
  const block = createBlock({ header: { number: 1, gasLimit: 8_000_000, timestamp: 1_000 } }, { common, setHardfork: true })
  const cb = { ...decodeCompactBlock(encodeCompactBlock(block)), ids: [new Uint8Array(8)] }
  assert.throws(() => assembleBlock(cb, [Uint8Array.from([0x25, 0x53, 0x3d, 0xf0])], common), (e: unknown) => isTeeError(e, 'MALFORMED_MESSAGE') && /does not assemble/.test(e.message))
})

test('fuzz regression: a plan body with an interior-bitmap bit past its last node is refused (the found input: 7 nodes, bitmap 0x88)', () => {
  // Plan version 2 (exclusions): the found v1 input with its version byte set to 2 and an empty exclusion list appended.
  const found = Buffer.from(
  '02000001ab0000000032549098477139233c22caa11aad589acb7d7bcc0128e9972ba131a44673e4f1565ac5c7f6b803c68bf535d24770ec' +
  '11e746e3f057d457ee445a07430007010000000032549098477139233c22caa11aad589acb7d7bcc0128e9972ba131a44673e4f1565ac5c7' +
  'f6b803c68bf535d24770ec11e746e3f057d457ee445a074300000004446daf67cf270aa35aeae41a1a9826810b0fbe1967fda9d5ad90af19' +
  'dbea3a363865e5aed55bd747770f61c111a5caa1d64de85a7891e416a378d805000000082ece240687c680226d3f3766e527accd37a13706' +
  'c5943958aee47d6a881642b01a82afb71e329c13588017fe37879769f5fe2cb90fa2596dfcafd7df0000000c965dbec8d6edfbe39092d0ee' +
  '7af909cb3eb1e59628a346f2c3dcb893e49f1a759a4135b24bd1a3ecb41aa7f92888362114e54d925568f35159414bf600000010b2b77810' +
  'f3fb9dfe22605af013eefc82ff7e7bd674e6442d5573c742522c130d71000d14e642313198a2ea90fc6a5dcf17daedb91e965d45b3a33c8c' +
  '000000149c61ccfae5966613983acd5a263cddefcb6a3868a550303f9602d1d33acd1c4b93f2c9652885b08e30306ba8af7151424c70d232' +
  '0ea18a80a736bc25000000182a317bd9344115c6951ccc9a223f77884e8a538b453a4717c1a6e0dcd67b01f2cad0af82200fbcb12777a9cf' +
  'd213ec4a979ba4a59449f61cee190ebb88000300030003ffff000300030003' + '0000',
    'hex',
  )
  assert.throws(() => decodePlanBody(found), (e: unknown) => isTeeError(e, 'INVALID_PLAN') && /bitmap/.test(e.message))
  found[72 + 64 * 7] = 0x08
  assert.equal(decodePlanBody(found).interior.filter(Boolean).length, 1, 'the same body with bit 7 clear decodes')
})

test('fuzz regression: a report body whose link flag is 187 is refused (the found input; it decoded as false)', () => {
  const found = Buffer.from(
  '8befceb3e175e1030405060708090a0b0c990e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233' +
  '3435363738393a3b3c3d3e3f30680100023ee302030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324b126' +
  '2728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f2d3d00503e9ffee182060708090a0b0c0d0e0f101112131415161718191a1b' +
  '1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fccf3bb0002ad845f1ecd0f660708090a0b0c0d0e' +
  '0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f31ab77a76f0cd9' +
  'b749ec147551055d0708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233343536' +
  '3738393a3b3c3d3e3fa41e66ed4410c473',
    'hex',
  )
  assert.throws(() => decodeReportBody(found), (e: unknown) => isTeeError(e, 'MALFORMED_MESSAGE') && /link attested is 187/.test(e.message))
})
