/**
 * The testnet attestation root and the attestation-key certificate.
 *
 * DCAP chains a quote to Intel's root: the attestation key is bound into the Quoting Enclave's REPORTDATA, that QE
 * report is signed by the platform's PCK key, and the PCK certificate chains to Intel's root CA. The simulation
 * collapses PCK and CA into one testnet root (P-256): the root signs the QE report body directly, and the quote's
 * certification data is the root public key. The verifier trusts a root only if its key is in the policy.
 *
 * The root's private key is created by `teecast attest init` and kept in the attestation dir: a testnet only.
 */
import { randomBytes } from 'node:crypto'
import { encodeReportBody, emptyReportBody } from './quote/report-body.ts'
import { generateP256, p256Sign, sha256, type P256KeyPair } from './crypto.ts'
import { QE_AUTH_DATA_SIZE, SIM_QE_MRENCLAVE, SIM_QE_MRSIGNER, SIM_QE_PRODID, SIM_QE_SVN, SIM_XFRM } from './constants.ts'
import { ATTR_INIT, ATTR_MODE64BIT } from './quote/layout.ts'

export type AttestationRoot = P256KeyPair
export const createAttestationRoot = (): AttestationRoot => generateP256()

/** What the quote carries to chain the attestation key to the root. */
export interface AttestationKeyCertificate {
  attestationPublicKey: Uint8Array // 64
  qeReportBody: Uint8Array // 384
  qeReportSignature: Uint8Array // 64, by the root
  qeAuthData: Uint8Array
  rootPublicKey: Uint8Array // 64
}

/** QE REPORTDATA binding: SHA-256(attestation key || QE auth data) || 32 zero bytes, as in DCAP. */
export function qeReportDataFor(attestationPublicKey: Uint8Array, qeAuthData: Uint8Array): Uint8Array {
  const rd = new Uint8Array(64)
  rd.set(sha256(attestationPublicKey, qeAuthData))
  return rd
}

/** The root certifies an attestation key: a QE report body binding the key, signed by the root. */
export function certifyAttestationKey(root: AttestationRoot, attestationPublicKey: Uint8Array): AttestationKeyCertificate {
  const qeAuthData = new Uint8Array(randomBytes(QE_AUTH_DATA_SIZE))
  const body = emptyReportBody()
  body.attributesFlags = ATTR_INIT | ATTR_MODE64BIT
  body.attributesXfrm = SIM_XFRM
  body.mrEnclave = SIM_QE_MRENCLAVE
  body.mrSigner = SIM_QE_MRSIGNER
  body.isvProdId = SIM_QE_PRODID
  body.isvSvn = SIM_QE_SVN
  body.reportData = qeReportDataFor(attestationPublicKey, qeAuthData)
  const qeReportBody = encodeReportBody(body)
  return { attestationPublicKey, qeReportBody, qeReportSignature: p256Sign(root, qeReportBody), qeAuthData, rootPublicKey: root.publicKey }
}
