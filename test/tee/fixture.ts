/** Shared test fixture: a testnet root, a QE, an enclave identity, a policy and a genuine quote. */
import { randomBytes } from 'node:crypto'
import { createAttestationRoot } from '../../src/tee/root.ts'
import { generateP256 } from '../../src/tee/crypto.ts'
import { SimulatedQuotingEnclave, type EnclaveIdentity } from '../../src/tee/qe.ts'
import { bundleProgram } from '../../src/tee/sim/bundle.ts'
import { mrSignerOf } from '../../src/tee/sim/sigstruct.ts'
import { CURRENT_PROGRAM } from '../../src/tee/programs/index.ts'
import type { Policy } from '../../src/tee/policy.ts'

export const T0 = 1_800_000_000_000 // fixed clock, ms

export function fixture(now = T0) {
  const root = createAttestationRoot()
  const signer = generateP256()
  const qe = SimulatedQuotingEnclave.create(root, () => now)
  const bundle = bundleProgram(CURRENT_PROGRAM.entry)
  const identity: EnclaveIdentity = {
    mrEnclave: bundle.measurement,
    mrSigner: mrSignerOf(signer.publicKey),
    isvProdId: CURRENT_PROGRAM.isvProdId,
    isvSvn: CURRENT_PROGRAM.isvSvn,
    debug: false,
  }
  const mrenclavePolicy: Policy = {
    rootPublicKeys: [root.publicKey],
    enclave: { kind: 'mrenclave', allowed: [bundle.measurement] },
    allowDebug: false,
    maxQuoteAgeSec: 600,
    maxClockSkewSec: 30,
  }
  const mrsignerPolicy: Policy = { ...mrenclavePolicy, enclave: { kind: 'mrsigner', mrSigner: identity.mrSigner, isvProdId: identity.isvProdId, minIsvSvn: identity.isvSvn } }
  const nodePublicKey = new Uint8Array(randomBytes(64))
  return { root, signer, qe, bundle, identity, mrenclavePolicy, mrsignerPolicy, nodePublicKey }
}
