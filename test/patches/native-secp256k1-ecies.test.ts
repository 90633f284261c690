/**
 * Patch @ethereumjs/devp2p 008 (native-secp256k1-ecies): an RLPx handshake's ECDH runs on the `secp256k1` package's
 * native binding. Two ECIES ends (EIP-8 auth and ack, as a real dial does) derive the same session: a frame sealed by
 * one opens at the other, both ways; and the binding's ecdh did the work (the count is 0 without the patch, which
 * used noble's JS ECDH). The CPU saved is measured by the adversary campaign's no-hello-50, not here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { ECIES, pk2id } from '@ethereumjs/devp2p'

type Native = { ecdh: (...a: unknown[]) => Uint8Array; publicKeyCreate: (k: Uint8Array, compressed: boolean) => Uint8Array }
// The same module object devp2p loads (one require cache), so wrapping its ecdh counts devp2p's calls.
const native = createRequire(import.meta.url)('secp256k1/bindings') as Native

interface End {
  _gotEIP8Auth: boolean
  _gotEIP8Ack: boolean
  createAuthEIP8(): Uint8Array | undefined
  parseAuthEIP8(d: Uint8Array): void
  createAckEIP8(): Uint8Array | undefined
  parseAckEIP8(d: Uint8Array): void
  createBlockHeader(size: number): Uint8Array | undefined
  parseHeader(d: Uint8Array): number | undefined
  createBody(d: Uint8Array): Uint8Array | undefined
  parseBody(d: Uint8Array): Uint8Array | undefined
}

test('an EIP-8 handshake derives one session at both ends, with the ECDH on the native binding (devp2p 008)', () => {
  const ecdh = native.ecdh
  let calls = 0
  native.ecdh = (...a: unknown[]) => {
    calls++
    return ecdh.apply(native, a)
  }
  try {
    const ka = new Uint8Array(randomBytes(32))
    const kb = new Uint8Array(randomBytes(32))
    const ida = pk2id(native.publicKeyCreate(ka, false))
    const idb = pk2id(native.publicKeyCreate(kb, false))
    const a = new ECIES(ka, ida, idb) as unknown as End
    const b = new ECIES(kb, idb, null as never) as unknown as End
    // The RLPx Peer sets these when the first bytes are not a pre-EIP-8 packet.
    b._gotEIP8Auth = true
    b.parseAuthEIP8(a.createAuthEIP8()!)
    a._gotEIP8Ack = true
    a.parseAckEIP8(b.createAckEIP8()!)
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const body = new Uint8Array(randomBytes(100))
      assert.equal(to.parseHeader(from.createBlockHeader(body.length)!), 100, 'the header opens and names the body size')
      assert.deepEqual(to.parseBody(from.createBody(body)!)!.subarray(0, 100), body, 'the body opens')
    }
    assert.ok(calls >= 4, `the native ecdh ran the handshake's ECDH (${calls} calls)`)
  } finally {
    native.ecdh = ecdh
  }
})
