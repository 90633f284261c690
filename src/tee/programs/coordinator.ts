/**
 * The broadcast coordinator program: what every tee node's enclave runs. Besides the attestation built-ins it has
 * `plan(epoch, coordinator, reports, params, running, attestation)`: it checks each report's devp2p signature, and the
 * quote a report may carry against the attestation policy (a node so proven is vouched for without an attested path),
 * computes the plan from the verified reports (src/propagation/tee/coordinator.ts: vouching, omission exclusion, K
 * degree-bounded low-latency trees), continues the exclusions of `running` (the plan the host runs, or null; see
 * coordinator.ts for what a host that lies about it can and cannot do) and signs the encoded body with the enclave
 * key. The host only carries bytes in and out: it cannot choose
 * the trees, and the runtime refuses to `sign` anything under the "teecast/" domain on the host's behalf.
 *
 * v4: `running` may be the whole signed plan ({ body, enclaveKey, signature, quote }) instead of its body bytes. When
 * its enclave signature and its quote verify under the attestation policy (an allowed enclave signed it, so every
 * node it made a relay was vouched for by an enclave: by an attested path, a quote, or an earlier such plan), its
 * relays outside this coordinator's subtree stay vouched without a quote of their own (coordinator.ts
 * carriedVouches: from the last epoch's plan or this one's only, within each node's vouch term, and only with an
 * attested report of the node's own in the age window). A running plan that does not verify carries no vouch; its
 * exclusions are continued as before (they are bounded whatever the host says).
 */
import { runProgram, type EnclaveContext } from '../sim/runtime.ts'
import type { EcallValue } from '../sim/messages.ts'
import { carriedExclusions, carriedVouches, planFromReports, type PlanningParams } from '../../propagation/tee/coordinator.ts'
import { decodePlanBody, encodePlanBody, planSigningBytes } from '../../propagation/tee/plan.ts'
import type { PlanBody } from '../../propagation/tee/messages.ts'
import { checkSignedPlan } from '../plan-auth.ts'
import { decodeReportBody, reportQuoteChallenge, reportSigningBytes } from '../../propagation/tee/report.ts'
import { verifyNodeSignature } from '../../propagation/tee/node-signature.ts'
import type { Report } from '../../propagation/tee/messages.ts'
import { policyFromJson, type Policy } from '../policy.ts'
import { verifyQuote } from '../verifier.ts'

export const COORDINATOR_PROGRAM_NAME = 'teecast-coordinator'
export const COORDINATOR_PROGRAM_VERSION = 5

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array

/**
 * The check of a report's own quote (coordinator.ts `quoteOk`): it verifies under `policy` for the report's node id and
 * reportQuoteChallenge(report epoch). Freshness is the epoch's: the planner takes reports of the last
 * reportMaxAgeEpochs epochs only, so the quote's age limit is the policy's plus that window (a node re-signs its
 * report only when it changed, and its quote rides with it).
 */
function reportQuoteCheck(policy: Policy, now: number, windowSec: number): (r: Report) => boolean {
  const p: Policy = { ...policy, maxQuoteAgeSec: policy.maxQuoteAgeSec + windowSec }
  return (r) => r.quote !== undefined && verifyQuote(r.quote, { policy: p, nodePublicKey: new Uint8Array(Buffer.from(r.node, 'hex')), challenge: reportQuoteChallenge(r.epoch), now }).ok
}

/**
 * The `attestation` argument: null (quotes in reports are ignored), or { policy: the network's policy as JSON (policy.ts
 * PolicyJson), now: the host's clock in ms, epochMs }. Both come from the host; docs/tee-protocol.md says what a host
 * that lies about them can do (no more than a vouched host can already).
 */
interface Attestation {
  policy: Policy
  now: number
  epochMs: number
}

function attestationOf(v: EcallValue): Attestation | undefined {
  if (v === null) return undefined
  const o = v as Record<string, EcallValue>
  if (typeof o !== 'object' || Array.isArray(o) || isBytes(o)) throw new Error('plan: attestation must be null or an object')
  const now = o['now']
  const epochMs = o['epochMs']
  if (typeof now !== 'number' || !Number.isFinite(now) || typeof epochMs !== 'number' || !Number.isFinite(epochMs) || epochMs <= 0) throw new Error('plan: attestation.now and attestation.epochMs must be numbers')
  return { policy: policyFromJson(o['policy']), now, epochMs }
}

/**
 * The `running` argument: null, the plan body's bytes (exclusions only), or the signed plan. Its body is decoded
 * (and its structure checked) either way: an undecodable body is refused, not ignored (the host sent garbage).
 * `verified`: the signed plan's enclave signature and quote pass `attestation`'s policy; its quote may be up to two
 * epochs old (carriedVouches takes a plan of the last epoch or this one only).
 */
function runningOf(v: EcallValue, attestation: Attestation | undefined): { body: PlanBody; verified: boolean } | undefined {
  if (v === null) return undefined
  if (isBytes(v)) return { body: decodePlanBody(v), verified: false }
  const o = v as Record<string, EcallValue>
  const body = o?.['body']
  const enclaveKey = o?.['enclaveKey']
  const signature = o?.['signature']
  const quote = o?.['quote']
  if (typeof o !== 'object' || Array.isArray(o) || !isBytes(body) || !isBytes(enclaveKey) || !isBytes(signature) || !isBytes(quote)) throw new Error('plan: running must be null, plan body bytes or { body, enclaveKey, signature, quote }')
  const decoded = decodePlanBody(body)
  if (attestation === undefined) return { body: decoded, verified: false }
  const policy: Policy = { ...attestation.policy, maxQuoteAgeSec: attestation.policy.maxQuoteAgeSec + Math.ceil((2 * attestation.epochMs) / 1000) }
  const check = checkSignedPlan({ body: decoded, bodyBytes: body, enclaveKey, signature, quote }, policy, attestation.now)
  return { body: decoded, verified: check.ok }
}

/** The `plan` ecall, exported so the simulator can run the same code in-process. */
export function planEcall(ctx: EnclaveContext, epoch: EcallValue, coordinator: EcallValue, reports: EcallValue, params: EcallValue, running: EcallValue = null, attestation: EcallValue = null): EcallValue {
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0) throw new Error('plan: epoch must be a non-negative integer')
  if (typeof coordinator !== 'string' || !/^[0-9a-f]{128}$/.test(coordinator)) throw new Error('plan: coordinator must be a 128-hex node id')
  if (!Array.isArray(reports)) throw new Error('plan: reports must be a list')
  const p = params as Record<string, unknown> | null
  const num = (k: string): number => {
    const v = p?.[k]
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`plan: params.${k} must be a number`)
    return v
  }
  const planning: PlanningParams = { trees: num('trees'), maxTreeDegree: num('maxTreeDegree'), omissionMinSamples: num('omissionMinSamples'), omissionRatio: num('omissionRatio'), reportMaxAgeEpochs: num('reportMaxAgeEpochs'), exclusionEpochs: num('exclusionEpochs'), vouchTermEpochs: p?.['vouchTermEpochs'] === undefined ? 0 : num('vouchTermEpochs') }
  if (!Number.isInteger(planning.vouchTermEpochs) || planning.vouchTermEpochs < 0) throw new Error('plan: params.vouchTermEpochs must be a whole number >= 0')
  const att = attestationOf(attestation)
  const run = runningOf(running, att)
  const carried = run === undefined ? [] : carriedExclusions(run.body, epoch, planning.exclusionEpochs)
  // Only a plan an allowed enclave signed carries vouches: the host's word is not enough.
  const vouchedBefore = run?.verified === true ? carriedVouches(run.body, epoch, coordinator, planning.vouchTermEpochs) : new Set<string>()
  const verified: Report[] = []
  let rejected = 0
  for (const r of reports) {
    const o = r as Record<string, EcallValue> | null
    const body = o?.['body']
    const signature = o?.['signature']
    if (!isBytes(body) || !isBytes(signature)) {
      rejected++
      continue
    }
    try {
      const report = decodeReportBody(body)
      if (verifyNodeSignature(Buffer.from(report.node, 'hex'), reportSigningBytes(body), signature)) verified.push(report)
      else rejected++
    } catch {
      rejected++
    }
  }
  const quoteOk = att === undefined ? undefined : reportQuoteCheck(att.policy, att.now, Math.ceil((planning.reportMaxAgeEpochs * att.epochMs) / 1000))
  const result = planFromReports(epoch, coordinator, verified, planning, carried, quoteOk, vouchedBefore)
  const bodyBytes = encodePlanBody(result.body)
  return { body: bodyBytes, signature: ctx.sign(planSigningBytes(bodyBytes)), rejected, ignored: result.ignored, excluded: result.excluded, carried: [...vouchedBefore].sort() }
}

export default runProgram({
  name: COORDINATOR_PROGRAM_NAME,
  ecalls: {
    hello: () => ({ name: COORDINATOR_PROGRAM_NAME, version: COORDINATOR_PROGRAM_VERSION }),
    plan: planEcall,
  },
})
