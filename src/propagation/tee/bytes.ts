/**
 * A minimal big-endian byte writer/reader for the signed plan and report bodies. They are built inside the enclave
 * program, whose bundle may import only relative modules and `node:` built-ins, so no RLP library here. Every read is
 * bounds-checked and fails with a TeeError('MALFORMED_MESSAGE') naming the field.
 */
import { TeeError } from './errors.ts'

export class ByteWriter {
  private buf = new Uint8Array(256)
  private len = 0

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  u8(v: number): this {
    this.room(1)
    this.buf[this.len++] = v & 0xff
    return this
  }

  u16(v: number): this {
    this.room(2)
    this.buf[this.len++] = (v >>> 8) & 0xff
    this.buf[this.len++] = v & 0xff
    return this
  }

  u32(v: number): this {
    this.room(4)
    new DataView(this.buf.buffer, this.buf.byteOffset).setUint32(this.len, v >>> 0)
    this.len += 4
    return this
  }

  bytes(b: Uint8Array): this {
    this.room(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
    return this
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

export class ByteReader {
  private pos = 0
  constructor(
    private readonly b: Uint8Array,
    private readonly what: string,
  ) {}

  private need(n: number, field: string): void {
    if (this.pos + n > this.b.length) throw new TeeError('MALFORMED_MESSAGE', `${this.what}: truncated at ${field} (offset ${this.pos}, need ${n}, have ${this.b.length - this.pos})`)
  }

  u8(field: string): number {
    this.need(1, field)
    return this.b[this.pos++]!
  }

  u16(field: string): number {
    this.need(2, field)
    const v = (this.b[this.pos]! << 8) | this.b[this.pos + 1]!
    this.pos += 2
    return v
  }

  u32(field: string): number {
    this.need(4, field)
    const v = new DataView(this.b.buffer, this.b.byteOffset).getUint32(this.pos)
    this.pos += 4
    return v
  }

  bytes(n: number, field: string): Uint8Array {
    this.need(n, field)
    const v = this.b.slice(this.pos, this.pos + n)
    this.pos += n
    return v
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.b.length - this.pos
  }

  end(): void {
    if (this.pos !== this.b.length) throw new TeeError('MALFORMED_MESSAGE', `${this.what}: ${this.b.length - this.pos} trailing bytes`)
  }
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex')

export function bytesOfHex(s: string, length: number, what: string): Uint8Array {
  if (s.length !== length * 2 || !/^[0-9a-f]*$/.test(s)) throw new TeeError('MALFORMED_MESSAGE', `${what}: expected ${length} bytes of lower-case hex, got ${JSON.stringify(s.slice(0, 20))}`)
  return new Uint8Array(Buffer.from(s, 'hex'))
}
