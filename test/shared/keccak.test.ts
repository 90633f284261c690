/**
 * The project's keccak256 (wasm under 8 KB, native from 8 KB, JS until wasm is ready): the same bytes as the
 * reference JS hash at every size around the switch points, and the wasm hash is in use once `keccakReady()` resolves
 * (a node awaits it before its first item id, so a tee/1 frame of many small items is hashed at wasm speed).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { keccak256 as reference } from 'ethereum-cryptography/keccak.js'
import { keccak256, keccakReady, wasmKeccakLoaded } from '../../src/shared/keccak.ts'

const SIZES = [0, 1, 32, 113, 135, 136, 137, 1023, 1024, 1025, 8191, 8192, 8193, 131_072]

test('before and after the wasm hash is ready, every size hashes to the reference bytes', async () => {
  const inputs = SIZES.map((n) => new Uint8Array(randomBytes(n)))
  const before = inputs.map((d) => keccak256(d))
  await keccakReady()
  assert.equal(wasmKeccakLoaded(), true, 'the wasm hash loads on this machine')
  for (const [i, d] of inputs.entries()) {
    const want = Buffer.from(reference(d)).toString('hex')
    assert.equal(Buffer.from(before[i]!).toString('hex'), want, `${d.length} B before ready`)
    assert.equal(Buffer.from(keccak256(d)).toString('hex'), want, `${d.length} B after ready`)
    // A view into a larger buffer hashes only its own bytes.
    const big = new Uint8Array(d.length + 10)
    big.set(d, 5)
    assert.equal(Buffer.from(keccak256(big.subarray(5, 5 + d.length))).toString('hex'), want, `${d.length} B as a subarray`)
  }
})
