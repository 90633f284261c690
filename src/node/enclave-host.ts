/**
 * A tee node's enclave: the current enclave program launched in the simulated backend (a worker thread, measured,
 * EINIT-checked against the testnet signer's SIGSTRUCT), and the testnet's simulated Quoting Enclave, which turns the
 * enclave's identity plus (node id, challenge) into a quote. tee/1 will send that quote in its hello; until then the
 * node serves it over teecast_attest.
 */
import { loadAttestDir } from '../tee/attest-dir.ts'
import { produceQuote, SimulatedQuotingEnclave } from '../tee/qe.ts'
import { bundleProgram } from '../tee/sim/bundle.ts'
import { signEnclave } from '../tee/sim/sigstruct.ts'
import { SimulatedEnclave } from '../tee/sim/simulated-enclave.ts'
import { CURRENT_PROGRAM } from '../tee/programs/index.ts'

export interface NodeEnclave {
  /** Quote binding this node's 64-byte devp2p id and a verifier's 32-byte challenge. */
  quote(nodeId: Uint8Array, challenge: Uint8Array): Uint8Array
  readonly mrEnclave: Uint8Array
  close(): Promise<void>
}

export async function startNodeEnclave(attestationDir: string, now: () => number = Date.now): Promise<NodeEnclave> {
  const d = loadAttestDir(attestationDir)
  const bundle = bundleProgram(CURRENT_PROGRAM.entry)
  const sig = signEnclave(d.signer, bundle.measurement, CURRENT_PROGRAM.isvProdId, CURRENT_PROGRAM.isvSvn)
  const enclave = await SimulatedEnclave.launch(CURRENT_PROGRAM, sig)
  const qe = SimulatedQuotingEnclave.create(d.root, now)
  return {
    mrEnclave: enclave.identity.mrEnclave,
    quote: (nodeId, challenge) => produceQuote(qe, enclave.identity, nodeId, challenge),
    close: () => enclave.close(),
  }
}
