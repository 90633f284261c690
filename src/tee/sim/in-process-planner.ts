/**
 * The coordinator program's `plan` ecall run in-process (no worker, no isolation) with a fresh enclave key, as a
 * PlanningEnclave: the simulator and the tests plan on a virtual clock with it, through the same plan builder as a
 * node (plan-auth.ts `computeSignedPlanNow`). The quote comes from the caller's simulated QE.
 */
import { planEcall } from '../programs/coordinator.ts'
import { inProcessEnclaveContext } from './runtime.ts'
import type { PlanningEnclave } from '../plan-auth.ts'

export function inProcessPlanningEnclave(quote: (enclaveKey64: Uint8Array, challenge: Uint8Array) => Uint8Array): PlanningEnclave {
  const ctx = inProcessEnclaveContext()
  return {
    publicKey: ctx.publicKey,
    ecall: (name, ...args) => {
      if (name !== 'plan') throw new Error(`in-process planner: no ecall ${String(name)}`)
      return planEcall(ctx, args[0]!, args[1]!, args[2]!, args[3]!, args[4] ?? null, args[5] ?? null)
    },
    quote,
  }
}
