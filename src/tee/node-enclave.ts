/**
 * A tee node's enclave, as the rest of the node sees it: the one interface (the simulated backend's host is
 * src/node/enclave-host.ts). tee/1's hello sends its quote (and teecast_attest serves it); a coordinator asks it for
 * the epoch's plan (`planner`).
 */
import type { PlanningEnclave } from './plan-auth.ts'

export interface NodeEnclave {
  /** Quote binding this node's 64-byte devp2p id and a verifier's 32-byte challenge. */
  quote(nodeId: Uint8Array, challenge: Uint8Array): Uint8Array
  /** The coordinator side: the `plan` ecall and quotes over the enclave's own key. */
  readonly planner: PlanningEnclave
  readonly mrEnclave: Uint8Array
  close(): Promise<void>
}

/** What tee/1 uses of it: the hello's quote and the planner. */
export type TeeNodeEnclave = Pick<NodeEnclave, 'quote' | 'planner'>
