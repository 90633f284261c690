/**
 * The node's crypto functions (src/node/crypto.ts): `native` hashes with the shared keccak (native binding for big
 * inputs, where it is faster than the client's wasm hash) and recovers senders with libsecp256k1, and both give the
 * client's own results; `wasm` is the client's set unchanged.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256 as jsKeccak256 } from 'ethereum-cryptography/keccak.js'
import { randomBytes } from 'node:crypto'
import { bytesToHex } from '@ethereumjs/util'
import { getCryptoFunctions } from '@ethereumjs/client/dist/esm/bin/utils.js'
import { cryptoFunctions } from '../../src/node/crypto.ts'
import { keccak256 as sharedKeccak256 } from '../../src/shared/keccak.ts'

test('native crypto hashes with the shared keccak, and every size hashes as the reference does', async () => {
  const native = await cryptoFunctions('native')
  assert.equal(native.keccak256, sharedKeccak256, 'native mode uses the shared keccak')
  const base = await getCryptoFunctions(false)
  for (const n of [0, 1, 135, 136, 1023, 1024, 8191, 8192, 8193, 122_880]) {
    const d = new Uint8Array(randomBytes(n))
    const want = bytesToHex(jsKeccak256(d))
    assert.equal(bytesToHex(native.keccak256!(d)), want, `native keccak of ${n} B`)
    assert.equal(bytesToHex(base.keccak256!(d)), want, `client keccak of ${n} B`)
  }
})

test('wasm crypto is the client set unchanged', async () => {
  const wasm = await cryptoFunctions('wasm')
  const native = await cryptoFunctions('native')
  assert.notEqual(wasm.keccak256, sharedKeccak256)
  assert.notEqual(wasm.ecrecover, native.ecrecover)
})
