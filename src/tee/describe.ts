/** Human-readable lines for a parsed quote (CLI `attest inspect` / `attest verify`). */
import { toHex } from './crypto.ts'
import type { Quote } from './quote/quote.ts'
import { isDebug } from './quote/report-body.ts'

export function describeQuote(q: Quote): string[] {
  const b = q.body
  return [
    `version          ${q.header.version}`,
    `issued-at        ${q.header.issuedAtSec} (${new Date(q.header.issuedAtSec * 1000).toISOString()})`,
    `qe-vendor-id     ${toHex(q.header.qeVendorId)}`,
    `mrenclave        ${toHex(b.mrEnclave)}`,
    `mrsigner         ${toHex(b.mrSigner)}`,
    `isvprodid        ${b.isvProdId}`,
    `isvsvn           ${b.isvSvn}`,
    `attributes       flags=0x${b.attributesFlags.toString(16)} xfrm=0x${b.attributesXfrm.toString(16)}`,
    `debug            ${isDebug(b)}`,
    `reportdata       ${toHex(b.reportData)}`,
    `attestation-key  ${toHex(q.attestationKey)}`,
    `root             ${toHex(q.certData)}`,
  ]
}
