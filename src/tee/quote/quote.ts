/**
 * The quote as a value, its encoder and its bounds-checked parser (layout in layout.ts).
 *
 * The parser is the one piece of attestation code that sees attacker bytes first. It MUST either return a Quote or
 * throw a QuoteParseError; nothing else may escape (test/tee/quote-fuzz.test.ts checks this on 100k+ inputs). Every
 * read goes through `Reader`, which checks bounds before touching the buffer; its work is linear in the input, which
 * is capped at MAX_QUOTE_SIZE.
 */
import { TeeError } from '../errors.ts'
import { decodeReportBody, encodeReportBody, type ReportBody } from './report-body.ts'
import {
  ATT_KEY_TYPE_ECDSA_P256,
  CERT_TYPE_TEECAST_ROOT,
  H,
  HEADER_SIZE,
  MAX_CERT_DATA,
  MAX_QE_AUTH_DATA,
  MAX_QUOTE_SIZE,
  QUOTE_VERSION,
  REPORT_BODY_SIZE,
  SIGNED_SIZE,
} from './layout.ts'

export interface QuoteHeader {
  version: number
  attKeyType: number
  /** teecast: seconds since the Unix epoch, in the v3 reserved bytes 4..8. */
  issuedAtSec: number
  qeSvn: number
  pceSvn: number
  qeVendorId: Uint8Array // 16
  userData: Uint8Array // 20
}

export interface Quote {
  header: QuoteHeader
  body: ReportBody
  /** Bytes [0, 432): what the attestation key signed. */
  signed: Uint8Array
  isvSignature: Uint8Array // 64
  attestationKey: Uint8Array // 64
  qeReportBody: ReportBody
  /** The QE report body's 384 bytes, as signed by the root. */
  qeReportBodyBytes: Uint8Array
  qeReportSignature: Uint8Array // 64
  qeAuthData: Uint8Array
  certType: number
  certData: Uint8Array
}

/** Why bytes are not a quote. Each is a distinct verifier rejection reason. */
export type QuoteParseReason =
  | 'not-bytes'
  | 'truncated'
  | 'too-large'
  | 'unsupported-version'
  | 'unsupported-key-type'
  | 'unsupported-cert-type'
  | 'malformed'

export class QuoteParseError extends TeeError {
  constructor(
    readonly reason: QuoteParseReason,
    detail: string,
  ) {
    super('QUOTE_PARSE', `${reason}: ${detail}`)
    this.name = 'QuoteParseError'
  }
}

/** Sequential reader; every read checks bounds first and throws `truncated`. */
class Reader {
  private pos = 0
  private readonly view: DataView
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  get offset(): number {
    return this.pos
  }
  get remaining(): number {
    return this.bytes.length - this.pos
  }
  private need(n: number, what: string): number {
    if (n > this.remaining) throw new QuoteParseError('truncated', `${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`)
    const at = this.pos
    this.pos += n
    return at
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true)
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true)
  }
  bytesOf(n: number, what: string): Uint8Array {
    const at = this.need(n, what)
    return this.bytes.slice(at, at + n)
  }
}

export function parseQuote(input: Uint8Array): Quote {
  if (!(input instanceof Uint8Array)) throw new QuoteParseError('not-bytes', 'a quote is a byte array')
  if (input.length > MAX_QUOTE_SIZE) throw new QuoteParseError('too-large', `${input.length} bytes > ${MAX_QUOTE_SIZE}`)
  const r = new Reader(input)
  const version = r.u16('version')
  // Check version and key type as soon as they are read, so garbage is told apart from a short genuine quote.
  if (version !== QUOTE_VERSION) throw new QuoteParseError('unsupported-version', `version ${version}, want ${QUOTE_VERSION}`)
  const attKeyType = r.u16('attestation key type')
  if (attKeyType !== ATT_KEY_TYPE_ECDSA_P256) throw new QuoteParseError('unsupported-key-type', `key type ${attKeyType}, want ${ATT_KEY_TYPE_ECDSA_P256}`)
  const header: QuoteHeader = {
    version,
    attKeyType,
    issuedAtSec: r.u32('issued-at'),
    qeSvn: r.u16('QE SVN'),
    pceSvn: r.u16('PCE SVN'),
    qeVendorId: r.bytesOf(16, 'QE vendor id'),
    userData: r.bytesOf(20, 'user data'),
  }
  const body = decodeReportBody(r.bytesOf(REPORT_BODY_SIZE, 'report body'))
  const sigDataLen = r.u32('signature data length')
  // Declared length must match what is there: shorter is truncation, longer is trailing garbage.
  if (sigDataLen > r.remaining) throw new QuoteParseError('truncated', `signature data declares ${sigDataLen} bytes, ${r.remaining} present`)
  if (sigDataLen < r.remaining) throw new QuoteParseError('malformed', `${r.remaining - sigDataLen} bytes after the signature data`)
  const isvSignature = r.bytesOf(64, 'ISV report signature')
  const attestationKey = r.bytesOf(64, 'attestation key')
  const qeReportBodyBytes = r.bytesOf(REPORT_BODY_SIZE, 'QE report body')
  const qeReportSignature = r.bytesOf(64, 'QE report signature')
  const authSize = r.u16('QE auth data size')
  if (authSize > MAX_QE_AUTH_DATA) throw new QuoteParseError('malformed', `QE auth data ${authSize} bytes > ${MAX_QE_AUTH_DATA}`)
  const qeAuthData = r.bytesOf(authSize, 'QE auth data')
  const certType = r.u16('certification data type')
  if (certType !== CERT_TYPE_TEECAST_ROOT) throw new QuoteParseError('unsupported-cert-type', `certification data type ${certType}, want ${CERT_TYPE_TEECAST_ROOT}`)
  const certSize = r.u32('certification data size')
  if (certSize > MAX_CERT_DATA) throw new QuoteParseError('malformed', `certification data ${certSize} bytes > ${MAX_CERT_DATA}`)
  const certData = r.bytesOf(certSize, 'certification data')
  if (certData.length !== 64) throw new QuoteParseError('malformed', `root key certification data is ${certData.length} bytes, want 64`)
  if (r.remaining !== 0) throw new QuoteParseError('malformed', `signature data length ${sigDataLen} does not match its contents`)
  return {
    header,
    body,
    signed: input.slice(0, SIGNED_SIZE),
    isvSignature,
    attestationKey,
    qeReportBody: decodeReportBody(qeReportBodyBytes),
    qeReportBodyBytes,
    qeReportSignature,
    qeAuthData,
    certType,
    certData,
  }
}

export function encodeHeader(h: QuoteHeader): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE)
  const v = new DataView(out.buffer)
  v.setUint16(H.version, h.version, true)
  v.setUint16(H.attKeyType, h.attKeyType, true)
  v.setUint32(H.issuedAt, h.issuedAtSec, true)
  v.setUint16(H.qeSvn, h.qeSvn, true)
  v.setUint16(H.pceSvn, h.pceSvn, true)
  out.set(h.qeVendorId.subarray(0, 16), H.qeVendorId)
  out.set(h.userData.subarray(0, 20), H.userData)
  return out
}

/** The signature part, everything after the 432 signed bytes and the length field. */
export interface QuoteSignatureData {
  isvSignature: Uint8Array
  attestationKey: Uint8Array
  qeReportBodyBytes: Uint8Array
  qeReportSignature: Uint8Array
  qeAuthData: Uint8Array
  certType: number
  certData: Uint8Array
}

export function encodeQuote(signed: Uint8Array, s: QuoteSignatureData): Uint8Array {
  if (signed.length !== SIGNED_SIZE) throw new TeeError('BAD_LENGTH', `signed part must be ${SIGNED_SIZE} bytes`)
  const sigLen = 64 + 64 + REPORT_BODY_SIZE + 64 + 2 + s.qeAuthData.length + 2 + 4 + s.certData.length
  const out = new Uint8Array(SIGNED_SIZE + 4 + sigLen)
  const v = new DataView(out.buffer)
  let o = 0
  const put = (b: Uint8Array): void => {
    out.set(b, o)
    o += b.length
  }
  put(signed)
  v.setUint32(o, sigLen, true)
  o += 4
  put(s.isvSignature)
  put(s.attestationKey)
  put(s.qeReportBodyBytes)
  put(s.qeReportSignature)
  v.setUint16(o, s.qeAuthData.length, true)
  o += 2
  put(s.qeAuthData)
  v.setUint16(o, s.certType, true)
  o += 2
  v.setUint32(o, s.certData.length, true)
  o += 4
  put(s.certData)
  return out
}

export { encodeReportBody }
