/**
 * Patch @ethereumjs/devp2p 007 (native-keccak-mac): the RLPx MAC runs on the `keccak` package's native binding, and
 * gives the same bytes as the original pure-JS MAC (re-implemented here as the reference) for any sequence of frame
 * headers and bodies. Without the patch the MAC is not native (the first test fails). The speed is measured by the
 * adversary campaign (bench/adversary/campaign.ts), not here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createCipheriv, randomBytes } from 'node:crypto'
import { MAC } from '@ethereumjs/devp2p'
import { keccak256 } from 'ethereum-cryptography/keccak.js'
import { nativeKeccakLoaded } from '../../src/shared/keccak.ts'

/** The client's MAC before the patch: a running JS keccak256, AES-ECB of its digest mixed into each update. */
class ReferenceMac {
  private readonly hash = keccak256.create()
  constructor(private readonly secret: Uint8Array) {}
  private xorAes(data: Uint8Array): Uint8Array {
    const enc = createCipheriv('aes-256-ecb', this.secret, '').update(this.digest())
    return Uint8Array.from(data, (b, i) => b ^ enc[i]!)
  }
  updateHeader(data: Uint8Array): void {
    this.hash.update(this.xorAes(data))
  }
  updateBody(data: Uint8Array): void {
    this.hash.update(data)
    const prev = this.digest()
    this.hash.update(this.xorAes(prev))
  }
  digest(): Uint8Array {
    return Uint8Array.from(this.hash.clone().digest().subarray(0, 16))
  }
}

test('the RLPx MAC runs on the native keccak binding (devp2p 007)', () => {
  assert.equal(nativeKeccakLoaded, true, 'the keccak package\'s binding loads on this machine')
  assert.equal((new MAC(new Uint8Array(32)) as unknown as { _native?: boolean })._native, true)
})

test('the native MAC gives the reference MAC\'s bytes for frames of every size, headers and bodies interleaved', () => {
  const secret = new Uint8Array(randomBytes(32))
  const mac = new MAC(secret)
  const ref = new ReferenceMac(secret)
  for (const size of [0, 1, 16, 32, 1000, 65_536, 1_000_003]) {
    // Uint8Array views at an offset, as frames arrive (subarrays of a read buffer).
    const buf = new Uint8Array(randomBytes(size + 16 + 7)).subarray(7)
    mac.updateHeader(buf.subarray(0, 16))
    ref.updateHeader(buf.subarray(0, 16))
    assert.deepEqual(mac.digest(), ref.digest(), `header before a ${size} B body`)
    mac.updateBody(buf.subarray(16))
    ref.updateBody(buf.subarray(16))
    assert.deepEqual(mac.digest(), ref.digest(), `after a ${size} B body`)
  }
})
