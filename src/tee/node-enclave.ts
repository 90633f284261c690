/**
 * What a tee node's enclave offers the layers around it (tee/1 hello, the coordinator, teecast_attest). The node
 * starts one (`src/node/enclave-host.ts`); rpc and p2p take it as this type, so they need not import the node.
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
