/**
 * Plan authentication for relays, and the coordinator's side of producing a signed plan.
 *
 * A plan is accepted only if (1) the enclave key's secp256k1 signature over PLAN_DOMAIN || body verifies, and (2) the
 * coordinator's quote passes the network's attestation policy with REPORTDATA binding that enclave key and the
 * challenge SHA-256(PLAN_DOMAIN || body). (2) proves the key lives in an allowed enclave program; the program signs
 * only plans it computed itself, so (1) proves the body came out of that code.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import type { SignedPlan, SignedReport } from '../propagation/tee/messages.ts'
import { planChallenge, planSigningBytes } from '../propagation/tee/plan.ts'
import type { PlanCheck, RelayAuthority } from '../propagation/tee/relay.ts'
import type { TeeParams } from '../propagation/tee/params.ts'
import { decodePlanBody } from '../propagation/tee/plan.ts'
import { nodeSigner, verifyNodeSignature } from '../propagation/tee/node-signature.ts'
import { reportSigningBytes } from '../propagation/tee/report.ts'
import { policyToJson, type Policy } from './policy.ts'
import { verifyQuote } from './verifier.ts'
import { bytesEqual } from './crypto.ts'
import type { EcallValue } from './sim/messages.ts'

/** Coordinator keys change once per epoch at most: parse each once. */
const enclaveKeys = new Map<string, KeyObject>()

export function verifyEnclaveSignature(enclaveKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (enclaveKey.length !== 65 || enclaveKey[0] !== 4 || signature.length !== 64) return false
  try {
    const hex = Buffer.from(enclaveKey).toString('hex')
    let key = enclaveKeys.get(hex)
    if (key === undefined) {
      key = createPublicKey({
        key: { kty: 'EC', crv: 'secp256k1', x: Buffer.from(enclaveKey.subarray(1, 33)).toString('base64url'), y: Buffer.from(enclaveKey.subarray(33)).toString('base64url') },
        format: 'jwk',
      })
      if (enclaveKeys.size > 256) enclaveKeys.clear()
      enclaveKeys.set(hex, key)
    }
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}

export function checkSignedPlan(plan: SignedPlan, policy: Policy, now: number): PlanCheck {
  const pure = planSignatureVerdict(plan)
  if (!pure.signatureOk) return { ok: false, reason: 'bad-plan-signature: the enclave signature over the plan does not verify' }
  const v = verifyQuote(plan.quote, { policy, nodePublicKey: plan.enclaveKey.subarray(1), challenge: pure.challenge, now })
  if (!v.ok) return { ok: false, reason: `coordinator-quote-rejected: ${v.reason} (${v.detail})` }
  return { ok: true }
}

/**
 * The parts of a plan check that depend on the plan's bytes alone: the enclave signature's verdict and the quote's
 * challenge, both over the whole body. Kept per body bytes object, for the key and signature it was checked with:
 * the simulator's nodes adopt one shared plan (or one rebuilt delta), and at 8,000 nodes hashing and verifying the
 * 0.5 MB body once per node was O(N^2). A node decodes each plan it receives, so it checks each one.
 */
function planSignatureVerdict(plan: SignedPlan): { signatureOk: boolean; challenge: Uint8Array } {
  const hit = planVerdicts.get(plan.bodyBytes)
  if (hit !== undefined && bytesEqual(hit.enclaveKey, plan.enclaveKey) && bytesEqual(hit.signature, plan.signature)) return hit
  const v = {
    enclaveKey: plan.enclaveKey,
    signature: plan.signature,
    signatureOk: verifyEnclaveSignature(plan.enclaveKey, planSigningBytes(plan.bodyBytes), plan.signature),
    challenge: planChallenge(plan.bodyBytes),
  }
  planVerdicts.set(plan.bodyBytes, v)
  return v
}
const planVerdicts = new WeakMap<Uint8Array, { enclaveKey: Uint8Array; signature: Uint8Array; signatureOk: boolean; challenge: Uint8Array }>()

/** Verdicts per report object: the simulator hands one object to every node, so each is checked once. */
const reportVerdicts = new WeakMap<SignedReport, boolean>()

/** A report's devp2p signature by the node it names. */
export function verifyReportSignature(r: SignedReport): boolean {
  let ok = reportVerdicts.get(r)
  if (ok === undefined) {
    ok = verifyNodeSignature(Buffer.from(r.report.node, 'hex'), reportSigningBytes(r.bodyBytes), r.signature)
    reportVerdicts.set(r, ok)
  }
  return ok
}

/** The RelayAuthority of a node: its policy for plans (none: every plan is refused), its devp2p key for reports. */
export function relayAuthority(policy: Policy | undefined, nodeKey: Uint8Array, nodeId: Uint8Array, quote?: (nodeId: Uint8Array, challenge: Uint8Array) => Uint8Array): RelayAuthority {
  const sign = nodeSigner(nodeKey, nodeId)
  return {
    verifyPlan: (plan, now) => (policy === undefined ? { ok: false, reason: 'no attestation policy configured: plans cannot be verified' } : checkSignedPlan(plan, policy, now)),
    signReport: (body) => sign(reportSigningBytes(body)),
    verifyReport: verifyReportSignature,
    ...(quote !== undefined ? { reportQuote: (challenge: Uint8Array) => quote(nodeId, challenge) } : {}),
  }
}

/**
 * What the coordinator's enclave checks report quotes against: the network's policy and the host's clock (see the
 * `plan` ecall, src/tee/programs/coordinator.ts). Without it the enclave ignores quotes in reports.
 */
export interface PlanAttestation {
  policy: Policy
  now: number
}

/** What a coordinator host needs: the `plan` ecall, and a quote over (enclave key, challenge). */
export interface PlanningEnclave {
  readonly publicKey: Uint8Array
  ecall(name: 'plan', ...args: EcallValue[]): Promise<EcallValue> | EcallValue
  quote(enclaveKey64: Uint8Array, challenge: Uint8Array): Uint8Array
}

/**
 * The `plan` ecall's arguments: the one place they are spelled out. `running`: the plan this host runs, signed (its
 * exclusions go on; verified in the enclave, it carries the vouches of its relays: src/tee/programs/coordinator.ts).
 */
function planArgs(epoch: number, coordinator: string, reports: readonly SignedReport[], params: TeeParams, running: SignedPlan | undefined, attestation: PlanAttestation | undefined): EcallValue[] {
  return [
    epoch,
    coordinator,
    reports.map((x) => ({ body: x.bodyBytes, signature: x.signature })),
    { trees: params.trees, maxTreeDegree: params.maxTreeDegree, omissionMinSamples: params.omissionMinSamples, omissionRatio: params.omissionRatio, reportMaxAgeEpochs: params.reportMaxAgeEpochs, exclusionEpochs: params.exclusionEpochs, vouchTermEpochs: params.vouchTermEpochs },
    running === undefined ? null : { body: running.bodyBytes, enclaveKey: running.enclaveKey, signature: running.signature, quote: running.quote },
    attestation === undefined ? null : { policy: policyToJson(attestation.policy) as unknown as EcallValue, now: attestation.now, epochMs: params.epochMs },
  ]
}

/** The ecall's answer (the signed body) as a SignedPlan, quoted over the enclave key and the plan challenge. */
function signedPlanOf(enclave: PlanningEnclave, result: EcallValue): SignedPlan {
  const r = result as { body: Uint8Array; signature: Uint8Array }
  const quote = enclave.quote(enclave.publicKey.subarray(1), planChallenge(r.body))
  return { body: decodePlanBody(r.body), bodyBytes: r.body, enclaveKey: enclave.publicKey, signature: r.signature, quote }
}

/** The coordinator's plan for `epoch`, from an enclave in a worker (the node). */
export async function computeSignedPlan(enclave: PlanningEnclave, epoch: number, coordinator: string, reports: readonly SignedReport[], params: TeeParams, running?: SignedPlan, attestation?: PlanAttestation): Promise<SignedPlan> {
  return signedPlanOf(enclave, await enclave.ecall('plan', ...planArgs(epoch, coordinator, reports, params, running, attestation)))
}

/** The same, from an in-process enclave whose ecall answers at once (the simulator and the tests run on a virtual clock). */
export function computeSignedPlanNow(enclave: PlanningEnclave, epoch: number, coordinator: string, reports: readonly SignedReport[], params: TeeParams, running?: SignedPlan, attestation?: PlanAttestation): SignedPlan {
  const r = enclave.ecall('plan', ...planArgs(epoch, coordinator, reports, params, running, attestation))
  if (r instanceof Promise) throw new Error('computeSignedPlanNow: the enclave answered asynchronously; use computeSignedPlan')
  return signedPlanOf(enclave, r)
}
