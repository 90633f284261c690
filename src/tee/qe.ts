/**
 * The simulated Quoting Enclave. It holds an attestation key certified by the testnet root (root.ts) and turns an
 * ISV enclave's report body into a quote: header (with ISSUED_AT) + report body, signed by the attestation key, plus
 * the certification chain. The clock is injected so tests and verifiers control time; no Date.now() in here.
 */
import { ATT_KEY_TYPE_ECDSA_P256, ATTR_DEBUG, ATTR_INIT, ATTR_MODE64BIT, CERT_TYPE_TEECAST_ROOT, QUOTE_VERSION } from './quote/layout.ts'
import { encodeHeader, encodeQuote } from './quote/quote.ts'
import { emptyReportBody, encodeReportBody } from './quote/report-body.ts'
import { generateP256, p256Sign, sha256, type P256KeyPair } from './crypto.ts'
import { certifyAttestationKey, type AttestationKeyCertificate, type AttestationRoot } from './root.ts'
import { CHALLENGE_SIZE, NODE_ID_SIZE, SIM_PCE_SVN, SIM_QE_SVN, SIM_QE_VENDOR_ID, SIM_XFRM } from './constants.ts'
import { requireLength, TeeError } from './errors.ts'

/** Milliseconds since the Unix epoch. */
export type Clock = () => number

/** REPORTDATA = SHA-256(node id (64) || challenge (32)) || 32 zero bytes. */
export function reportDataFor(nodePublicKey: Uint8Array, challenge: Uint8Array): Uint8Array {
  requireLength('node public key', nodePublicKey, NODE_ID_SIZE)
  requireLength('challenge', challenge, CHALLENGE_SIZE)
  const rd = new Uint8Array(64)
  rd.set(sha256(nodePublicKey, challenge))
  return rd
}

/** Who the quoted enclave is: what EINIT established from the bundle and SIGSTRUCT. */
export interface EnclaveIdentity {
  mrEnclave: Uint8Array
  mrSigner: Uint8Array
  isvProdId: number
  isvSvn: number
  debug: boolean
}

export function isvReportBody(id: EnclaveIdentity, reportData: Uint8Array): Uint8Array {
  const b = emptyReportBody()
  b.attributesFlags = ATTR_INIT | ATTR_MODE64BIT | (id.debug ? ATTR_DEBUG : 0n)
  b.attributesXfrm = SIM_XFRM
  b.mrEnclave = id.mrEnclave
  b.mrSigner = id.mrSigner
  b.isvProdId = id.isvProdId
  b.isvSvn = id.isvSvn
  b.reportData = reportData
  return encodeReportBody(b)
}

export class SimulatedQuotingEnclave {
  /** Platform id in the header's user data; random per QE instance. */
  private readonly platformId: Uint8Array
  constructor(
    private readonly attestationKey: P256KeyPair,
    readonly certificate: AttestationKeyCertificate,
    private readonly clock: Clock,
  ) {
    this.platformId = sha256(attestationKey.publicKey).subarray(0, 16)
  }

  /** A QE with a fresh attestation key certified by `root`. */
  static create(root: AttestationRoot, clock: Clock): SimulatedQuotingEnclave {
    const key = generateP256()
    return new SimulatedQuotingEnclave(key, certifyAttestationKey(root, key.publicKey), clock)
  }

  /** Quote over an ISV report body (384 bytes). */
  quote(reportBody: Uint8Array): Uint8Array {
    requireLength('report body', reportBody, 384)
    const issuedAtSec = Math.floor(this.clock() / 1000)
    if (!Number.isInteger(issuedAtSec) || issuedAtSec < 0 || issuedAtSec > 0xffffffff) throw new TeeError('BAD_LENGTH', `clock value ${issuedAtSec}s does not fit u32`)
    const userData = new Uint8Array(20)
    userData.set(this.platformId)
    const header = encodeHeader({
      version: QUOTE_VERSION,
      attKeyType: ATT_KEY_TYPE_ECDSA_P256,
      issuedAtSec,
      qeSvn: SIM_QE_SVN,
      pceSvn: SIM_PCE_SVN,
      qeVendorId: SIM_QE_VENDOR_ID,
      userData,
    })
    const signed = new Uint8Array(header.length + reportBody.length)
    signed.set(header)
    signed.set(reportBody, header.length)
    const c = this.certificate
    return encodeQuote(signed, {
      isvSignature: p256Sign(this.attestationKey, signed),
      attestationKey: c.attestationPublicKey,
      qeReportBodyBytes: c.qeReportBody,
      qeReportSignature: c.qeReportSignature,
      qeAuthData: c.qeAuthData,
      certType: CERT_TYPE_TEECAST_ROOT,
      certData: c.rootPublicKey,
    })
  }
}

/** Quote binding `nodePublicKey` and `challenge` for the enclave `identity`. */
export function produceQuote(qe: SimulatedQuotingEnclave, identity: EnclaveIdentity, nodePublicKey: Uint8Array, challenge: Uint8Array): Uint8Array {
  return qe.quote(isvReportBody(identity, reportDataFor(nodePublicKey, challenge)))
}
