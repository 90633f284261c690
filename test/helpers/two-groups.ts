/**
 * The two-group network of the coordinator program's quote tests (programs-report-quote, programs-carried-vouch):
 * A = {0, 1, 2} (attested ring, 0 coordinates), U = 3 (an unattested tee node, linked to 2 and 4), B = {4, 5}
 * (attested, linked to each other); no attested link joins A and B. Fixed node keys, one simulated QE under one
 * attestation root, and the policy that trusts it.
 */
import { deriveKey, nodePublicKey } from '../../src/shared/keys.ts'
import { SimulatedQuotingEnclave } from '../../src/tee/qe.ts'
import { createAttestationRoot } from '../../src/tee/root.ts'
import type { Policy } from '../../src/tee/policy.ts'

export const NOW = 1_800_000_000_000
export const EPOCH_MS = 60_000
export const EPOCH = 40
export const keys = Array.from({ length: 6 }, (_, i) => {
  const priv = deriveKey('report-quote', 'node', i)
  return { priv, id: nodePublicKey(priv), hex: Buffer.from(nodePublicKey(priv)).toString('hex') }
})
/** [a, b, attested link]. */
export const LINKS: [number, number, boolean][] = [[0, 1, true], [1, 2, true], [2, 0, true], [2, 3, false], [3, 4, false], [4, 5, true]]
export const identity = { mrEnclave: new Uint8Array(32).fill(7), mrSigner: new Uint8Array(32).fill(8), isvProdId: 1, isvSvn: 1, debug: false }
export const root = createAttestationRoot()
export const qe = SimulatedQuotingEnclave.create(root, () => NOW)
export const policy: Policy = { rootPublicKeys: [root.publicKey], enclave: { kind: 'mrenclave', allowed: [identity.mrEnclave] }, allowDebug: false, maxQuoteAgeSec: 600, maxClockSkewSec: 60 }
