/**
 * Property-based fuzzing of every tee/1 decoder with fast-check: the wire codec (one target per message code, plus
 * unknown codes), plan bodies (decode + PlanView), report bodies, plan deltas (wire decode, then applyPlanDiff
 * against a real base plan), compact blocks (decode, item id, the item verifier), the compact-block rebuild state
 * machine (compact-blocks.ts, then assembleBlock on what it hands out) and the hello's attestation quote. Inputs are
 * random bytes and mutations of valid encodings made with the real encoders (fuzz-mutations.ts).
 *
 * Properties, for every input: the decoder returns a value of the right shape, within the codec's caps, that
 * re-encodes to the same bytes; or it throws a TeeError (src/propagation/tee or src/tee) (never a TypeError,
 * RangeError or a bare library error); and one input takes at most `maxMs` of CPU time to decode (a slow input is
 * retried twice first, so a GC pause does not fail a run). Used by
 * test/propagation/tee-fuzz.test.ts (2,000 runs per target) and bench/fuzz/tee.ts (1M per target).
 */
import fc from 'fast-check'
import { RLP } from '@ethereumjs/rlp'
import { Common, Mainnet } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { createBlock } from '@ethereumjs/block'
import { decodeTeeMessage, encodeTeeMessage, TEE_CODES, TEE_MESSAGE_NAMES, type AnyTeeMessage } from '../../src/propagation/tee/codec.ts'
import { TeeError } from '../../src/propagation/tee/errors.ts'
import { TeeError as AttestationError } from '../../src/tee/errors.ts'
import { MAX_BEACON_DISTANCE, MAX_IDS_PER_MESSAGE, MAX_PLAN_NODES, MAX_REPORT_QUOTE_BYTES, MAX_TREES, MAX_TX_BYTES, MAX_TXS_PER_MESSAGE, SHORT_ID_BYTES } from '../../src/propagation/tee/constants.ts'
import { decodePlanBody, encodePlanBody, NOT_IN_TREE, PlanView, ROOT, validatePlanBody } from '../../src/propagation/tee/plan.ts'
import { decodeReportBody, encodeReportBody } from '../../src/propagation/tee/report.ts'
import { applyPlanDiff, diffPlans } from '../../src/propagation/tee/plan-delta.ts'
import { assembleBlock, decodeCompactBlock, encodeCompactBlock } from '../../src/propagation/tee/compact-block.ts'
import { CompactBlocks } from '../../src/propagation/tee/compact-blocks.ts'
import { ItemStore } from '../../src/propagation/tee/item-store.ts'
import { ethItemId } from '../../src/propagation/tee/item-id.ts'
import { ethItemVerifier } from '../../src/propagation/tee/item-verifier.ts'
import type { TeeAction } from '../../src/propagation/tee/interface.ts'
import type { PlanBody, PlanDiff, Report, WireItem } from '../../src/propagation/tee/messages.ts'
import { createAttestationRoot } from '../../src/tee/root.ts'
import { produceQuote, SimulatedQuotingEnclave } from '../../src/tee/qe.ts'
import { encodeQuote, parseQuote } from '../../src/tee/quote/quote.ts'
import { byteMutation, randomBytes, rlpMutation, rlpTree } from './fuzz-mutations.ts'
import { nextPlanOf, planOf, planSpec } from './fuzz-plans.ts'

export interface FuzzTarget<T = unknown> {
  name: string
  input: fc.Arbitrary<T>
  /** One input through the decoder; throws only when a property fails. */
  run(input: T): void
  /**
   * What the CPU bound is on, when not all of `run`: the decoding a node does for a hostile input, without the
   * harness's own checks (re-encoding 4,096 rows to compare costs as much as decoding them).
   */
  timed?(input: T): void
}

/** A property failure (never a decoder's own error). */
class PropertyFailure extends Error {}
const fail = (what: string): never => {
  throw new PropertyFailure(what)
}

/** The decoder's result, or undefined when it refused the input with a TeeError; anything else fails the property. */
function typed<R>(name: string, f: () => R): R | undefined {
  try {
    return f()
  } catch (e) {
    if (e instanceof PropertyFailure) throw e
    if (e instanceof TeeError || e instanceof AttestationError) return undefined
    const err = e instanceof Error ? e : new Error(String(e))
    return fail(`${name}: untyped ${err.constructor.name}: ${err.message}\n${err.stack ?? ''}`)
  }
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0
const hex64 = randomBytes(64).map((b) => Buffer.from(Uint8Array.from({ length: 64 }, (_, i) => b[i] ?? i)).toString('hex'))
const fixed = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
const u32 = fc.nat({ max: 0xffffffff })

/** Random bytes, random RLP trees and mutations of valid encodings, in the shares that reach deepest. */
const rlpInput = (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 1, arbitrary: randomBytes(96) },
    { weight: 1, arbitrary: rlpTree.map((t) => RLP.encode(t as never)) },
    { weight: 8, arbitrary: valid.chain(rlpMutation) },
  )
const bytesInput = (valid: fc.Arbitrary<Uint8Array>, fields: number[]): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 1, arbitrary: randomBytes(160) },
    { weight: 2, arbitrary: valid },
    { weight: 7, arbitrary: valid.chain((b) => byteMutation(b, fields)) },
  )

// ---- fixtures built once: real txs, blocks, a quote -------------------------------------------------------------

const common = new Common({ chain: Mainnet })
const signedTx = (nonce: number, data: number) =>
  createLegacyTx({ nonce, gasPrice: 10, gasLimit: 21_000 + 16 * data, to: `0x${'22'.repeat(20)}`, value: 1, data: new Uint8Array(data).fill(7) }, { common }).sign(new Uint8Array(32).fill(2))
const TXS = Array.from({ length: 6 }, (_, i) => signedTx(i, i * 5))
const BLOCKS = [0, 1, 3, 6].map((m, k) => createBlock({ header: { number: k + 1, gasLimit: 8_000_000, timestamp: 1_000 + k }, transactions: TXS.slice(0, m) }, { common, setHardfork: true }))
const COMPACT = BLOCKS.map((b) => encodeCompactBlock(b))

const root = createAttestationRoot()
const qe = SimulatedQuotingEnclave.create(root, () => 1_800_000_000_000)
const QUOTE = produceQuote(qe, { mrEnclave: new Uint8Array(32).fill(1), mrSigner: new Uint8Array(32).fill(2), isvProdId: 1, isvSvn: 1, debug: false }, new Uint8Array(64).fill(3), new Uint8Array(32).fill(4))

/** A legacy-tx-shaped RLP bomb: a list of `n` empty strings, within MAX_TX_BYTES. */
function txBomb(n: number): Uint8Array {
  const body = Math.min(n, MAX_TX_BYTES - 4)
  const out = new Uint8Array(4 + body).fill(0x80)
  out.set([0xfa, (body >> 16) & 0xff, (body >> 8) & 0xff, body & 0xff])
  return out
}

// ---- valid messages --------------------------------------------------------------------------------------------

const report: fc.Arbitrary<Report> = fc.record({
  epoch: u32,
  node: hex64,
  seq: fc.nat({ max: 0xffff }),
  attested: fc.boolean(),
  links: fc.array(fc.record({ peer: hex64, rttMs: fc.nat({ max: 0xffff }), attested: fc.boolean() }), { maxLength: 4 }),
  omissions: fc.array(fc.record({ peer: hex64, omitted: u32, delivered: u32 }), { maxLength: 3 }),
  // A report that vouches for itself carries its node's quote (report.ts); most do not.
  quote: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(QUOTE) }, { weight: 1, arbitrary: randomBytes(40).filter((b) => b.length > 0) }),
}).map(({ quote, ...r }) => (quote === undefined ? r : { ...r, quote }))
const signedPlan = planSpec.chain((s) => {
  const body = planOf(s)
  return fc.record({ enclaveKey: fixed(65), signature: fixed(64), quote: fc.oneof(fc.constant(QUOTE), randomBytes(40)) }).map((p) => ({ body, bodyBytes: encodePlanBody(body), ...p }))
})
/** A base plan, the next epoch's plan, and the diff between them. */
const planPair = fc.tuple(planSpec, fc.nat(), fc.boolean()).map(([s, seed, keep]) => {
  const base = planOf({ ...s, n: Math.min(s.n, 200) })
  const next = nextPlanOf(base, seed, keep)
  return { base, next, diff: diffPlans(base, next)! }
})
const wireItem = (kind: WireItem['kind']): fc.Arbitrary<WireItem> =>
  fc
    .record({
      mode: fc.constantFrom<WireItem['mode']>('tree', 'flood', 'entry', 'repair'),
      origin: fc.nat({ max: 0xffff }),
      payload: kind === 'tx' ? fc.oneof(randomBytes(120), fc.constantFrom(...TXS.map((t) => t.serialize()))) : fc.constantFrom(...COMPACT),
    })
    .map((r) => ({ kind, id: ethItemId(kind, r.payload), ...r }))

const messages: Record<number, fc.Arbitrary<AnyTeeMessage>> = {
  [TEE_CODES.status]: fc.record({ t: fc.constant('status' as const), version: fc.oneof(fc.constant(1), fc.nat({ max: 0xffff })), challenge: fixed(32), hasEnclave: fc.boolean() }),
  [TEE_CODES.attest]: fc.record({ t: fc.constant('attest' as const), quote: fc.oneof(fc.constant(new Uint8Array()), fc.constant(QUOTE), randomBytes(100)) }),
  [TEE_CODES.txItems]: fc.record({ t: fc.constant('items' as const), epoch: u32, items: fc.array(wireItem('tx'), { minLength: 1, maxLength: 6 }) }),
  [TEE_CODES.blockItems]: fc.record({ t: fc.constant('items' as const), epoch: u32, items: fc.array(wireItem('block'), { minLength: 1, maxLength: 3 }) }),
  [TEE_CODES.digest]: fc.record({ t: fc.constant('digest' as const), ids: fc.array(fixed(SHORT_ID_BYTES), { maxLength: 20 }) }),
  [TEE_CODES.pull]: fc.record({ t: fc.constant('pull' as const), ids: fc.array(fixed(SHORT_ID_BYTES), { maxLength: 20 }) }),
  [TEE_CODES.report]: fc.record({
    t: fc.constant('report' as const),
    reports: fc.array(fc.tuple(report, fixed(64)).map(([r, signature]) => ({ report: r, bodyBytes: encodeReportBody(r), signature })), { minLength: 1, maxLength: 3 }),
  }),
  [TEE_CODES.plan]: signedPlan.map((plan) => ({ t: 'plan' as const, plan })),
  [TEE_CODES.getBlockTxs]: fc.record({ t: fc.constant('getBlockTxs' as const), block: fixed(32), indexes: fc.array(fc.nat({ max: 0xffff }), { maxLength: 20 }) }),
  [TEE_CODES.blockTxs]: fc.record({ t: fc.constant('blockTxs' as const), block: fixed(32), txs: fc.array(randomBytes(120), { maxLength: 8 }) }),
  [TEE_CODES.planDelta]: fc
    .tuple(planPair, fixed(32), fixed(65), fixed(64), randomBytes(40))
    .map(([p, baseHash, enclaveKey, signature, quote]) => ({ t: 'planDelta' as const, delta: { baseHash, diff: p.diff, enclaveKey, signature, quote } })),
  [TEE_CODES.getPlan]: fc.record({ t: fc.constant('getPlan' as const), epoch: u32 }),
  [TEE_CODES.keepalive]: fc.constant({ t: 'keepalive' as const }),
  [TEE_CODES.graft]: fc.record({ t: fc.constant('graft' as const), epoch: u32, tree: fc.nat({ max: MAX_TREES - 1 }), attach: fc.boolean() }),
  [TEE_CODES.beacon]: fc.tuple(report, fixed(64), fc.nat({ max: MAX_BEACON_DISTANCE })).map(([r, signature, dist]) => ({ t: 'beacon' as const, report: { report: r, bodyBytes: encodeReportBody(r), signature }, dist })),
  [TEE_CODES.planOffer]: fc.record({ t: fc.constant('planOffer' as const), epoch: u32, hash: fixed(32) }),
}

// ---- shape checks of decoded values ----------------------------------------------------------------------------

const isBytes = (b: unknown, len?: number, max = Infinity): boolean => b instanceof Uint8Array && (len === undefined || b.length === len) && b.length <= max
const intIn = (x: unknown, max: number): boolean => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= max

function checkPlanBody(name: string, p: PlanBody): void {
  const n = p.nodes.length
  if (n > MAX_PLAN_NODES || p.parents.length < 1 || p.parents.length > MAX_TREES || p.interior.length !== n) fail(`${name}: plan of ${n} nodes, ${p.parents.length} trees`)
  if (!p.parents.every((t) => t.length === n && t.every((x) => x === ROOT || x === NOT_IN_TREE || (x >= 0 && x < n)))) fail(`${name}: parents out of range`)
  validatePlanBody(p)
  new PlanView(p)
}

function checkMessage(code: number, m: AnyTeeMessage): void {
  const name = TEE_MESSAGE_NAMES[code]!
  const want: Record<number, AnyTeeMessage['t']> = { 0x00: 'status', 0x01: 'attest', 0x10: 'items', 0x17: 'items', 0x11: 'digest', 0x12: 'pull', 0x13: 'report', 0x14: 'plan', 0x15: 'getBlockTxs', 0x16: 'blockTxs', 0x18: 'planDelta', 0x19: 'getPlan', 0x1a: 'keepalive', 0x1b: 'graft', 0x1c: 'beacon', 0x1d: 'planOffer' }
  if (m.t !== want[code]) fail(`${name} decoded to a ${m.t}`)
  const ok = ((): boolean => {
    switch (m.t) {
      case 'status':
        return intIn(m.version, 0xffff) && isBytes(m.challenge, 32) && typeof m.hasEnclave === 'boolean'
      case 'attest':
        return isBytes(m.quote, undefined, 64 * 1024)
      case 'items': {
        const kind = code === TEE_CODES.txItems ? 'tx' : 'block'
        return (
          intIn(m.epoch, 0xffffffff) &&
          m.items.length >= 1 &&
          m.items.length <= MAX_TXS_PER_MESSAGE &&
          m.items.every((i) => i.kind === kind && intIn(i.origin, 0xffff) && isBytes(i.payload, undefined, kind === 'tx' ? MAX_TX_BYTES : 8 * MAX_TX_BYTES) && eq(i.id, ethItemId(kind, i.payload)))
        )
      }
      case 'digest':
      case 'pull':
        return m.ids.length <= MAX_IDS_PER_MESSAGE && m.ids.every((i) => isBytes(i, SHORT_ID_BYTES))
      case 'report':
        return m.reports.length >= 1 && m.reports.length <= MAX_PLAN_NODES && m.reports.every((r) => isBytes(r.signature, 64) && r.report.links.length <= 1024 && r.report.omissions.length <= 1024)
      case 'plan':
        checkPlanBody(name, m.plan.body)
        return isBytes(m.plan.enclaveKey, 65) && isBytes(m.plan.signature, 64) && isBytes(m.plan.quote, undefined, 64 * 1024)
      case 'getBlockTxs':
        return isBytes(m.block, 32) && m.indexes.length <= MAX_IDS_PER_MESSAGE && m.indexes.every((i) => intIn(i, 0xffff))
      case 'blockTxs':
        return isBytes(m.block, 32) && m.txs.length <= MAX_IDS_PER_MESSAGE && m.txs.every((t) => isBytes(t, undefined, MAX_TX_BYTES))
      case 'planDelta': {
        const d = m.delta.diff
        const u16s = (xs: number[]) => xs.length <= MAX_PLAN_NODES && xs.every((x) => intIn(x, 0xffff))
        const pairOk = ([i, p]: [number, number]) => intIn(i, 0xffff) && (p === ROOT || p === NOT_IN_TREE || intIn(p, 0xfffd))
        return (
          isBytes(m.delta.baseHash, 32) &&
          intIn(d.epoch, 0xffffffff) &&
          /^[0-9a-f]{128}$/.test(d.coordinator) &&
          u16s(d.removed) &&
          u16s(d.interiorFlips) &&
          d.added.length <= MAX_PLAN_NODES &&
          d.added.every((a) => /^[0-9a-f]{128}$/.test(a)) &&
          d.parents.length >= 1 &&
          d.parents.length <= MAX_TREES &&
          d.parents.every((t) => t.length <= MAX_PLAN_NODES && t.every(pairOk))
        )
      }
      case 'getPlan':
        return intIn(m.epoch, 0xffffffff)
      case 'keepalive':
        return true
      case 'graft':
        return intIn(m.epoch, 0xffffffff) && intIn(m.tree, MAX_TREES - 1) && typeof m.attach === 'boolean'
      case 'beacon':
        return isBytes(m.report.signature, 64) && m.report.report.links.length <= 1024 && m.report.report.omissions.length <= 1024 && intIn(m.dist, MAX_BEACON_DISTANCE)
      case 'planOffer':
        return intIn(m.epoch, 0xffffffff) && isBytes(m.hash, 32)
    }
  })()
  if (!ok) fail(`${name} decoded to a bad shape`)
}

// ---- targets ---------------------------------------------------------------------------------------------------

function codecTarget(code: number): FuzzTarget<Uint8Array> {
  const name = `codec ${TEE_MESSAGE_NAMES[code]} (0x${code.toString(16).padStart(2, '0')})`
  return {
    name,
    input: rlpInput(messages[code]!.map((m) => encodeTeeMessage(m).payload)),
    run(payload) {
      const m = typed(name, () => decodeTeeMessage(code, payload))
      if (m === undefined) return
      checkMessage(code, m)
      const again = typed(`${name} re-encode`, () => encodeTeeMessage(m)) ?? fail(`${name}: a decoded message does not re-encode`)
      if (again.code !== code || !eq(again.payload, payload)) fail(`${name}: decoded, but re-encodes to other bytes (a second encoding of one message)`)
    },
    timed(payload) {
      typed(name, () => decodeTeeMessage(code, payload))
    },
  }
}

const KNOWN_CODES = new Set<number>(Object.values(TEE_CODES))
const unknownCodes: FuzzTarget<[number, Uint8Array]> = {
  name: 'codec unknown codes',
  input: fc.tuple(
    fc.integer({ min: 0, max: 0xff }).filter((c) => !KNOWN_CODES.has(c)),
    rlpInput(fc.constantFrom(...Object.values(messages)).chain((a) => a.map((m) => encodeTeeMessage(m).payload))),
  ),
  run([code, payload]) {
    if (typed('codec unknown codes', () => decodeTeeMessage(code, payload)) !== undefined) fail(`code 0x${code.toString(16)} decoded`)
  },
}

/** Offsets of the plan body's counts: node count (69..70), tree count (71). */
const planBodyTarget: FuzzTarget<Uint8Array> = {
  name: 'plan body',
  input: bytesInput(
    planSpec.map((s) => encodePlanBody(planOf(s))),
    [69, 70, 71],
  ),
  run(bytes) {
    const body = typed('plan body', () => decodePlanBody(bytes))
    if (body === undefined) return
    checkPlanBody('plan body', body)
    if (!eq(encodePlanBody(body), bytes)) fail('plan body: decoded, but re-encodes to other bytes')
  },
}

/** Offsets of the report body's link count (71) and, with no links, its omission count (73). */
const reportBodyTarget: FuzzTarget<Uint8Array> = {
  name: 'report body',
  input: bytesInput(report.map(encodeReportBody), [71, 72, 73]),
  run(bytes) {
    const r = typed('report body', () => decodeReportBody(bytes))
    if (r === undefined) return
    if (r.links.length > 1024 || r.omissions.length > 1024 || !intIn(r.seq, 0xffff) || !intIn(r.epoch, 0xffffffff) || (r.quote !== undefined && !(r.quote.length >= 1 && r.quote.length <= MAX_REPORT_QUOTE_BYTES))) fail('report body decoded to a bad shape')
    if (!eq(encodeReportBody(r), bytes)) fail('report body: decoded, but re-encodes to other bytes')
  },
}

/** Edits of a diff that the wire can carry (u16 indexes, 64-byte ids): out of range, repeated, unsorted, cycles. */
const diffEdit: fc.Arbitrary<(d: PlanDiff, base: PlanBody) => PlanDiff> = fc.oneof(
  fc.constant((d: PlanDiff) => d),
  fc.nat({ max: 0xffff }).map((i) => (d: PlanDiff) => ({ ...d, removed: [...d.removed, i] })),
  fc.constant((d: PlanDiff) => ({ ...d, removed: [...d.removed].reverse().concat(d.removed.slice(0, 1)) })),
  fc.nat().map((k) => (d: PlanDiff, b: PlanBody) => ({ ...d, added: [...d.added, b.nodes[k % Math.max(1, b.nodes.length)] ?? 'ff'.repeat(64)] })),
  hex64.map((id) => (d: PlanDiff) => ({ ...d, added: [id, ...d.added] })),
  fc.nat({ max: 0xffff }).map((i) => (d: PlanDiff) => ({ ...d, interiorFlips: [...d.interiorFlips, i] })),
  fc.tuple(fc.nat(), fc.nat({ max: 0xffff }), fc.oneof(fc.constant(ROOT), fc.constant(NOT_IN_TREE), fc.nat({ max: 0xfffd }))).map(([t, i, p]) => (d: PlanDiff) => ({
    ...d,
    parents: d.parents.map((x, k) => (k === t % d.parents.length ? [...x, [i, p] as [number, number]] : x)),
  })),
  fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([t, a, b]) => (d: PlanDiff, base: PlanBody) => {
    const n = Math.max(1, base.nodes.length)
    const [i, j] = [a % n, b % n]
    return { ...d, parents: d.parents.map((x, k) => (k === t % d.parents.length ? [...x, [i, j] as [number, number], [j, i] as [number, number]] : x)) }
  }),
  fc.constant((d: PlanDiff) => ({ ...d, parents: [...d.parents, []] })),
)

const planDeltaTarget: FuzzTarget<{ base: PlanBody; next: PlanBody; wire: Uint8Array; exact: boolean }> = {
  name: 'plan delta apply',
  input: fc
    .tuple(planPair, fc.array(diffEdit, { maxLength: 3 }), fc.boolean())
    .chain(([p, edits, mutate]) => {
      const diff = edits.reduce((d, f) => f(d, p.base), p.diff)
      const msg: AnyTeeMessage = { t: 'planDelta', delta: { baseHash: new Uint8Array(32), diff, enclaveKey: new Uint8Array(65), signature: new Uint8Array(64), quote: new Uint8Array() } }
      const wire = encodeTeeMessage(msg).payload
      return (mutate ? rlpMutation(wire) : fc.constant(wire)).map((w) => ({ base: p.base, next: p.next, wire: w, exact: edits.length === 0 && w === wire }))
    }),
  run({ base, next, wire, exact }) {
    const m = typed('plan delta decode', () => decodeTeeMessage(TEE_CODES.planDelta, wire))
    if (m === undefined) return
    if (m.t !== 'planDelta') return fail(`planDelta decoded to a ${m.t}`)
    const out = typed('plan delta apply', () => applyPlanDiff(base, m.delta.diff))
    if (out === undefined) return exact ? fail('plan delta: the diff of two real plans did not apply') : undefined
    checkPlanBody('plan delta', out.body)
    if (!eq(encodePlanBody(decodePlanBody(out.bodyBytes)), out.bodyBytes)) fail('plan delta: the rebuilt body does not decode to itself')
    if (exact && !eq(out.bodyBytes, encodePlanBody(next))) fail('plan delta: the diff of two real plans rebuilt another plan')
  },
}

const verifier = ethItemVerifier(common)
const compactBlockTarget: FuzzTarget<Uint8Array> = {
  name: 'compact block',
  input: rlpInput(fc.constantFrom(...COMPACT)),
  run(payload) {
    // The id the verifier checks the header against (hashing the whole payload here would time the harness).
    const check = verifier.check('block', BLOCKS[0]!.hash(), payload)
    if (typeof check.ok !== 'boolean') fail('item verifier gave no verdict')
    const cb = typed('compact block', () => decodeCompactBlock(payload))
    if (cb === undefined) return
    if (!cb.header.every((f) => f instanceof Uint8Array) || RLP.encode(cb.header).length > 4096 || cb.ids.length > MAX_IDS_PER_MESSAGE || !cb.ids.every((s) => isBytes(s, SHORT_ID_BYTES)))
      fail('compact block decoded to a bad shape')
    typed('block item id', () => ethItemId('block', payload)) ?? fail('a decoded compact block has no id')
    if (!eq(RLP.encode([cb.header, Buffer.concat(cb.ids)]), payload)) fail('compact block: decoded, but re-encodes to other bytes')
  },
}

type Step =
  | { t: 'item'; from: number; mutated: Uint8Array | undefined }
  | { t: 'get'; from: number; known: boolean; indexes: number[] }
  | { t: 'txs'; from: number; known: boolean; txs: Uint8Array[] }
  | { t: 'held'; k: number }
  | { t: 'time'; dt: number }
  | { t: 'rebuilt'; ok: boolean }

const txPayload = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TXS.map((t) => t.serialize())) },
  { weight: 2, arbitrary: fc.constantFrom(...TXS.map((t) => t.serialize())).chain((b) => rlpMutation(b)) },
  { weight: 1, arbitrary: randomBytes(40) },
  { weight: 1, arbitrary: fc.constantFrom(1 << 10, 1 << 17).map(txBomb) },
)
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constant('item' as const), from: fc.nat({ max: 2 }), mutated: fc.option(fc.constantFrom(...COMPACT).chain(rlpMutation), { nil: undefined }) }),
  fc.record({ t: fc.constant('get' as const), from: fc.nat({ max: 2 }), known: fc.boolean(), indexes: fc.array(fc.oneof(fc.nat({ max: 8 }), fc.nat({ max: 0xffff })), { maxLength: 10 }) }),
  fc.record({ t: fc.constant('txs' as const), from: fc.nat({ max: 2 }), known: fc.boolean(), txs: fc.array(txPayload, { maxLength: 8 }) }),
  fc.record({ t: fc.constant('held' as const), k: fc.nat({ max: TXS.length - 1 }) }),
  fc.record({ t: fc.constant('time' as const), dt: fc.nat({ max: 5_000 }) }),
  fc.record({ t: fc.constant('rebuilt' as const), ok: fc.boolean() }),
)

/** The rebuild state machine fed hostile compact blocks, GetBlockTxs and BlockTxs; what it imports is assembled. */
const compactBlocksTarget: FuzzTarget<{ block: number; held: boolean[]; steps: Step[] }> = {
  name: 'compact blocks rebuild',
  input: fc.record({ block: fc.nat({ max: BLOCKS.length - 1 }), held: fc.array(fc.boolean(), { minLength: TXS.length, maxLength: TXS.length }), steps: fc.array(step, { minLength: 1, maxLength: 8 }) }),
  run({ block, held, steps }) {
    const peers = new Map(['p0', 'p1'].map((p) => [p, { attested: false, rttMs: 10 }]))
    const store = new ItemStore(1_000)
    // A link that looks backlogged to some peers: the deadline varies as hostile answers come and go.
    const blocks = new CompactBlocks({ peers } as never, store, { backlogWait: (p) => (p === 'p1' ? 2_500 : 0), pullAnswered: () => {} })
    let now = 0
    const addTx = (k: number) => {
      const e = store.add('tx', TXS[k]!.hash(), TXS[k]!.serialize(), undefined, now)
      return e
    }
    held.forEach((h, k) => h && addTx(k))
    const id = BLOCKS[block]!.hash()
    for (const s of steps) {
      const out: TeeAction[] = []
      const peer = ['p0', 'p1', 'p2'][s.t === 'item' || s.t === 'get' || s.t === 'txs' ? s.from : 0]!
      typed('compact blocks', () => {
        if (s.t === 'item') {
          const payload = s.mutated ?? COMPACT[block]!
          const itemId = s.mutated === undefined ? id : (typed('block item id', () => ethItemId('block', payload)) ?? new Uint8Array(32))
          // As the relay does: only a checked block item is stored and rebuilt.
          if (!verifier.check('block', itemId, payload).ok || store.byId(itemId) !== undefined) return
          store.add('block', itemId, payload, undefined, now)
          blocks.onBlockItem(out, itemId, payload, peer, now)
        } else if (s.t === 'get') blocks.onGetBlockTxs(out, peer, s.known ? id : new Uint8Array(32), s.indexes)
        else if (s.t === 'txs') blocks.onBlockTxs(out, peer, s.known ? id : new Uint8Array(32), s.txs, now)
        else if (s.t === 'held') {
          const e = addTx(s.k)
          blocks.onTxHeld(out, e.short, e.payload, now)
        } else if (s.t === 'time') blocks.onTimeout(out, (now += s.dt))
        else blocks.onBlockRebuilt(out, id, s.ok, now)
      })
      const bad = blocks.invariants()
      if (bad.length > 0) fail(`compact blocks invariants: ${bad.join('; ')}`)
      for (const a of out) {
        if (a.t === 'send' && a.msg.t === 'getBlockTxs' && new Set(a.msg.indexes).size !== a.msg.indexes.length) fail('compact blocks asked for an index twice')
        if (a.t === 'send' && a.msg.t === 'blockTxs' && !a.msg.txs.every((t) => t instanceof Uint8Array)) fail('compact blocks answered with a hole')
        if (a.t === 'importBlock') {
          if (a.txs.length !== a.block.ids.length || !a.txs.every((t) => t instanceof Uint8Array)) fail('compact blocks imported a block with holes')
          typed('assembleBlock', () => assembleBlock(a.block, a.txs, common))
        }
      }
    }
  },
}

/** The quote of a tee/1 hello (attest): parsed, and re-encoded when it parses. */
const quoteTarget: FuzzTarget<Uint8Array> = {
  name: 'hello quote',
  input: bytesInput(fc.constant(QUOTE), [0, 2, 432, 434, 1012, 1046, 1048, 1050]),
  run(bytes) {
    const q = typed('hello quote', () => parseQuote(bytes))
    if (q === undefined) return
    if (!eq(encodeQuote(q.signed, q), bytes)) fail('hello quote: parsed, but re-encodes to other bytes')
  },
}

export const TEE_FUZZ_TARGETS: FuzzTarget<never>[] = [
  ...Object.values(TEE_CODES).map(codecTarget),
  unknownCodes,
  planBodyTarget,
  reportBodyTarget,
  planDeltaTarget,
  compactBlockTarget,
  compactBlocksTarget,
  quoteTarget,
] as FuzzTarget<never>[]

/** Time bound of one input (ms): TEECAST_FUZZ_MAX_MS, or `dflt`. */
export const maxMsFromEnv = (dflt: number): number => Number(process.env.TEECAST_FUZZ_MAX_MS ?? dflt)

/** CPU time of this process (ms): unlike wall time, it does not grow while a loaded machine runs other processes. */
const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

export function fuzzProperty<T>(target: FuzzTarget<T>, maxMs: number): fc.IPropertyWithHooks<[T]> {
  return fc.property(target.input, (input) => {
    // Without a `timed` part, the first timed try is the run itself.
    if (target.timed !== undefined) target.run(input)
    const timed = target.timed?.bind(target) ?? target.run.bind(target)
    let best = Infinity
    for (let tries = 0; tries < 3 && best > maxMs; tries++) {
      const t0 = cpuMs()
      timed(input)
      best = Math.min(best, cpuMs() - t0)
    }
    if (best > maxMs) fail(`${target.name}: one input took ${best.toFixed(0)} ms of CPU (bound ${maxMs} ms, best of 3)`)
  })
}

/** An input, short enough for a failure report: byte arrays as their length and first bytes in hex. */
export function describeInput(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => {
    if (x instanceof Uint8Array) return x.length <= 48 ? `0x${Buffer.from(x).toString('hex')}` : `<${x.length} bytes: 0x${Buffer.from(x.subarray(0, 48)).toString('hex')}...>`
    if (x instanceof Int32Array) return `Int32Array(${x.length}) [${[...x.subarray(0, 16)].join(',')}${x.length > 16 ? ',...' : ''}]`
    if (typeof x === 'string' && x.length > 200) return `${x.slice(0, 64)}...(${x.length} chars)`
    if (Array.isArray(x) && x.length > 32) return [...x.slice(0, 32), `...(${x.length} items)`]
    return x
  })
}

/**
 * Runs `numRuns` seeded inputs of one target; throws one short Error on the first failure (no shrinking: big
 * inputs shrink slowly), naming the seed and path that replay it (`path` here, or bench/fuzz/tee.ts).
 */
export function assertFuzz(target: FuzzTarget<never>, o: { numRuns: number; seed: number; maxMs: number; path?: string }): void {
  const r = fc.check(fuzzProperty(target, o.maxMs), { numRuns: o.numRuns, seed: o.seed, endOnFailure: true, ...(o.path === undefined ? {} : { path: o.path }) })
  if (!r.failed) return
  const why = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance)
  throw new Error(`${target.name} failed after ${r.numRuns} inputs (replay: seed ${r.seed}, path "${r.counterexamplePath}"): ${why}\ninput: ${describeInput(r.counterexample?.[0])}`)
}
