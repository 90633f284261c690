/**
 * A tee node's enclave: the current enclave program launched in the simulated backend (a worker thread, measured,
 * EINIT-checked against the testnet signer's SIGSTRUCT), and the testnet's simulated Quoting Enclave, which turns the
 * enclave's identity plus (node id, challenge) into a quote. tee/1 sends that quote in its hello (and serves it over
 * teecast_attest); a coordinator asks the enclave for the epoch's plan (`plan` ecall) and quotes the enclave key.
 */
import { loadAttestDir } from '../tee/attest-dir.ts'
import { produceQuote, SimulatedQuotingEnclave } from '../tee/qe.ts'
import { bundleProgram } from '../tee/sim/bundle.ts'
import { signEnclave } from '../tee/sim/sigstruct.ts'
import { SimulatedEnclave } from '../tee/sim/simulated-enclave.ts'
import { CURRENT_PROGRAM } from '../tee/programs/index.ts'
import type { NodeEnclave } from '../tee/node-enclave.ts'

export type { NodeEnclave } from '../tee/node-enclave.ts'

export async function startNodeEnclave(attestationDir: string, now: () => number = Date.now): Promise<NodeEnclave> {
  const d = loadAttestDir(attestationDir)
  const bundle = bundleProgram(CURRENT_PROGRAM.entry)
  const sig = signEnclave(d.signer, bundle.measurement, CURRENT_PROGRAM.isvProdId, CURRENT_PROGRAM.isvSvn)
  const enclave = await SimulatedEnclave.launch(CURRENT_PROGRAM, sig)
  const qe = SimulatedQuotingEnclave.create(d.root, now)
  return {
    mrEnclave: enclave.identity.mrEnclave,
    quote: (nodeId, challenge) => produceQuote(qe, enclave.identity, nodeId, challenge),
    planner: {
      publicKey: enclave.publicKey,
      ecall: (name, ...args) => enclave.ecall(name, ...args),
      quote: (key64, challenge) => produceQuote(qe, enclave.identity, key64, challenge),
    },
    close: () => enclave.close(),
  }
}
