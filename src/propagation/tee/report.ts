/**
 * A node's per-epoch report to the coordinator: its tee/1 links (RTT, attested) and the omissions it observed of its
 * tree neighbours. Signed by the node's devp2p key so that relays cannot forge another node's report. Imported by the
 * coordinator enclave program: relative modules and `node:` built-ins only.
 *
 * Layout (big-endian): epoch u32 | node 64 | seq u16 | attested u8 | links u16 x (peer 64 | rttMs u16 | attested u8) |
 * omissions u16 x (peer 64 | omitted u32 | delivered u32) [| quote u16 x byte, 1..MAX_REPORT_QUOTE_BYTES]. The quote
 * is optional and absent (no bytes) when there is none, so one report has one encoding and a report without a quote
 * is laid out as before.
 */
import { createHash } from 'node:crypto'
import { ByteReader, ByteWriter, bytesOfHex, hexOf } from './bytes.ts'
import { TeeError } from './errors.ts'
import type { Report } from './messages.ts'
import { MAX_REPORT_QUOTE_BYTES } from './constants.ts'

const ID = 64
/** RTTs are carried in whole ms, capped (a 65 s RTT is as good as a broken link). */
const MAX_RTT_MS = 0xffff
const MAX_ENTRIES = 1024

export const REPORT_DOMAIN = new TextEncoder().encode('teecast/tee/1/report')
const REPORT_QUOTE_DOMAIN = new TextEncoder().encode('teecast/tee/1/report-quote')

/**
 * The challenge a report's quote binds (with the node id, in REPORTDATA): SHA-256(domain || epoch u32). The epoch is
 * the report's own, so the coordinator's enclave checks freshness with no message of its own: a quote copied into a
 * report of another epoch does not verify, and a report older than the age window counts for nothing.
 */
export function reportQuoteChallenge(epoch: number): Uint8Array {
  const e = new Uint8Array(4)
  new DataView(e.buffer).setUint32(0, epoch)
  return new Uint8Array(createHash('sha256').update(REPORT_QUOTE_DOMAIN).update(e).digest())
}

export function encodeReportBody(r: Report): Uint8Array {
  if (r.links.length > MAX_ENTRIES || r.omissions.length > MAX_ENTRIES) throw new TeeError('MALFORMED_MESSAGE', `report with ${r.links.length} links / ${r.omissions.length} omission rows exceeds ${MAX_ENTRIES}`)
  const w = new ByteWriter().u32(r.epoch).bytes(bytesOfHex(r.node, ID, 'report node')).u16(r.seq ?? 0).u8(r.attested ? 1 : 0).u16(r.links.length)
  for (const l of r.links) w.bytes(bytesOfHex(l.peer, ID, 'link peer')).u16(Math.min(MAX_RTT_MS, Math.max(0, Math.round(l.rttMs)))).u8(l.attested ? 1 : 0)
  w.u16(r.omissions.length)
  for (const o of r.omissions) w.bytes(bytesOfHex(o.peer, ID, 'omission peer')).u32(o.omitted).u32(o.delivered)
  if (r.quote !== undefined) {
    if (r.quote.length === 0 || r.quote.length > MAX_REPORT_QUOTE_BYTES) throw new TeeError('MALFORMED_MESSAGE', `report quote of ${r.quote.length} bytes (1..${MAX_REPORT_QUOTE_BYTES}; none is written as absent)`)
    w.u16(r.quote.length).bytes(r.quote)
  }
  return w.finish()
}

/** A flag byte is 0 or 1: any other value decoded as false, so one report had 255 encodings (found by the fuzz). */
function flag(r: ByteReader, field: string): boolean {
  const v = r.u8(field)
  if (v > 1) throw new TeeError('MALFORMED_MESSAGE', `report body: ${field} is ${v}, not 0 or 1`)
  return v === 1
}

export function decodeReportBody(bytes: Uint8Array): Report {
  const r = new ByteReader(bytes, 'report body')
  const epoch = r.u32('epoch')
  const node = hexOf(r.bytes(ID, 'node'))
  const seq = r.u16('seq')
  const attested = flag(r, 'attested')
  const nl = r.u16('link count')
  if (nl > MAX_ENTRIES) throw new TeeError('MALFORMED_MESSAGE', `report: ${nl} links`)
  const links = []
  for (let i = 0; i < nl; i++) links.push({ peer: hexOf(r.bytes(ID, 'link peer')), rttMs: r.u16('rtt'), attested: flag(r, 'link attested') })
  const no = r.u16('omission count')
  if (no > MAX_ENTRIES) throw new TeeError('MALFORMED_MESSAGE', `report: ${no} omission rows`)
  const omissions = []
  for (let i = 0; i < no; i++) omissions.push({ peer: hexOf(r.bytes(ID, 'omission peer')), omitted: r.u32('omitted'), delivered: r.u32('delivered') })
  let quote: Uint8Array | undefined
  if (r.remaining > 0) {
    const nq = r.u16('quote length')
    if (nq === 0 || nq > MAX_REPORT_QUOTE_BYTES) throw new TeeError('MALFORMED_MESSAGE', `report: quote of ${nq} bytes (1..${MAX_REPORT_QUOTE_BYTES})`)
    quote = r.bytes(nq, 'quote')
  }
  r.end()
  return { epoch, node, seq, attested, links, omissions, ...(quote !== undefined ? { quote } : {}) }
}

export function reportSigningBytes(bodyBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(REPORT_DOMAIN.length + bodyBytes.length)
  out.set(REPORT_DOMAIN)
  out.set(bodyBytes, REPORT_DOMAIN.length)
  return out
}
