/**
 * The broadcast coordinator program: what every tee node's enclave runs. Besides the attestation built-ins it has
 * `plan(epoch, coordinator, reports, params, running)`: it checks each report's devp2p signature, computes the plan
 * from the verified reports (src/propagation/tee/coordinator.ts: vouching, omission exclusion, K degree-bounded
 * low-latency trees), continues the exclusions of `running` (the body bytes of the plan the host runs, or null; see
 * coordinator.ts for what a host that lies about it can and cannot do) and signs the encoded body with the enclave
 * key. The host only carries bytes in and out: it cannot choose
 * the trees, and the runtime refuses to `sign` anything under the "teecast/" domain on the host's behalf.
 */
import { runProgram, type EnclaveContext } from '../sim/runtime.ts'
import type { EcallValue } from '../sim/messages.ts'
import { carriedExclusions, planFromReports, type PlanningParams } from '../../propagation/tee/coordinator.ts'
import { decodePlanBody, encodePlanBody, planSigningBytes } from '../../propagation/tee/plan.ts'
import { decodeReportBody, reportSigningBytes } from '../../propagation/tee/report.ts'
import { verifyNodeSignature } from '../../propagation/tee/node-signature.ts'
import type { Report } from '../../propagation/tee/messages.ts'

export const COORDINATOR_PROGRAM_NAME = 'teecast-coordinator'
export const COORDINATOR_PROGRAM_VERSION = 2

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array

/** The `plan` ecall, exported so the simulator can run the same code in-process. */
export function planEcall(ctx: EnclaveContext, epoch: EcallValue, coordinator: EcallValue, reports: EcallValue, params: EcallValue, running: EcallValue = null): EcallValue {
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0) throw new Error('plan: epoch must be a non-negative integer')
  if (typeof coordinator !== 'string' || !/^[0-9a-f]{128}$/.test(coordinator)) throw new Error('plan: coordinator must be a 128-hex node id')
  if (!Array.isArray(reports)) throw new Error('plan: reports must be a list')
  const p = params as Record<string, unknown> | null
  const num = (k: string): number => {
    const v = p?.[k]
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`plan: params.${k} must be a number`)
    return v
  }
  const planning: PlanningParams = { trees: num('trees'), maxTreeDegree: num('maxTreeDegree'), omissionMinSamples: num('omissionMinSamples'), omissionRatio: num('omissionRatio'), reportMaxAgeEpochs: num('reportMaxAgeEpochs'), exclusionEpochs: num('exclusionEpochs') }
  if (running !== null && !isBytes(running)) throw new Error('plan: running must be plan body bytes or null')
  // decodePlanBody checks the structure (an undecodable body is refused, not ignored: the host sent garbage).
  const carried = running === null ? [] : carriedExclusions(decodePlanBody(running), epoch, planning.exclusionEpochs)
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
  const result = planFromReports(epoch, coordinator, verified, planning, carried)
  const bodyBytes = encodePlanBody(result.body)
  return { body: bodyBytes, signature: ctx.sign(planSigningBytes(bodyBytes)), rejected, ignored: result.ignored, excluded: result.excluded }
}

export default runProgram({
  name: COORDINATOR_PROGRAM_NAME,
  ecalls: {
    hello: () => ({ name: COORDINATOR_PROGRAM_NAME, version: COORDINATOR_PROGRAM_VERSION }),
    plan: planEcall,
  },
})
