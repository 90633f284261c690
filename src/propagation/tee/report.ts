/**
 * A node's per-epoch report to the coordinator: its tee/1 links (RTT, attested) and the omissions it observed of its
 * tree neighbours. Signed by the node's devp2p key so that relays cannot forge another node's report. Imported by the
 * coordinator enclave program: relative modules and `node:` built-ins only.
 *
 * Layout (big-endian): epoch u32 | node 64 | seq u16 | attested u8 | links u16 x (peer 64 | rttMs u16 | attested u8) |
 * omissions u16 x (peer 64 | omitted u32 | delivered u32).
 */
import { ByteReader, ByteWriter, bytesOfHex, hexOf } from './bytes.ts'
import { TeeError } from './errors.ts'
import type { Report } from './messages.ts'

const ID = 64
/** RTTs are carried in whole ms, capped (a 65 s RTT is as good as a broken link). */
const MAX_RTT_MS = 0xffff
const MAX_ENTRIES = 1024

export const REPORT_DOMAIN = new TextEncoder().encode('teecast/tee/1/report')

export function encodeReportBody(r: Report): Uint8Array {
  if (r.links.length > MAX_ENTRIES || r.omissions.length > MAX_ENTRIES) throw new TeeError('MALFORMED_MESSAGE', `report with ${r.links.length} links / ${r.omissions.length} omission rows exceeds ${MAX_ENTRIES}`)
  const w = new ByteWriter().u32(r.epoch).bytes(bytesOfHex(r.node, ID, 'report node')).u16(r.seq ?? 0).u8(r.attested ? 1 : 0).u16(r.links.length)
  for (const l of r.links) w.bytes(bytesOfHex(l.peer, ID, 'link peer')).u16(Math.min(MAX_RTT_MS, Math.max(0, Math.round(l.rttMs)))).u8(l.attested ? 1 : 0)
  w.u16(r.omissions.length)
  for (const o of r.omissions) w.bytes(bytesOfHex(o.peer, ID, 'omission peer')).u32(o.omitted).u32(o.delivered)
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
  r.end()
  return { epoch, node, seq, attested, links, omissions }
}

export function reportSigningBytes(bodyBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(REPORT_DOMAIN.length + bodyBytes.length)
  out.set(REPORT_DOMAIN)
  out.set(bodyBytes, REPORT_DOMAIN.length)
  return out
}
