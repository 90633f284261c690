import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RLP } from '@ethereumjs/rlp'
import { decodeTeeMessage, encodeTeeMessage, TEE_CODES, type AnyTeeMessage } from '../../../src/propagation/tee/codec.ts'
import { isTeeError, type TeeErrorCode } from '../../../src/propagation/tee/errors.ts'
import { encodePlanBody, NOT_IN_TREE, ROOT } from '../../../src/propagation/tee/plan.ts'
import { encodeReportBody } from '../../../src/propagation/tee/report.ts'
import { MAX_IDS_PER_MESSAGE, MAX_MESSAGE_BYTES, MAX_TXS_PER_MESSAGE, PLAN_VERSION } from '../../../src/propagation/tee/constants.ts'
import type { PlanBody, Report, SignedPlan, SignedReport, WireItem } from '../../../src/propagation/tee/messages.ts'
import { ethItemId } from '../../../src/propagation/tee/item-id.ts'
import { encodeCompactBlock } from '../../../src/propagation/tee/compact-block.ts'
import { createBlock } from '@ethereumjs/block'
import { Common, Mainnet } from '@ethereumjs/common'
import { keccak256 } from 'ethereum-cryptography/keccak.js'

const id64 = (i: number): string => i.toString(16).padStart(2, '0').repeat(64)
const bytesOf = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)
/** A canonical RLP integer (as the codec writes it). */
const int = (n: number): Uint8Array => (n === 0 ? new Uint8Array() : new Uint8Array(Buffer.from(n.toString(16).padStart(2 * Math.ceil(n.toString(16).length / 2), '0'), 'hex')))

const planBody: PlanBody = {
  version: PLAN_VERSION,
  epoch: 7,
  coordinator: id64(2),
  nodes: [id64(1), id64(2), id64(3)],
  interior: [true, true, false],
  parents: [Int32Array.from([ROOT, 0, 1]), Int32Array.from([1, ROOT, NOT_IN_TREE])],
}
const planBytes = encodePlanBody(planBody)
const plan: SignedPlan = { body: planBody, bodyBytes: planBytes, enclaveKey: bytesOf(65, 4), signature: bytesOf(64, 9), quote: bytesOf(300, 5) }
const report: Report = { epoch: 3, node: id64(1), seq: 2, attested: true, links: [{ peer: id64(2), rttMs: 42, attested: true }, { peer: id64(3), rttMs: 0, attested: false }], omissions: [{ peer: id64(2), omitted: 5, delivered: 100 }] }
const reportBytes = encodeReportBody(report)
const signedReport: SignedReport = { report, bodyBytes: reportBytes, signature: bytesOf(64, 1) }

const common = new Common({ chain: Mainnet })
const compactBlock = (n: number): Uint8Array => encodeCompactBlock(createBlock({ header: { number: n, gasLimit: 8_000_000, timestamp: 1_000 + n } }, { common, setHardfork: true }))
/** An item as the decoder returns it: the id is the hash of the payload (the wire does not carry it). */
const item = (kind: WireItem['kind'], mode: WireItem['mode'], origin: number, payload: Uint8Array): WireItem => ({ kind, id: ethItemId(kind, payload), mode, origin, payload })

const samples: AnyTeeMessage[] = [
  { t: 'status', version: 1, challenge: bytesOf(32, 7), hasEnclave: true },
  { t: 'status', version: 0, challenge: bytesOf(32, 0), hasEnclave: false },
  { t: 'attest', quote: bytesOf(100, 3) },
  { t: 'attest', quote: new Uint8Array() },
  {
    t: 'items',
    epoch: 0,
    items: [item('tx', 'tree', 0, bytesOf(110, 2)), item('tx', 'flood', 0xffff, bytesOf(600, 3)), item('tx', 'entry', 256, new Uint8Array()), item('tx', 'repair', 1, bytesOf(1, 0))],
  },
  { t: 'items', epoch: 0xffffffff, items: [item('tx', 'tree', 3, bytesOf(5, 2))] },
  { t: 'items', epoch: 12, items: [item('block', 'tree', 3, compactBlock(5)), item('block', 'repair', 0, compactBlock(6))] },
  { t: 'digest', ids: [bytesOf(8, 1), bytesOf(8, 2), bytesOf(8, 0)] },
  { t: 'digest', ids: [] },
  { t: 'pull', ids: [bytesOf(8, 0xff)] },
  { t: 'report', reports: [signedReport, signedReport] },
  { t: 'beacon', report: signedReport, dist: 0 },
  { t: 'beacon', report: signedReport, dist: 64 },
  { t: 'planOffer', epoch: 0, hash: bytesOf(32, 9) },
  { t: 'planOffer', epoch: 0xffffffff, hash: bytesOf(32, 0xff) },
  { t: 'plan', plan },
  {
    t: 'planDelta',
    delta: { baseHash: bytesOf(32, 3), diff: { epoch: 8, coordinator: id64(2), removed: [1, 4], added: [id64(9)], interiorFlips: [0], parents: [[[2, ROOT], [3, NOT_IN_TREE]], [[1, 0]]] }, enclaveKey: bytesOf(65, 4), signature: bytesOf(64, 9), quote: bytesOf(300, 5) },
  },
  { t: 'getPlan', epoch: 8 },
  { t: 'getBlockTxs', block: bytesOf(32, 8), indexes: [0, 1, 300, 0xffff] },
  { t: 'blockTxs', block: bytesOf(32, 8), txs: [bytesOf(10, 1), new Uint8Array()] },
  { t: 'keepalive' },
  { t: 'graft', epoch: 0xffffffff, tree: 63, attach: true },
  { t: 'graft', epoch: 0, tree: 0, attach: false },
  { t: 'graft', epoch: 7, tree: 3, attach: true, bridge: true },
]

test('codec: every message type round-trips (encode -> decode -> encode is identical)', () => {
  const seen = new Set<string>()
  for (const m of samples) {
    const { code, payload } = encodeTeeMessage(m)
    const name = m.t === 'items' ? (m.items[0]!.kind === 'tx' ? 'txItems' : 'blockItems') : m.t
    assert.equal(code, TEE_CODES[name], `code of ${name}`)
    const back = decodeTeeMessage(code, payload)
    assert.deepEqual(back, m, `round trip of ${name}`)
    assert.deepEqual(encodeTeeMessage(back).payload, payload)
    seen.add(name)
  }
  assert.deepEqual([...seen].sort(), Object.keys(TEE_CODES).sort(), 'a sample for every message code')
  // An items message mixing kinds cannot be encoded (tx and block items travel under different codes).
  assert.throws(() => encodeTeeMessage({ t: 'items', epoch: 0, items: [{ kind: 'tx', id: bytesOf(32, 8), mode: 'tree', origin: 0, payload: new Uint8Array() }, { kind: 'block', id: bytesOf(32, 9), mode: 'tree', origin: 0, payload: new Uint8Array() }] }), (e: unknown) => isTeeError(e))
})

function rejects(code: number, payload: Uint8Array | unknown[], want: TeeErrorCode, what: string): void {
  const bytes = payload instanceof Uint8Array ? payload : RLP.encode(payload as never)
  assert.throws(() => decodeTeeMessage(code, bytes), (e: unknown) => isTeeError(e, want), `${what}: expected ${want}`)
}

test('codec: keepalive and graft are tiny and exact; anything else is refused', () => {
  // Their framed size: 64 B each (RLPx header 32 + one 16-byte block + MAC 16), the cost stated in docs/tee-protocol.md.
  assert.equal(encodeTeeMessage({ t: 'keepalive' }).payload.length, 1)
  assert.ok(encodeTeeMessage({ t: 'graft', epoch: 0xffffffff, tree: 63, attach: true }).payload.length <= 15)
  const M = 'MALFORMED_MESSAGE'
  rejects(C.keepalive, [new Uint8Array()], M, 'keepalive with a field')
  rejects(C.keepalive, new Uint8Array([0x80]), M, 'keepalive that is a string')
  rejects(C.keepalive, RLP.encode([new Uint8Array(100)]), M, 'keepalive padded to 100 bytes')
  rejects(C.keepalive, new Uint8Array([0xc0, 0x00]), M, 'keepalive with trailing bytes')
  rejects(C.graft, [int(1), int(0)], M, 'graft with 2 fields')
  rejects(C.graft, [int(1), int(0), int(1), int(0)], M, 'graft with 4 fields')
  rejects(C.graft, [int(1), int(64), int(1)], M, 'graft on tree 64 (MAX_TREES is 64)')
  rejects(C.graft, [int(1), int(0), int(3)], M, 'graft attach 3')
  rejects(C.graft, [new Uint8Array([0, 1]), int(0), int(1)], M, 'graft epoch with a leading zero')
  rejects(C.graft, [new Uint8Array(5).fill(0xff), int(0), int(1)], M, 'graft epoch above u32')
  rejects(C.graft, [[], int(0), int(1)], M, 'graft epoch that is a list')
  rejects(C.graft, [int(1), int(0), new Uint8Array(40)], M, 'graft padded past its byte cap')
  rejects(C.graft, new Uint8Array(MAX_MESSAGE_BYTES), M, 'a 10 MiB graft')
  rejects(C.beacon, [reportBytes, bytesOf(64, 1)], M, 'beacon with 2 fields')
  rejects(C.beacon, [reportBytes, bytesOf(63, 1), int(1)], M, 'beacon with a 63-byte signature')
  rejects(C.beacon, [reportBytes, bytesOf(64, 1), int(65)], M, 'beacon at distance 65 (MAX_BEACON_DISTANCE is 64)')
  rejects(C.beacon, [reportBytes.subarray(0, 40), bytesOf(64, 1), int(1)], M, 'beacon with a truncated report')
  rejects(C.beacon, [reportBytes, bytesOf(64, 1), [int(1)]], M, 'beacon distance that is a list')
  rejects(C.planOffer, [int(1)], M, 'planOffer with 1 field')
  rejects(C.planOffer, [int(1), bytesOf(31, 1)], M, 'planOffer with a 31-byte hash')
  rejects(C.planOffer, [int(1), bytesOf(32, 1), int(0)], M, 'planOffer with 3 fields')
})

const good = (m: AnyTeeMessage): unknown[] => RLP.decode(encodeTeeMessage(m).payload) as unknown as unknown[]
const C = TEE_CODES

test('codec: unknown codes and oversized messages', () => {
  rejects(0x02, [new Uint8Array()], 'UNKNOWN_MESSAGE_CODE', 'code 0x02')
  rejects(0x1e, RLP.encode([]), 'UNKNOWN_MESSAGE_CODE', 'code 0x1e')
  rejects(0x0f, RLP.encode([]), 'UNKNOWN_MESSAGE_CODE', 'code 0x0f')
  rejects(C.attest, new Uint8Array(MAX_MESSAGE_BYTES + 1), 'MESSAGE_TOO_LARGE', 'payload over the cap')
  // The size check comes first: an oversize payload of an unknown code is still MESSAGE_TOO_LARGE.
  rejects(0x99, new Uint8Array(MAX_MESSAGE_BYTES + 1), 'MESSAGE_TOO_LARGE', 'oversize unknown code')
})

test('codec: malformed payloads are MALFORMED_MESSAGE', () => {
  const M = 'MALFORMED_MESSAGE'
  // Not RLP, trailing bytes after the RLP item.
  rejects(C.digest, Uint8Array.from([0xc5, 0x01]), M, 'truncated RLP')
  const dig = encodeTeeMessage({ t: 'digest', ids: [bytesOf(8, 1)] }).payload
  rejects(C.digest, Uint8Array.from([...dig, 0x00]), M, 'trailing byte after the RLP')
  // Wrong field counts.
  const status = good(samples[0]!)
  rejects(C.status, status.slice(0, 2), M, 'status with 2 fields')
  rejects(C.status, [...status, new Uint8Array()], M, 'status with 4 fields')
  rejects(C.attest, [], M, 'attest with 0 fields')
  rejects(C.plan, good({ t: 'plan', plan }).slice(0, 3), M, 'plan with 3 fields')
  rejects(C.txItems, [new Uint8Array(), [[new Uint8Array(), new Uint8Array()]]], M, 'item with 2 fields')
  // The layout before ids were dropped ([kind, mode, origin, id, payload]) is refused, not misread.
  rejects(C.txItems, [new Uint8Array(), [[new Uint8Array(), new Uint8Array(), new Uint8Array(), bytesOf(32, 1), new Uint8Array()]]], M, 'item with 5 fields (an id on the wire)')
  rejects(C.txItems, [new Uint8Array(), []], M, 'items with no item')
  rejects(C.txItems, [new Uint8Array(), bytesOf(3, 1)], M, 'items list is bytes')
  rejects(C.getBlockTxs, [bytesOf(32, 1)], M, 'getBlockTxs with 1 field')
  // Field shapes.
  rejects(C.status, [Uint8Array.from([1]), bytesOf(31, 1), new Uint8Array()], M, 'short challenge')
  rejects(C.status, [Uint8Array.from([1]), bytesOf(32, 1), Uint8Array.from([2])], M, 'hasEnclave = 2')
  rejects(C.status, [[], bytesOf(32, 1), new Uint8Array()], M, 'version is a list')
  rejects(C.blockItems, [new Uint8Array(), [[new Uint8Array(), new Uint8Array(), bytesOf(110, 2)]]], M, 'a tx payload under the block items code (no compact block, no id)')
  rejects(C.blockItems, [new Uint8Array(), [[new Uint8Array(), new Uint8Array(), new Uint8Array()]]], M, 'an empty block payload')
  rejects(C.txItems, [new Uint8Array(), [[Uint8Array.from([4]), new Uint8Array(), new Uint8Array()]]], M, 'mode out of range')
  rejects(C.txItems, [new Uint8Array(), [[new Uint8Array(), Uint8Array.from([1, 0, 0]), new Uint8Array()]]], M, 'origin > 0xffff')
  rejects(C.txItems, [new Uint8Array(), [[new Uint8Array(), new Uint8Array(), [bytesOf(3, 1)]]]], M, 'payload is a list')
  rejects(C.txItems, [new Uint8Array(), [[new Uint8Array(), new Uint8Array(), new Uint8Array(128 * 1024 + 1)]]], M, 'tx payload over the tx size cap')
  rejects(C.plan, [planBytes, bytesOf(64, 4), bytesOf(64, 1), new Uint8Array()], M, 'enclave key of 64 bytes')
  rejects(C.plan, [planBytes, bytesOf(65, 4), bytesOf(63, 1), new Uint8Array()], M, 'signature of 63 bytes')
  rejects(C.report, [[reportBytes, bytesOf(65, 1)]], M, 'report signature of 65 bytes')
  rejects(C.report, [], M, 'report with no rows')
  rejects(C.blockTxs, [bytesOf(32, 1), [[]]], M, 'blockTxs tx is a list')
  // Non-canonical integers.
  rejects(C.txItems, [Uint8Array.from([0, 1]), good(samples[5]!)[1]], M, 'epoch with a leading zero')
  rejects(C.txItems, [Uint8Array.from([0]), good(samples[5]!)[1]], M, 'epoch 0 as 0x00')
  rejects(C.status, [Uint8Array.from([0, 1]), bytesOf(32, 1), new Uint8Array()], M, 'version with a leading zero')
  rejects(C.getBlockTxs, [bytesOf(32, 1), [Uint8Array.from([0, 5])]], M, 'index with a leading zero')
  rejects(C.txItems, [bytesOf(7, 1), good(samples[5]!)[1]], M, 'epoch of 7 bytes')
  // Short ids not a multiple of 8.
  rejects(C.digest, [bytesOf(9, 1)], M, 'digest of 9 bytes')
  rejects(C.pull, [bytesOf(7, 1)], M, 'pull of 7 bytes')
  rejects(C.digest, [[bytesOf(8, 1)]], M, 'digest ids as a list')
  // Over-cap counts.
  rejects(C.digest, [new Uint8Array((MAX_IDS_PER_MESSAGE + 1) * 8)], M, 'digest over the id cap')
  rejects(C.pull, [new Uint8Array((MAX_IDS_PER_MESSAGE + 1) * 8)], M, 'pull over the id cap')
  assert.equal((decodeTeeMessage(C.pull, RLP.encode([new Uint8Array(MAX_IDS_PER_MESSAGE * 8)])) as { ids: unknown[] }).ids.length, MAX_IDS_PER_MESSAGE, 'exactly at the cap is fine')
  const row = [new Uint8Array(), new Uint8Array(), bytesOf(3, 1)]
  rejects(C.txItems, [new Uint8Array(), Array.from({ length: MAX_TXS_PER_MESSAGE + 1 }, () => row)], M, 'a batch over the item cap')
  assert.equal((decodeTeeMessage(C.txItems, RLP.encode([new Uint8Array(), Array.from({ length: MAX_TXS_PER_MESSAGE }, () => row)])) as { items: unknown[] }).items.length, MAX_TXS_PER_MESSAGE, 'a batch exactly at the cap is fine')
  rejects(C.getBlockTxs, [bytesOf(32, 1), Array.from({ length: MAX_IDS_PER_MESSAGE + 1 }, () => new Uint8Array())], M, 'getBlockTxs over the index cap')
  rejects(C.blockTxs, [bytesOf(32, 1), Array.from({ length: MAX_IDS_PER_MESSAGE + 1 }, () => new Uint8Array())], M, 'blockTxs over the tx cap')
  rejects(C.blockTxs, [bytesOf(32, 1), [new Uint8Array(128 * 1024 + 1)]], M, 'blockTxs tx over the tx size cap')
})

test('codec: a bad plan or report body inside a well-formed message is refused', () => {
  const wrap = (body: Uint8Array): unknown[] => [body, bytesOf(65, 4), bytesOf(64, 1), new Uint8Array()]
  const isPlanErr = (e: unknown): boolean => isTeeError(e, 'MALFORMED_MESSAGE') || isTeeError(e, 'INVALID_PLAN')
  const cases: [string, Uint8Array][] = [
    ['truncated body', planBytes.slice(0, planBytes.length - 1)],
    ['trailing byte', Uint8Array.from([...planBytes, 0])],
    ['wrong version', Uint8Array.from([PLAN_VERSION + 1, ...planBytes.slice(1)])],
    ['empty body', new Uint8Array()],
  ]
  // A cycle: node 0's parent in tree 0 becomes node 2 (0 -> 2 -> 1 -> 0); parents start after the header, ids and bitmap.
  const cyc = planBytes.slice()
  const parentsAt = 1 + 4 + 64 + 2 + 1 + 3 * 64 + 1
  cyc[parentsAt] = 0
  cyc[parentsAt + 1] = 2
  cases.push(['cycle', cyc])
  for (const [what, body] of cases) assert.throws(() => decodeTeeMessage(C.plan, RLP.encode(wrap(body) as never)), isPlanErr, what)
  assert.throws(() => decodeTeeMessage(C.report, RLP.encode([[reportBytes.slice(0, -1), bytesOf(64, 1)]])), (e: unknown) => isTeeError(e, 'MALFORMED_MESSAGE'), 'truncated report')
  assert.throws(() => decodeTeeMessage(C.report, RLP.encode([[Uint8Array.from([...reportBytes, 1]), bytesOf(64, 1)]])), (e: unknown) => isTeeError(e, 'MALFORMED_MESSAGE'), 'report with trailing byte')
  // The unmodified body decodes (so the cases above fail for the reason named).
  assert.equal((decodeTeeMessage(C.plan, RLP.encode(wrap(planBytes) as never)) as { t: 'plan'; plan: SignedPlan }).plan.body.epoch, 7)
})

test('codec: item ids are not on the wire; the decoder recomputes them from the payload', () => {
  const payload = bytesOf(113, 7)
  const id = keccak256(payload)
  const { code, payload: wire } = encodeTeeMessage({ t: 'items', epoch: 3, items: [{ kind: 'tx', id, mode: 'tree', origin: 2, payload }] })
  // [epoch, [[mode, origin, payload]]]: the payload and its 2 B RLP header, 1 B each for mode and origin, 2 B for the
  // item's list header; 5 B for the message (epoch, two list headers).
  assert.ok(wire.length <= 113 + 6 + 5, `a 113 B tx costs ${wire.length} B (an id would add 33)`)
  assert.equal(Buffer.from(wire).indexOf(Buffer.from(id)), -1, 'the 32-byte id is nowhere in the message')
  const back = decodeTeeMessage(code, wire) as { t: 'items'; items: WireItem[] }
  assert.deepEqual(back.items[0]!.id, id, 'the id is the keccak of the payload')
  // A block's id is its header hash, rebuilt from the compact block.
  const block = createBlock({ header: { number: 9, gasLimit: 8_000_000, timestamp: 1_009 } }, { common, setHardfork: true })
  const b = encodeTeeMessage({ t: 'items', epoch: 3, items: [{ kind: 'block', id: block.hash(), mode: 'tree', origin: 0, payload: encodeCompactBlock(block) }] })
  assert.deepEqual((decodeTeeMessage(b.code, b.payload) as { items: WireItem[] }).items[0]!.id, block.hash())
  // An injected id function (the simulator's) is used instead.
  const fixed = bytesOf(32, 0xab)
  assert.deepEqual((decodeTeeMessage(code, wire, () => fixed) as { items: WireItem[] }).items[0]!.id, fixed)
  // A sender that sends a wrong id cannot: whatever id it had in mind, the receiver's is the payload's hash.
  const forged = encodeTeeMessage({ t: 'items', epoch: 3, items: [{ kind: 'tx', id: bytesOf(32, 1), mode: 'tree', origin: 2, payload }] })
  assert.deepEqual((decodeTeeMessage(forged.code, forged.payload) as { items: WireItem[] }).items[0]!.id, id)
})
