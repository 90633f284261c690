/**
 * The coordinator enclave program's `plan` ecall with quotes in reports: a second attested group that only an
 * unattested node joins to the coordinator's is vouched for by its own quote, and a quote that does not prove the
 * report's node and epoch (another node's id, another epoch's challenge, a bad signature, a root the policy does not
 * trust) vouches for nothing; nor does a replayed report too old for the window.
 *
 * Topology: A = {0, 1, 2} (attested ring, 0 coordinates), U = 3 (an unattested tee node, linked to 2 and 4),
 * B = {4, 5} (attested, linked to each other). No attested link joins A and B.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planEcall } from '../../src/tee/programs/coordinator.ts'
import { inProcessEnclaveContext } from '../../src/tee/sim/runtime.ts'
import { SimulatedQuotingEnclave, produceQuote } from '../../src/tee/qe.ts'
import { createAttestationRoot } from '../../src/tee/root.ts'
import { policyToJson } from '../../src/tee/policy.ts'
import { encodeReportBody, reportQuoteChallenge, reportSigningBytes, decodeReportBody } from '../../src/propagation/tee/report.ts'
import { nodeSigner } from '../../src/propagation/tee/node-signature.ts'
import { decodePlanBody } from '../../src/propagation/tee/plan.ts'
import type { EcallValue } from '../../src/tee/sim/messages.ts'
import type { Report } from '../../src/propagation/tee/messages.ts'

import { EPOCH, EPOCH_MS, identity, keys, LINKS, NOW, policy, qe, root } from '../helpers/two-groups.ts'

const params = { trees: 2, maxTreeDegree: 4, omissionMinSamples: 20, omissionRatio: 0.1, reportMaxAgeEpochs: 33, exclusionEpochs: 3 }
const quoteOf = (node: number, epoch: number, q = qe): Uint8Array => produceQuote(q, identity, keys[node]!.id, reportQuoteChallenge(epoch))

function report(node: number, epoch: number, quote?: Uint8Array): { body: Uint8Array; signature: Uint8Array } {
  const links = LINKS.filter(([a, b]) => a === node || b === node).map(([a, b, att]) => ({ peer: keys[a === node ? b : a]!.hex, rttMs: 10, attested: att }))
  const r: Report = { epoch, node: keys[node]!.hex, attested: true, seq: 0, links, omissions: [], ...(quote !== undefined ? { quote } : {}) }
  const body = encodeReportBody(r)
  return { body, signature: nodeSigner(keys[node]!.priv, keys[node]!.id)(reportSigningBytes(body)) }
}

/** Plans EPOCH from reports of A (no quotes) and of B (4's and 5's built by `b`), with the policy unless `attest` is null. */
function plan(b: (node: number) => { body: Uint8Array; signature: Uint8Array }, attest: EcallValue = { policy: policyToJson(policy) as unknown as EcallValue, now: NOW, epochMs: EPOCH_MS }) {
  const reports = [0, 1, 2].map((i) => report(i, EPOCH)).concat([4, 5].map(b))
  const out = planEcall(inProcessEnclaveContext(), EPOCH, keys[0]!.hex, reports, params, null, attest) as { body: Uint8Array; ignored: string[] }
  const body = decodePlanBody(out.body)
  const relay = (i: number): boolean => body.interior[body.nodes.indexOf(keys[i]!.hex)] === true
  return { body, ignored: out.ignored, relay }
}

test('coordinator enclave: a second attested group joined only through an unattested node is vouched for by its quote', () => {
  // Without quotes (the rule before): no vouched node names B as an attested peer (U does not report), so B is out.
  const none = plan((i) => report(i, EPOCH))
  assert.deepEqual(new Set(none.ignored), new Set([keys[4]!.hex, keys[5]!.hex]))
  assert.ok(!none.relay(4) && !none.relay(5))
  // 4 carries its quote; 5 is vouched through 4's attested link.
  const one = plan((i) => report(i, EPOCH, i === 4 ? quoteOf(4, EPOCH) : undefined))
  assert.deepEqual(one.ignored, [])
  for (const i of [0, 1, 2, 4, 5]) assert.ok(one.relay(i), `node ${i} may relay`)
  assert.ok(!one.relay(3), 'the unattested node is a leaf')
  // Every tree is a forest of two subtrees, one per group, and every node is in it.
  for (const tree of one.body.parents) {
    assert.equal(tree.filter((p) => p === -1).length, 2, 'one root per group')
    assert.ok(tree.every((p) => p !== -2), 'every node is in every tree')
  }
  // An enclave given no policy ignores quotes.
  assert.deepEqual(new Set(plan((i) => report(i, EPOCH, quoteOf(i, EPOCH)), null).ignored), new Set([keys[4]!.hex, keys[5]!.hex]))
})

test('coordinator enclave: a forged quote vouches for nothing (another node id, another epoch, a bad signature, an untrusted root)', () => {
  const other = SimulatedQuotingEnclave.create(createAttestationRoot(), () => NOW)
  const flipped = (q: Uint8Array): Uint8Array => {
    const c = q.slice()
    c[100]! ^= 1 // in the signed report body: the attestation key's signature no longer verifies
    return c
  }
  const forged: [string, Uint8Array][] = [
    ['another node\'s quote', quoteOf(5, EPOCH)],
    ['the challenge of another epoch', quoteOf(4, EPOCH - 1)],
    ['a bad signature', flipped(quoteOf(4, EPOCH))],
    ['a root the policy does not trust', quoteOf(4, EPOCH, other)],
  ]
  for (const [what, q] of forged) {
    const r = plan((i) => report(i, EPOCH, i === 4 ? q : undefined))
    assert.deepEqual(new Set(r.ignored), new Set([keys[4]!.hex, keys[5]!.hex]), `${what}: B is not vouched`)
    assert.ok(!r.relay(4) && !r.relay(5), `${what}: no relay in B`)
  }
  // The control: the genuine quote passes the same path.
  assert.deepEqual(plan((i) => report(i, EPOCH, i === 4 ? quoteOf(4, EPOCH) : undefined)).ignored, [])
})

test('coordinator enclave: a replayed old report\'s quote is stale', () => {
  // A report of 4 from epoch 5 with its (then valid) quote: outside the 33-epoch window of epoch 40, it counts for nothing.
  const old = plan((i) => (i === 4 ? report(4, 5, quoteOf(4, 5)) : report(i, EPOCH)))
  assert.ok(old.ignored.includes(keys[5]!.hex) && !old.relay(4), 'the old report vouches for no one')
  // Within the window it still counts (a node re-signs only when its report changes): epoch 20's quote for epoch 20.
  const held = plan((i) => (i === 4 ? report(4, 20, quoteOf(4, 20)) : report(i, EPOCH)))
  assert.deepEqual(held.ignored, [])
  // An old quote copied into a new report of epoch 40 does not bind epoch 40.
  const copied = plan((i) => (i === 4 ? report(4, EPOCH, quoteOf(4, 5)) : report(i, EPOCH)))
  assert.ok(copied.ignored.includes(keys[4]!.hex))
})

test('report body: the quote is optional, one encoding each, and bounded', () => {
  const q = quoteOf(4, EPOCH)
  const r: Report = { epoch: 3, node: keys[4]!.hex, attested: true, seq: 1, links: [], omissions: [] }
  const plain = encodeReportBody(r)
  const withQuote = encodeReportBody({ ...r, quote: q })
  assert.equal(withQuote.length, plain.length + 2 + q.length, 'a u16 length and the quote, after the omissions')
  assert.deepEqual(decodeReportBody(withQuote), { ...r, quote: q })
  assert.deepEqual(decodeReportBody(plain), r, 'no quote: no field, laid out as before')
  const zero = new Uint8Array([...plain, 0, 0])
  assert.throws(() => decodeReportBody(zero), /quote of 0 bytes/, 'an empty quote is written as absent')
  assert.throws(() => decodeReportBody(withQuote.subarray(0, withQuote.length - 1)), /truncated/)
  assert.throws(() => encodeReportBody({ ...r, quote: new Uint8Array(16_385) }), /report quote/)
})
