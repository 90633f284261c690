/**
 * Property-based fuzzing of the client's eth/68 decoders (its protocol table, `EthProtocol.protocolMessages`) with
 * fast-check: valid-shaped messages, random RLP trees and byte-level mutations of both go through the path a wire
 * message takes (RLP decode with devp2p's item cap, then the table's decode). Properties: every input returns or
 * throws an Error within the time bound; a request that decodes has the shape its handler relies on (32-byte hashes,
 * [hash, number] pairs, finite numbers). Used by test/p2p/eth68-fuzz.test.ts (a few thousand runs) and by
 * bench/fuzz/eth68.ts (1M seeded inputs).
 */
import fc from 'fast-check'
import type { Common } from '@ethereumjs/common'
import { RLP, type Input } from '@ethereumjs/rlp'
import { EthProtocol } from '@ethereumjs/client/dist/esm/src/net/protocol/ethprotocol.js'

/** devp2p patch 003's cap on the items of one eth message. */
const MAX_ETH_MESSAGE_ITEMS = 1 << 19

interface TableEntry {
  name: string
  code: number
  decode?: (payload: unknown) => unknown
}

export function eth68Table(common: Common): { protocol: EthProtocol; messages: TableEntry[] } {
  const config = { chainCommon: common, synchronized: true, syncTargetHeight: undefined }
  const chain = { headers: { latest: null } }
  const protocol = new EthProtocol({ config, chain } as never)
  return { protocol, messages: (protocol as unknown as { protocolMessages: TableEntry[] }).protocolMessages }
}

const bytes = (max = 40) => fc.uint8Array({ maxLength: max })
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 })
const num = fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }).map((n) => (n === 0n ? new Uint8Array() : Uint8Array.from(Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'), 'hex'))))
const tree: fc.Arbitrary<Input> = fc.letrec<{ node: Input }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, bytes(), fc.array(tie('node'), { maxLength: 6 })),
})).node

/** Messages in (roughly) the shape each code expects, so the decoders get past their first checks. */
const shaped: Record<number, fc.Arbitrary<Input>> = {
  0x01: fc.array(fc.tuple(hash, num), { maxLength: 8 }),
  0x02: fc.array(fc.oneof(bytes(120), fc.array(bytes(33), { maxLength: 10 })), { maxLength: 4 }),
  0x03: fc.tuple(num, fc.tuple(fc.oneof(hash, num), num, num, num)),
  0x04: fc.tuple(num, fc.array(fc.array(bytes(40), { maxLength: 17 }), { maxLength: 3 })),
  0x05: fc.tuple(num, fc.array(hash, { maxLength: 8 })),
  0x06: fc.tuple(num, fc.array(fc.tuple(fc.array(tree, { maxLength: 3 }), fc.array(tree, { maxLength: 2 })), { maxLength: 3 })),
  0x07: fc.tuple(fc.tuple(fc.array(bytes(40), { maxLength: 16 }), fc.array(tree, { maxLength: 3 }), fc.array(tree, { maxLength: 2 })), num),
  0x08: fc.tuple(bytes(8), fc.array(num, { maxLength: 8 }), fc.array(hash, { maxLength: 8 })),
  0x09: fc.tuple(num, fc.array(hash, { maxLength: 8 })),
  0x0a: fc.tuple(num, fc.array(fc.oneof(bytes(120), fc.array(bytes(33), { maxLength: 10 })), { maxLength: 4 })),
}

/** Byte-level mutation: flip bytes, cut, or splice random bytes in. */
const mutated = (b: Uint8Array) =>
  fc.oneof(
    fc.constant(b),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const c = Uint8Array.from(b)
      for (const [i, v] of flips) if (c.length > 0) c[i % c.length] = v
      return c
    }),
    fc.nat().map((n) => b.subarray(0, b.length === 0 ? 0 : n % b.length)),
    bytes(16).map((junk) => Uint8Array.from([...b.subarray(0, b.length >> 1), ...junk, ...b.subarray(b.length >> 1)])),
  )

export const wireInput = (code: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(shaped[code] ?? tree, tree).map((v) => RLP.encode(v)).chain(mutated)

function checkShape(name: string, out: unknown): void {
  const isHash = (h: unknown) => h instanceof Uint8Array && h.length === 32
  const fail = (what: string) => {
    throw new Error(`${name} decoded to a bad shape: ${what}`)
  }
  const o = out as Record<string, unknown> & unknown[]
  if (name === 'GetBlockBodies' || name === 'GetPooledTransactions') {
    if (typeof o.reqId !== 'bigint' || !Array.isArray(o.hashes) || !o.hashes.every(isHash)) fail('hashes')
  }
  if (name === 'NewBlockHashes' && !(Array.isArray(o) && o.every((p) => Array.isArray(p) && isHash(p[0]) && typeof p[1] === 'bigint'))) fail('pairs')
  if (name === 'GetBlockHeaders' && !(Number.isFinite(o.max) && Number.isFinite(o.skip) && (isHash(o.block) || typeof o.block === 'bigint'))) fail('fields')
}

/** One input through the wire path; throws only when a property fails. */
export function decodeOnce(messages: TableEntry[], code: number, wire: Uint8Array): void {
  const m = messages.find((x) => x.code === code)!
  let out: unknown
  try {
    const payload = RLP.decode(wire, false, { maxItems: MAX_ETH_MESSAGE_ITEMS })
    out = m.decode !== undefined ? m.decode(payload) : payload
  } catch (err) {
    if (!(err instanceof Error)) throw new Error(`${m.name} threw a non-Error: ${String(err)}`)
    return
  }
  checkShape(m.name, out)
}

export const FUZZED_CODES = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a]

export function fuzzProperty(messages: TableEntry[], code: number): fc.IPropertyWithHooks<[Uint8Array]> {
  return fc.property(wireInput(code), (wire) => decodeOnce(messages, code, wire))
}
