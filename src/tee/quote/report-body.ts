/** Encoding and decoding of the 384-byte SGX REPORTBODY (offsets in layout.ts `B`). */
import { ATTR_DEBUG, B, REPORT_BODY_SIZE, REPORT_DATA_SIZE } from './layout.ts'
import { requireLength } from '../errors.ts'

export interface ReportBody {
  cpuSvn: Uint8Array // 16
  miscSelect: number
  isvExtProdId: Uint8Array // 16
  /** ATTRIBUTES.FLAGS (u64); DEBUG is bit 1. */
  attributesFlags: bigint
  /** ATTRIBUTES.XFRM (u64). */
  attributesXfrm: bigint
  mrEnclave: Uint8Array // 32
  mrSigner: Uint8Array // 32
  configId: Uint8Array // 64
  isvProdId: number
  isvSvn: number
  configSvn: number
  isvFamilyId: Uint8Array // 16
  reportData: Uint8Array // 64
}

export const isDebug = (b: ReportBody): boolean => (b.attributesFlags & ATTR_DEBUG) !== 0n

export function emptyReportBody(): ReportBody {
  return {
    cpuSvn: new Uint8Array(16),
    miscSelect: 0,
    isvExtProdId: new Uint8Array(16),
    attributesFlags: 0n,
    attributesXfrm: 0n,
    mrEnclave: new Uint8Array(32),
    mrSigner: new Uint8Array(32),
    configId: new Uint8Array(64),
    isvProdId: 0,
    isvSvn: 0,
    configSvn: 0,
    isvFamilyId: new Uint8Array(16),
    reportData: new Uint8Array(REPORT_DATA_SIZE),
  }
}

export function encodeReportBody(b: ReportBody): Uint8Array {
  const out = new Uint8Array(REPORT_BODY_SIZE)
  const v = new DataView(out.buffer)
  const put = (name: string, off: number, bytes: Uint8Array, len: number): void => {
    requireLength(`report body ${name}`, bytes, len)
    out.set(bytes, off)
  }
  put('CPUSVN', B.cpuSvn, b.cpuSvn, 16)
  v.setUint32(B.miscSelect, b.miscSelect, true)
  put('ISVEXTPRODID', B.isvExtProdId, b.isvExtProdId, 16)
  v.setBigUint64(B.attributes, b.attributesFlags, true)
  v.setBigUint64(B.attributes + 8, b.attributesXfrm, true)
  put('MRENCLAVE', B.mrEnclave, b.mrEnclave, 32)
  put('MRSIGNER', B.mrSigner, b.mrSigner, 32)
  put('CONFIGID', B.configId, b.configId, 64)
  v.setUint16(B.isvProdId, b.isvProdId, true)
  v.setUint16(B.isvSvn, b.isvSvn, true)
  v.setUint16(B.configSvn, b.configSvn, true)
  put('ISVFAMILYID', B.isvFamilyId, b.isvFamilyId, 16)
  put('REPORTDATA', B.reportData, b.reportData, REPORT_DATA_SIZE)
  return out
}

/** Decodes exactly 384 bytes; the caller has bounds-checked. Copies, so the result does not alias the input. */
export function decodeReportBody(bytes: Uint8Array): ReportBody {
  requireLength('report body', bytes, REPORT_BODY_SIZE)
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const take = (off: number, len: number): Uint8Array => bytes.slice(off, off + len)
  return {
    cpuSvn: take(B.cpuSvn, 16),
    miscSelect: v.getUint32(B.miscSelect, true),
    isvExtProdId: take(B.isvExtProdId, 16),
    attributesFlags: v.getBigUint64(B.attributes, true),
    attributesXfrm: v.getBigUint64(B.attributes + 8, true),
    mrEnclave: take(B.mrEnclave, 32),
    mrSigner: take(B.mrSigner, 32),
    configId: take(B.configId, 64),
    isvProdId: v.getUint16(B.isvProdId, true),
    isvSvn: v.getUint16(B.isvSvn, true),
    configSvn: v.getUint16(B.configSvn, true),
    isvFamilyId: take(B.isvFamilyId, 16),
    reportData: take(B.reportData, REPORT_DATA_SIZE),
  }
}
