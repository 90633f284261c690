/**
 * Quote verification. Rejections are values, not exceptions: `verifyQuote` returns `{ ok: false, reason }` with a
 * distinct machine-readable reason for every way a quote can fail, and nothing else escapes (any unexpected throw is
 * a bug, and is still reported as `internal-error` rather than crashing a peer connection).
 *
 * Order: parse -> chain (root in policy, root signed the QE report, QE report binds the attestation key, QE
 * identity) -> attestation-key signature over header+body -> time -> enclave identity -> debug -> REPORTDATA ->
 * challenge book. The challenge is consumed last, so a forged quote cannot burn a genuine peer's challenge.
 */
import { parseQuote, QuoteParseError, type Quote, type QuoteParseReason } from './quote/quote.ts'
import { isDebug } from './quote/report-body.ts'
import { bytesEqual, p256Verify } from './crypto.ts'
import { qeReportDataFor } from './root.ts'
import { reportDataFor } from './qe.ts'
import { SIM_QE_MRENCLAVE, SIM_QE_MRSIGNER, SIM_QE_PRODID, SIM_QE_VENDOR_ID, CHALLENGE_SIZE, NODE_ID_SIZE } from './constants.ts'
import type { Policy } from './policy.ts'
import type { ChallengeBook, ConsumeResult } from './challenge-book.ts'

export type RejectReason =
  | QuoteParseReason
  | 'bad-root'
  | 'bad-cert'
  | 'bad-cert-binding'
  | 'bad-qe-identity'
  | 'bad-qe-vendor'
  | 'bad-signature'
  | 'quote-expired'
  | 'quote-from-future'
  | 'mrenclave-not-allowed'
  | 'mrsigner-not-allowed'
  | 'isvprodid-mismatch'
  | 'isvsvn-too-low'
  | 'debug-enclave'
  | 'report-data-mismatch'
  | 'bad-arguments'
  | Exclude<ConsumeResult, 'ok'>
  | 'internal-error'

export type VerifyResult = { ok: true; quote: Quote } | { ok: false; reason: RejectReason; detail: string; quote?: Quote }

export interface VerifyOptions {
  policy: Policy
  /** The peer's 64-byte devp2p node id. */
  nodePublicKey: Uint8Array
  /** The challenge the verifier expects in REPORTDATA (32 bytes). */
  challenge: Uint8Array
  /** If given, the challenge must be live in this book and is consumed on success. */
  challengeBook?: ChallengeBook
  /** Verifier time, ms since the Unix epoch. */
  now: number
}

const reject = (reason: RejectReason, detail: string, quote?: Quote): VerifyResult => ({ ok: false, reason, detail, ...(quote === undefined ? {} : { quote }) })

export function verifyQuote(bytes: Uint8Array, o: VerifyOptions): VerifyResult {
  try {
    return verifyInner(bytes, o)
  } catch (e) {
    if (e instanceof QuoteParseError) return reject(e.reason, e.message)
    return reject('internal-error', e instanceof Error ? e.message : String(e))
  }
}

function verifyInner(bytes: Uint8Array, o: VerifyOptions): VerifyResult {
  const { policy } = o
  if (!(o.nodePublicKey instanceof Uint8Array) || o.nodePublicKey.length !== NODE_ID_SIZE) return reject('bad-arguments', `node public key must be ${NODE_ID_SIZE} bytes`)
  if (!(o.challenge instanceof Uint8Array) || o.challenge.length !== CHALLENGE_SIZE) return reject('bad-arguments', `challenge must be ${CHALLENGE_SIZE} bytes`)
  // A NaN clock or policy number would make every time comparison false, i.e. silently skip the age checks.
  if (!Number.isFinite(o.now) || !Number.isFinite(policy.maxQuoteAgeSec) || !Number.isFinite(policy.maxClockSkewSec)) return reject('bad-arguments', 'now and the policy time limits must be finite numbers')
  const q = parseQuote(bytes)
  // Chain: the root must be one we trust, and it must have signed the QE report that binds the attestation key.
  if (!policy.rootPublicKeys.some((k) => bytesEqual(k, q.certData))) return reject('bad-root', 'quote chains to a root not in the policy', q)
  if (!p256Verify(q.certData, q.qeReportBodyBytes, q.qeReportSignature)) return reject('bad-cert', 'QE report signature by the root does not verify', q)
  if (!bytesEqual(q.qeReportBody.reportData, qeReportDataFor(q.attestationKey, q.qeAuthData))) return reject('bad-cert-binding', 'QE report does not bind this attestation key', q)
  const qe = q.qeReportBody
  if (!bytesEqual(qe.mrEnclave, SIM_QE_MRENCLAVE) || !bytesEqual(qe.mrSigner, SIM_QE_MRSIGNER) || qe.isvProdId !== SIM_QE_PRODID || isDebug(qe)) {
    return reject('bad-qe-identity', 'the certified report is not from the Quoting Enclave', q)
  }
  if (!p256Verify(q.attestationKey, q.signed, q.isvSignature)) return reject('bad-signature', 'attestation key signature over header+body does not verify', q)
  // From here on the header and body are authentic.
  if (!bytesEqual(q.header.qeVendorId, SIM_QE_VENDOR_ID)) return reject('bad-qe-vendor', 'unknown QE vendor id', q)
  const nowSec = Math.floor(o.now / 1000)
  if (q.header.issuedAtSec > nowSec + policy.maxClockSkewSec) return reject('quote-from-future', `issued at ${q.header.issuedAtSec}, now ${nowSec}`, q)
  if (nowSec - q.header.issuedAtSec > policy.maxQuoteAgeSec) return reject('quote-expired', `issued ${nowSec - q.header.issuedAtSec}s ago, max ${policy.maxQuoteAgeSec}s`, q)
  const b = q.body
  const rule = policy.enclave
  if (rule.kind === 'mrenclave') {
    if (!rule.allowed.some((m) => bytesEqual(m, b.mrEnclave))) return reject('mrenclave-not-allowed', 'MRENCLAVE is not in the allow-list', q)
  } else {
    if (!bytesEqual(rule.mrSigner, b.mrSigner)) return reject('mrsigner-not-allowed', 'MRSIGNER is not the policy signer', q)
    if (b.isvProdId !== rule.isvProdId) return reject('isvprodid-mismatch', `ISVPRODID ${b.isvProdId}, want ${rule.isvProdId}`, q)
    if (b.isvSvn < rule.minIsvSvn) return reject('isvsvn-too-low', `ISVSVN ${b.isvSvn} < ${rule.minIsvSvn}`, q)
  }
  if (isDebug(b) && !policy.allowDebug) return reject('debug-enclave', 'DEBUG enclave: its memory is readable by the host', q)
  if (!bytesEqual(b.reportData, reportDataFor(o.nodePublicKey, o.challenge))) return reject('report-data-mismatch', 'REPORTDATA does not bind this node key and challenge', q)
  if (o.challengeBook !== undefined) {
    const r = o.challengeBook.consume(o.challenge, o.now)
    if (r !== 'ok') return reject(r, 'challenge not accepted', q)
  }
  return { ok: true, quote: q }
}
