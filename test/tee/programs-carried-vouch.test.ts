/**
 * The coordinator enclave program's `plan` ecall (v4) with the running plan signed: a relay of another attested group,
 * vouched for by its quote once, stays vouched in the next plan without a quote of its own, and only when that holds
 * for good reasons. Refused (the group is left out): a running plan that is only body bytes (the host's word), whose
 * enclave signature or quote does not verify, or that a host wrote itself; a node the running plan did not make a
 * relay (never verified); a running plan older than the last epoch, a new vouch term of the node, carrying turned off,
 * and a node whose own report left the age window (a stale vouch expires).
 *
 * Topology (as programs-report-quote.test.ts): A = {0, 1, 2} (attested ring, 0 coordinates), U = 3 (an unattested tee
 * node, linked to 2 and 4), B = {4, 5} (attested, linked to each other). No attested link joins A and B.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planEcall } from '../../src/tee/programs/coordinator.ts'
import { inProcessEnclaveContext } from '../../src/tee/sim/runtime.ts'
import { SimulatedQuotingEnclave, produceQuote } from '../../src/tee/qe.ts'
import { createAttestationRoot } from '../../src/tee/root.ts'
import { policyToJson } from '../../src/tee/policy.ts'
import { encodeReportBody, reportQuoteChallenge, reportSigningBytes } from '../../src/propagation/tee/report.ts'
import { nodeSigner } from '../../src/propagation/tee/node-signature.ts'
import { decodePlanBody, planChallenge, planSigningBytes } from '../../src/propagation/tee/plan.ts'
import { vouchTerm } from '../../src/propagation/tee/coordinator.ts'
import type { EcallValue } from '../../src/tee/sim/messages.ts'
import type { Report } from '../../src/propagation/tee/messages.ts'

import { EPOCH, EPOCH_MS, identity, keys, LINKS, NOW, policy, qe, root } from '../helpers/two-groups.ts'

const attest = { policy: policyToJson(policy) as unknown as EcallValue, now: NOW, epochMs: EPOCH_MS }
const PARAMS = { trees: 2, maxTreeDegree: 4, omissionMinSamples: 20, omissionRatio: 0.1, reportMaxAgeEpochs: 33, exclusionEpochs: 3, vouchTermEpochs: 64 }
const B = [4, 5]

function report(node: number, epoch: number, quote?: Uint8Array, seq = 0): { body: Uint8Array; signature: Uint8Array } {
  const links = LINKS.filter(([a, b]) => a === node || b === node).map(([a, b, att]) => ({ peer: keys[a === node ? b : a]!.hex, rttMs: 10 + seq, attested: att }))
  const r: Report = { epoch, node: keys[node]!.hex, attested: true, seq, links, omissions: [], ...(quote !== undefined ? { quote } : {}) }
  const body = encodeReportBody(r)
  return { body, signature: nodeSigner(keys[node]!.priv, keys[node]!.id)(reportSigningBytes(body)) }
}

/** Each coordinator host has its own enclave key; a plan is quoted over that key and the plan's challenge. */
const enclave = inProcessEnclaveContext()
const standIn = inProcessEnclaveContext()

interface Planned {
  body: Uint8Array
  signed: EcallValue
  relay: (i: number) => boolean
  ignored: string[]
  carried: string[]
}

/**
 * Plans `epoch` from A's reports of that epoch and B's built by `b`, with `running` and `params`, in `ctx`'s enclave.
 * `signed` is the result as the host would pass it on as the next ecall's running plan.
 */
function plan(epoch: number, b: (node: number) => { body: Uint8Array; signature: Uint8Array }, running: EcallValue = null, params: Record<string, number> = PARAMS, ctx = enclave): Planned {
  const reports = [0, 1, 2].map((i) => report(i, epoch)).concat(B.map(b))
  const out = planEcall(ctx, epoch, keys[0]!.hex, reports, params, running, attest) as { body: Uint8Array; signature: Uint8Array; ignored: string[]; carried: string[] }
  const body = decodePlanBody(out.body)
  const quote = produceQuote(qe, identity, ctx.publicKey.subarray(1), planChallenge(out.body))
  return {
    body: out.body,
    signed: { body: out.body, enclaveKey: ctx.publicKey, signature: out.signature, quote },
    relay: (i) => body.interior[body.nodes.indexOf(keys[i]!.hex)] === true,
    ignored: out.ignored,
    carried: out.carried,
  }
}

/** Epoch EPOCH - 1: 4 proves itself by its quote (5 through 4's attested link). */
const vouchedByQuote = (): Planned => plan(EPOCH - 1, (i) => report(i, EPOCH - 1, i === 4 ? quoteOf(4, EPOCH - 1) : undefined))
const quoteOf = (node: number, epoch: number): Uint8Array => produceQuote(qe, identity, keys[node]!.id, reportQuoteChallenge(epoch))
/** B re-signs at EPOCH (its links changed) without a quote: the running plan must vouch for it. */
const resigned = (i: number): { body: Uint8Array; signature: Uint8Array } => report(i, EPOCH, undefined, 1)
const outB = (p: Planned, what: string): void => {
  assert.deepEqual(new Set(p.ignored), new Set(B.map((i) => keys[i]!.hex)), `${what}: B is not vouched`)
  for (const i of B) assert.ok(!p.relay(i), `${what}: node ${i} is no relay`)
}

test('coordinator enclave v4: a verified running plan carries the vouch of its relays in another group; without it, they need their quote', () => {
  const before = vouchedByQuote()
  for (const i of [0, 1, 2, 4, 5]) assert.ok(before.relay(i), `epoch ${EPOCH - 1}: node ${i} relays`)
  const next = plan(EPOCH, resigned, before.signed)
  assert.deepEqual(next.ignored, [])
  for (const i of [0, 1, 2, ...B]) assert.ok(next.relay(i), `epoch ${EPOCH}: node ${i} still relays, no quote`)
  // Only B is carried: the coordinator's own group is vouched by attested paths, as before (a dead relay there drops
  // out when its peers report the lost link).
  assert.deepEqual(new Set(next.carried), new Set(B.map((i) => keys[i]!.hex)))
  // And on: the plan of EPOCH carries it into EPOCH + 1, planned by another candidate's enclave (a stand-in).
  const after = plan(EPOCH + 1, (i) => report(i, EPOCH + 1), next.signed, PARAMS, standIn)
  assert.deepEqual(after.ignored, [])
  for (const i of B) assert.ok(after.relay(i))
  // The same epoch planned again (a replacement) carries too.
  assert.deepEqual(plan(EPOCH, resigned, next.signed).ignored, [])
  // The control: the same reports with no running plan leave B out.
  outB(plan(EPOCH, resigned), 'no running plan')
})

test('coordinator enclave v4: a running plan that is not proven carries nothing (body bytes only, a bad signature, a bad quote, a host-written body)', () => {
  const before = vouchedByQuote()
  const s = before.signed as Record<string, Uint8Array>
  outB(plan(EPOCH, resigned, before.body), 'body bytes only (the host\'s word)')
  const flipped = s['signature']!.slice()
  flipped[10]! ^= 1
  outB(plan(EPOCH, resigned, { ...s, signature: flipped }), 'a bad enclave signature')
  const other = SimulatedQuotingEnclave.create(createAttestationRoot(), () => NOW)
  outB(plan(EPOCH, resigned, { ...s, quote: produceQuote(other, identity, enclave.publicKey.subarray(1), planChallenge(s['body']!)) }), 'a quote from a root the policy does not trust')
  outB(plan(EPOCH, resigned, { ...s, quote: produceQuote(qe, { ...identity, mrEnclave: new Uint8Array(32).fill(9) }, enclave.publicKey.subarray(1), planChallenge(s['body']!)) }), 'a quote of another enclave program')
  outB(plan(EPOCH, resigned, { ...s, quote: produceQuote(qe, identity, standIn.publicKey.subarray(1), planChallenge(s['body']!)) }), 'a quote of another enclave key')
  // A host that writes a body making B relays (never verified) and signs it with a key of its own: its quote is for
  // another key or body, and it can get none for its own key (the runtime refuses to sign under teecast/ for it).
  const host = inProcessEnclaveContext()
  const forged = plan(EPOCH - 1, (i) => report(i, EPOCH - 1, i === 4 ? quoteOf(4, EPOCH - 1) : undefined), null, PARAMS, host)
  const body = (forged.signed as Record<string, Uint8Array>)['body']!
  outB(plan(EPOCH, resigned, { body, enclaveKey: host.publicKey, signature: host.sign(planSigningBytes(body)), quote: s['quote']! }), 'a body signed by a host key with another plan\'s quote')
})

test('coordinator enclave v4: a node that was never verified is not carried, and a carried vouch expires', () => {
  // 4 never showed a quote: the running plan of EPOCH - 1 has B outside (ignored), and so does the next.
  const unproven = plan(EPOCH - 1, (i) => report(i, EPOCH - 1))
  outB(unproven, `epoch ${EPOCH - 1}, no quote`)
  outB(plan(EPOCH, resigned, unproven.signed), 'carried from a plan that did not vouch for B')
  const before = vouchedByQuote()
  // A plan older than the last epoch: a gap in the chain of plans ends every carried vouch.
  outB(plan(EPOCH + 1, (i) => report(i, EPOCH + 1), before.signed), 'from a plan two epochs old')
  // Carrying off (vouchTermEpochs 0): the rule before, a quote in every report.
  outB(plan(EPOCH, resigned, before.signed, { ...PARAMS, vouchTermEpochs: 0 }), 'vouchTermEpochs 0')
  // B's own report leaves the age window (33 epochs: B stopped reporting): nothing is carried for it.
  const late = plan(EPOCH + 32, (i) => report(i, EPOCH, i === 4 ? quoteOf(4, EPOCH) : undefined))
  assert.deepEqual(late.ignored, [], 'control: B\'s reports of 32 epochs ago are in the window')
  assert.deepEqual(plan(EPOCH + 33, (i) => report(i, EPOCH + 1), late.signed).ignored, [], 'control: carried with a report in the window')
  const gone = plan(EPOCH + 33, (i) => report(i, EPOCH), late.signed)
  for (const i of B) assert.ok(!gone.relay(i), `B's last report left the window: node ${i} is no relay`)
})

test('coordinator enclave v4: a node\'s vouch term ends the carrying, and its quote vouches again', () => {
  // Terms of 2 epochs: find an epoch e at which node 4's term changes (and 5's with it, or not: 5 is vouched via 4).
  const T = 2
  let e = EPOCH
  while (vouchTerm(keys[4]!.hex, e - 1, T) === vouchTerm(keys[4]!.hex, e, T) || vouchTerm(keys[5]!.hex, e - 1, T) === vouchTerm(keys[5]!.hex, e, T)) e++
  const p = { ...PARAMS, vouchTermEpochs: T }
  const before = plan(e - 1, (i) => report(i, e - 1, i === 4 ? quoteOf(4, e - 1) : undefined), null, p)
  assert.deepEqual(before.ignored, [])
  outB(plan(e, (i) => report(i, e, undefined, 1), before.signed, p), 'a new term without a quote')
  // With its quote of the new term, 4 (and 5 through it) is vouched again.
  assert.deepEqual(plan(e, (i) => report(i, e, i === 4 ? quoteOf(4, e) : undefined, 1), before.signed, p).ignored, [])
})
