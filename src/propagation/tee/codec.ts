/**
 * tee/1 wire codec: message code + RLP payload, both ways. Every decode is strict (exact shapes, integer ranges,
 * byte lengths, caps from constants.ts) and fails with TeeError('MALFORMED_MESSAGE' | 'MESSAGE_TOO_LARGE' |
 * 'UNKNOWN_MESSAGE_CODE'); the adapter disconnects the peer with that reason. Codes are offsets within tee/1.
 *
 *   0x00 status   [version, challenge(32), hasEnclave]
 *   0x01 attest   [quote]                       quote = b'' when the node has no enclave
 *   0x10 txItems  [epoch, [[mode, origin, payload], ...]]   tx items; no id: the receiver hashes the payload (item-id.ts)
 *   0x17 blockItems  same layout, block items (a separate code, so the kind is not sent and wire counters split them)
 *   0x11 digest   [ids]                         ids = concatenated 8-byte short ids
 *   0x12 pull     [ids]
 *   0x13 report   [[body, signature(64)], ...]  body: report.ts layout
 *   0x14 plan     [body, enclaveKey(65), signature(64), quote]   body: plan.ts layout
 *   0x15 getBlockTxs [blockHash(32), [index, ...]]
 *   0x16 blockTxs    [blockHash(32), [tx, ...]]
 *   0x18 planDelta   [baseHash(32), epoch, coordinator(64), removed, added, interiorFlips, [parents per tree],
 *                    enclaveKey(65), signature(64), quote, excluded]   removed / interiorFlips: u16s concatenated;
 *                    added: 64-byte ids concatenated; a tree's parents: (index u16, parent u16) pairs concatenated;
 *                    excluded: (node u16, until u32, strikes u8) concatenated (plan-delta.ts)
 *   0x19 getPlan     [epoch]                      ask a peer for its whole plan (a delta's base is missing)
 *   0x1a keepalive   []                           an idle link's sign of life (liveness.ts); 64 B framed
 *   0x1b graft       [epoch, tree, attach]        attach 1: hang under, 2: bridge a fragment to, 0: leave the receiver on a
 *                                                 tree (tree-repair.ts); 64 B framed
 *   0x1c beacon      [body, signature(64), dist]  before the first plan: the sender's bootstrap root as that root's
 *                                                 signed report (report.ts layout) and its hop distance to it
 *                                                 (bootstrap.ts; dist <= MAX_BEACON_DISTANCE)
 *   0x1d planOffer   [epoch, hash(32)]            the sender runs this plan (its body's SHA-256): pull it with getPlan
 *                                                 if no tree brings it (control-plane.ts); at most 48 B
 */
import { RLP } from '@ethereumjs/rlp'
import { MAX_BEACON_DISTANCE, MAX_IDS_PER_MESSAGE, MAX_PLAN_NODES, MAX_TREES, MAX_MESSAGE_BYTES, MAX_TX_BYTES, MAX_TXS_PER_MESSAGE, SHORT_ID_BYTES } from './constants.ts'
import { TeeError } from './errors.ts'
import type { Exclusion, ItemKind, ItemMode, TeeMessage, WireItem } from './messages.ts'
import { ethItemId, type ItemIdOf } from './item-id.ts'
import { decodePlanBody, NOT_IN_TREE, ROOT } from './plan.ts'
import type { PlanDiff } from './plan-delta.ts'
import { decodeReportBody } from './report.ts'

export const TEE_PROTOCOL_VERSION = 1

export type HelloMessage = { t: 'status'; version: number; challenge: Uint8Array; hasEnclave: boolean } | { t: 'attest'; quote: Uint8Array }

export type AnyTeeMessage = TeeMessage | HelloMessage

export const TEE_CODES = { status: 0x00, attest: 0x01, txItems: 0x10, blockItems: 0x17, digest: 0x11, pull: 0x12, report: 0x13, plan: 0x14, getBlockTxs: 0x15, blockTxs: 0x16, planDelta: 0x18, getPlan: 0x19, keepalive: 0x1a, graft: 0x1b, beacon: 0x1c, planOffer: 0x1d } as const
/** Message codes tee/1 occupies (devp2p's capability length). */
export const TEE_CODE_COUNT = 0x1e
/** Wire counter names: TxItems, BlockItems, Digest, ... */
export const TEE_MESSAGE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TEE_CODES).map(([k, v]) => [v, k[0]!.toUpperCase() + k.slice(1)]))

const MODES: ItemMode[] = ['tree', 'flood', 'entry', 'repair']

/** Canonical RLP integer bytes: big-endian, no leading zeros, 0 as the empty string. */
function int(n: number): Uint8Array {
  if (n === 0) return new Uint8Array()
  let hex = n.toString(16)
  if (hex.length % 2 === 1) hex = `0${hex}`
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
const concat = (ids: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(ids.length * SHORT_ID_BYTES)
  ids.forEach((id, i) => out.set(id, i * SHORT_ID_BYTES))
  return out
}

export function encodeTeeMessage(m: AnyTeeMessage): { code: number; payload: Uint8Array } {
  switch (m.t) {
    case 'status':
      return { code: TEE_CODES.status, payload: RLP.encode([int(m.version), m.challenge, int(m.hasEnclave ? 1 : 0)]) }
    case 'attest':
      return { code: TEE_CODES.attest, payload: RLP.encode([m.quote]) }
    case 'items': {
      const kind = m.items[0]?.kind
      if (kind === undefined || m.items.some((i) => i.kind !== kind)) throw new TeeError('INVARIANT_VIOLATED', 'an items message must hold items of one kind')
      return { code: kind === 'tx' ? TEE_CODES.txItems : TEE_CODES.blockItems, payload: RLP.encode([int(m.epoch), m.items.map((i) => [int(MODES.indexOf(i.mode)), int(i.origin), i.payload])]) }
    }
    case 'digest':
      return { code: TEE_CODES.digest, payload: RLP.encode([concat(m.ids)]) }
    case 'pull':
      return { code: TEE_CODES.pull, payload: RLP.encode([concat(m.ids)]) }
    case 'report':
      return { code: TEE_CODES.report, payload: RLP.encode(m.reports.map((r) => [r.bodyBytes, r.signature])) }
    case 'plan':
      return { code: TEE_CODES.plan, payload: RLP.encode([m.plan.bodyBytes, m.plan.enclaveKey, m.plan.signature, m.plan.quote]) }
    case 'getBlockTxs':
      return { code: TEE_CODES.getBlockTxs, payload: RLP.encode([m.block, m.indexes.map(int)]) }
    case 'blockTxs':
      return { code: TEE_CODES.blockTxs, payload: RLP.encode([m.block, m.txs]) }
    case 'planDelta': {
      const d = m.delta.diff
      const pairs = (xs: [number, number][]) => u16s(xs.flatMap(([i, p]) => [i, p === ROOT ? WIRE_ROOT : p === NOT_IN_TREE ? WIRE_NOT_IN_TREE : p]))
      const added = new Uint8Array(d.added.length * 64)
      d.added.forEach((id, i) => added.set(Buffer.from(id, 'hex'), i * 64))
      return {
        code: TEE_CODES.planDelta,
        payload: RLP.encode([m.delta.baseHash, int(d.epoch), Buffer.from(d.coordinator, 'hex'), u16s(d.removed), added, u16s(d.interiorFlips), d.parents.map(pairs), m.delta.enclaveKey, m.delta.signature, m.delta.quote, exclusionBytes(d.excluded ?? [])]),
      }
    }
    case 'getPlan':
      return { code: TEE_CODES.getPlan, payload: RLP.encode([int(m.epoch)]) }
    case 'keepalive':
      return { code: TEE_CODES.keepalive, payload: RLP.encode([]) }
    case 'planOffer':
      return { code: TEE_CODES.planOffer, payload: RLP.encode([int(m.epoch), m.hash]) }
    case 'graft':
      return { code: TEE_CODES.graft, payload: RLP.encode([int(m.epoch), int(m.tree), int(m.attach ? (m.bridge === true ? 2 : 1) : 0)]) }
    case 'beacon':
      return { code: TEE_CODES.beacon, payload: RLP.encode([m.report.bodyBytes, m.report.signature, int(m.dist)]) }
  }
}

const WIRE_ROOT = 0xffff
const WIRE_NOT_IN_TREE = 0xfffe

function u16s(xs: number[]): Uint8Array {
  const out = Buffer.alloc(xs.length * 2)
  xs.forEach((x, i) => out.writeUInt16BE(x, i * 2))
  return new Uint8Array(out)
}

function readU16s(b: Uint8Array, what: string): number[] {
  if (b.length % 2 !== 0 || b.length / 2 > MAX_PLAN_NODES) return bad(`${what}: ${b.length} bytes is not a list of at most ${MAX_PLAN_NODES} u16s`)
  const out: number[] = []
  for (let i = 0; i < b.length; i += 2) out.push((b[i]! << 8) | b[i + 1]!)
  return out
}

/** Exclusions as (node u16 | until u32 | strikes u8) concatenated; the plan body check validates them. */
function exclusionBytes(xs: readonly Exclusion[]): Uint8Array {
  const out = Buffer.alloc(xs.length * 7)
  xs.forEach((x, i) => {
    out.writeUInt16BE(x.node, i * 7)
    out.writeUInt32BE(x.until, i * 7 + 2)
    out.writeUInt8(x.strikes, i * 7 + 6)
  })
  return new Uint8Array(out)
}

function readExclusions(b: Uint8Array): Exclusion[] {
  if (b.length % 7 !== 0 || b.length / 7 > MAX_PLAN_NODES) return bad(`planDelta.excluded: ${b.length} bytes is not a list of 7-byte exclusions`)
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  const out: Exclusion[] = []
  for (let i = 0; i < b.length; i += 7) out.push({ node: buf.readUInt16BE(i), until: buf.readUInt32BE(i + 2), strikes: buf.readUInt8(i + 6) })
  return out
}

function planDiffOf(fields: unknown[]): PlanDiff {
  const [, e, c, rm, ad, fl, ps, , , , ex] = fields
  const excluded = readExclusions(bytes(ex, 'planDelta.excluded'))
  const added = bytes(ad, 'planDelta.added')
  if (added.length % 64 !== 0 || added.length / 64 > MAX_PLAN_NODES) return bad(`planDelta.added: ${added.length} bytes is not a list of 64-byte ids`)
  const ids: string[] = []
  for (let i = 0; i < added.length; i += 64) ids.push(Buffer.from(added.subarray(i, i + 64)).toString('hex'))
  const trees = list(ps, 'planDelta.parents')
  if (trees.length < 1 || trees.length > MAX_TREES) return bad(`planDelta: ${trees.length} trees (1..${MAX_TREES})`)
  const parents = trees.map((t, k) => {
    const xs = readU16s(bytes(t, `planDelta.parents[${k}]`), `planDelta.parents[${k}]`)
    if (xs.length % 2 !== 0) return bad(`planDelta.parents[${k}]: an odd number of u16s`)
    const out: [number, number][] = []
    for (let i = 0; i < xs.length; i += 2) out.push([xs[i]!, xs[i + 1] === WIRE_ROOT ? ROOT : xs[i + 1] === WIRE_NOT_IN_TREE ? NOT_IN_TREE : xs[i + 1]!])
    return out
  })
  return {
    epoch: uint(e, 'planDelta.epoch', 0xffffffff),
    coordinator: Buffer.from(bytes(c, 'planDelta.coordinator', 64)).toString('hex'),
    removed: readU16s(bytes(rm, 'planDelta.removed'), 'planDelta.removed'),
    added: ids,
    interiorFlips: readU16s(bytes(fl, 'planDelta.interiorFlips'), 'planDelta.interiorFlips'),
    parents,
    ...(excluded.length > 0 ? { excluded } : {}),
  }
}

const bad = (what: string): never => {
  throw new TeeError('MALFORMED_MESSAGE', what)
}

function list(v: unknown, what: string, length?: number): unknown[] {
  if (!Array.isArray(v)) return bad(`${what}: expected a list`)
  if (length !== undefined && v.length !== length) return bad(`${what}: expected ${length} fields, got ${v.length}`)
  return v
}

function bytes(v: unknown, what: string, length?: number, max = MAX_MESSAGE_BYTES): Uint8Array {
  if (!(v instanceof Uint8Array)) return bad(`${what}: expected bytes`)
  if (length !== undefined && v.length !== length) return bad(`${what}: expected ${length} bytes, got ${v.length}`)
  if (v.length > max) return bad(`${what}: ${v.length} bytes exceed ${max}`)
  return v
}

function uint(v: unknown, what: string, max: number): number {
  const b = bytes(v, what, undefined, 6)
  if (b.length > 0 && b[0] === 0) return bad(`${what}: non-canonical integer (leading zero)`)
  let n = 0
  for (const x of b) n = n * 256 + x
  if (n > max) return bad(`${what}: ${n} exceeds ${max}`)
  return n
}

function shortIds(v: unknown, what: string): Uint8Array[] {
  const b = bytes(v, what)
  if (b.length % SHORT_ID_BYTES !== 0) return bad(`${what}: ${b.length} bytes is not a whole number of ${SHORT_ID_BYTES}-byte ids`)
  const n = b.length / SHORT_ID_BYTES
  if (n > MAX_IDS_PER_MESSAGE) return bad(`${what}: ${n} ids exceed ${MAX_IDS_PER_MESSAGE}`)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) out.push(b.slice(i * SHORT_ID_BYTES, (i + 1) * SHORT_ID_BYTES))
  return out
}

/**
 * The most RLP items (every list and string, the outer list included) a message of each code may decode to, from
 * the caps above. The decoder stops at the cap, so a 10 MiB list of empty strings (10M items, ~1 GB of objects:
 * found by the fuzz, testnets/adversary/tee-fuzz.ts) is refused before it is built.
 */
const MAX_ITEMS: Record<number, number> = {
  [TEE_CODES.status]: 4,
  [TEE_CODES.attest]: 2,
  [TEE_CODES.txItems]: 3 + 4 * MAX_TXS_PER_MESSAGE,
  [TEE_CODES.blockItems]: 3 + 4 * MAX_TXS_PER_MESSAGE,
  [TEE_CODES.digest]: 2,
  [TEE_CODES.pull]: 2,
  [TEE_CODES.report]: 1 + 3 * MAX_PLAN_NODES,
  [TEE_CODES.plan]: 5,
  [TEE_CODES.getBlockTxs]: 3 + MAX_IDS_PER_MESSAGE,
  [TEE_CODES.blockTxs]: 3 + MAX_IDS_PER_MESSAGE,
  [TEE_CODES.planDelta]: 13 + MAX_TREES,
  [TEE_CODES.getPlan]: 2,
  [TEE_CODES.keepalive]: 1,
  [TEE_CODES.graft]: 4,
  [TEE_CODES.beacon]: 4,
  [TEE_CODES.planOffer]: 3,
}

/** Byte caps of the tiny control messages (an RLP list of three small integers is at most 16 bytes). */
const MAX_KEEPALIVE_BYTES = 1
const MAX_GRAFT_BYTES = 16
/** [epoch u32, 32 bytes]: 1 + 5 + 33. */
const MAX_PLAN_OFFER_BYTES = 48

/**
 * A report row [body, signature] is at least this many bytes of RLP (a body with no links or omission rows is 75
 * bytes): a report message of n bytes holds at most n / 144 rows. Its static cap (65533 rows, ~200k items) still
 * took ~150 ms to reach in a list of 1-byte strings (the fuzz's 50 ms bound).
 */
const MIN_REPORT_ROW_BYTES = 144

/** `idOf` recomputes item ids from their payloads (the wire does not carry them); the node's is ethItemId. */
export function decodeTeeMessage(code: number, payload: Uint8Array, idOf: ItemIdOf = ethItemId): AnyTeeMessage {
  if (payload.length > MAX_MESSAGE_BYTES) throw new TeeError('MESSAGE_TOO_LARGE', `tee/1 message of ${payload.length} bytes exceeds ${MAX_MESSAGE_BYTES}`)
  const cap = MAX_ITEMS[code]
  if (cap === undefined) throw new TeeError('UNKNOWN_MESSAGE_CODE', `tee/1 has no message code 0x${code.toString(16)}`)
  let raw: unknown
  try {
    raw = RLP.decode(payload, false, { maxItems: code === TEE_CODES.report ? Math.min(cap, 1 + 3 * Math.ceil(payload.length / MIN_REPORT_ROW_BYTES)) : cap })
  } catch (e) {
    return bad(`code 0x${code.toString(16)}: not RLP: ${(e as Error).message}`)
  }
  switch (code) {
    case TEE_CODES.status: {
      const [v, c, e] = list(raw, 'status', 3)
      return { t: 'status', version: uint(v, 'status.version', 0xffff), challenge: bytes(c, 'status.challenge', 32), hasEnclave: uint(e, 'status.hasEnclave', 1) === 1 }
    }
    case TEE_CODES.attest: {
      const [q] = list(raw, 'attest', 1)
      return { t: 'attest', quote: bytes(q, 'attest.quote', undefined, 64 * 1024) }
    }
    case TEE_CODES.txItems:
    case TEE_CODES.blockItems: {
      const want: ItemKind = code === TEE_CODES.txItems ? 'tx' : 'block'
      const [e, its] = list(raw, 'items', 2)
      const rows = list(its, 'items.list')
      if (rows.length === 0 || rows.length > MAX_TXS_PER_MESSAGE) return bad(`items: ${rows.length} items (1..${MAX_TXS_PER_MESSAGE})`)
      // Labels name the row only when a row fails: up to 4,096 rows of a few bytes each, built per row they were a
      // good part of the decode.
      const maxBody = want === 'tx' ? MAX_TX_BYTES : MAX_TX_BYTES * 8
      const items: WireItem[] = new Array(rows.length)
      for (let i = 0; i < rows.length; i++) {
        let row: [unknown, unknown, unknown]
        let mode: ItemMode, origin: number, body: Uint8Array
        try {
          row = list(rows[i], 'row', 3) as [unknown, unknown, unknown]
          mode = MODES[uint(row[0], 'mode', MODES.length - 1)]!
          origin = uint(row[1], 'origin', 0xffff)
          body = bytes(row[2], 'payload', undefined, maxBody)
        } catch (e) {
          return bad(`items[${i}]: ${(e as Error).message}`)
        }
        let id: Uint8Array
        try {
          id = idOf(want, body)
        } catch (e) {
          return bad(`items[${i}]: no ${want} id from the payload: ${(e as Error).message}`)
        }
        items[i] = { kind: want, id, mode, origin, payload: body }
      }
      return { t: 'items', epoch: uint(e, 'items.epoch', 0xffffffff), items }
    }
    case TEE_CODES.digest:
      return { t: 'digest', ids: shortIds(list(raw, 'digest', 1)[0], 'digest.ids') }
    case TEE_CODES.pull:
      return { t: 'pull', ids: shortIds(list(raw, 'pull', 1)[0], 'pull.ids') }
    case TEE_CODES.report: {
      const rows = list(raw, 'report')
      if (rows.length === 0 || rows.length > MAX_PLAN_NODES) return bad(`report: ${rows.length} reports`)
      return {
        t: 'report',
        reports: rows.map((row, i) => {
          const [b, s] = list(row, `report[${i}]`, 2)
          const body = bytes(b, `report[${i}].body`, undefined, 128 * 1024)
          return { report: decodeReportBody(body), bodyBytes: body, signature: bytes(s, `report[${i}].signature`, 64) }
        }),
      }
    }
    case TEE_CODES.plan: {
      const [b, k, s, q] = list(raw, 'plan', 4)
      const body = bytes(b, 'plan.body')
      return { t: 'plan', plan: { body: decodePlanBody(body), bodyBytes: body, enclaveKey: bytes(k, 'plan.enclaveKey', 65), signature: bytes(s, 'plan.signature', 64), quote: bytes(q, 'plan.quote', undefined, 64 * 1024) } }
    }
    case TEE_CODES.getBlockTxs: {
      const [h, idx] = list(raw, 'getBlockTxs', 2)
      const l = list(idx, 'getBlockTxs.indexes')
      if (l.length > MAX_IDS_PER_MESSAGE) return bad(`getBlockTxs: ${l.length} indexes`)
      const indexes = l.map((x, i) => uint(x, `getBlockTxs.indexes[${i}]`, 0xffff))
      return { t: 'getBlockTxs', block: bytes(h, 'getBlockTxs.block', 32), indexes }
    }
    case TEE_CODES.blockTxs: {
      const [h, txs] = list(raw, 'blockTxs', 2)
      const l = list(txs, 'blockTxs.txs')
      if (l.length > MAX_IDS_PER_MESSAGE) return bad(`blockTxs: ${l.length} txs`)
      return { t: 'blockTxs', block: bytes(h, 'blockTxs.block', 32), txs: l.map((x, i) => bytes(x, `blockTxs.txs[${i}]`, undefined, MAX_TX_BYTES)) }
    }
    case TEE_CODES.planDelta: {
      const f = list(raw, 'planDelta', 11)
      const diff = planDiffOf(f)
      return { t: 'planDelta', delta: { baseHash: bytes(f[0], 'planDelta.baseHash', 32), diff, enclaveKey: bytes(f[7], 'planDelta.enclaveKey', 65), signature: bytes(f[8], 'planDelta.signature', 64), quote: bytes(f[9], 'planDelta.quote', undefined, 64 * 1024) } }
    }
    case TEE_CODES.getPlan:
      return { t: 'getPlan', epoch: uint(list(raw, 'getPlan', 1)[0], 'getPlan.epoch', 0xffffffff) }
    case TEE_CODES.keepalive:
      if (payload.length > MAX_KEEPALIVE_BYTES) return bad(`keepalive: ${payload.length} bytes (an empty list is ${MAX_KEEPALIVE_BYTES})`)
      list(raw, 'keepalive', 0)
      return { t: 'keepalive' }
    case TEE_CODES.graft: {
      if (payload.length > MAX_GRAFT_BYTES) return bad(`graft: ${payload.length} bytes (at most ${MAX_GRAFT_BYTES})`)
      const [e, t, a] = list(raw, 'graft', 3)
      const how = uint(a, 'graft.attach', 2)
      return { t: 'graft', epoch: uint(e, 'graft.epoch', 0xffffffff), tree: uint(t, 'graft.tree', MAX_TREES - 1), attach: how >= 1, ...(how === 2 ? { bridge: true } : {}) }
    }
    case TEE_CODES.planOffer: {
      if (payload.length > MAX_PLAN_OFFER_BYTES) return bad(`planOffer: ${payload.length} bytes (at most ${MAX_PLAN_OFFER_BYTES})`)
      const [e, h] = list(raw, 'planOffer', 2)
      return { t: 'planOffer', epoch: uint(e, 'planOffer.epoch', 0xffffffff), hash: bytes(h, 'planOffer.hash', 32) }
    }
    case TEE_CODES.beacon: {
      const [b, sig, d] = list(raw, 'beacon', 3)
      const body = bytes(b, 'beacon.body', undefined, 128 * 1024)
      return { t: 'beacon', report: { report: decodeReportBody(body), bodyBytes: body, signature: bytes(sig, 'beacon.signature', 64) }, dist: uint(d, 'beacon.dist', MAX_BEACON_DISTANCE) }
    }
    default:
      throw new TeeError('UNKNOWN_MESSAGE_CODE', `tee/1 has no message code 0x${code.toString(16)}`)
  }
}
