/**
 * Key generation without generateKeyPairSync. On Node 20 a KeyObject made by generateKeyPairSync can deadlock its
 * thread for good: the GC finalises the keygen job while an operation on the key holds the key's lock, and the job's
 * destructor waits on that lock (a 1-in-200 hang of the relay tests; gdb showed ~KeyGenJob in a GC on the main
 * thread). The hang cannot be forced on demand, so this file checks the replacement and keeps the call out of the tree.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, verify } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { generateEcKey, generateP256, p256Sign, p256Verify, rawPublicKey } from '../../src/tee/crypto.ts'
import { inProcessEnclaveContext } from '../../src/tee/sim/runtime.ts'
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js'

test('generateEcKey: the imported KeyObject is the ECDH key (same point), d is 32 bytes, signatures verify', () => {
  for (const curve of ['P-256', 'secp256k1'] as const) {
    for (let i = 0; i < 20; i++) {
      const k = generateEcKey(curve)
      assert.equal(k.d.length, 32)
      const jwk = createPublicKey(k.privateKey).export({ format: 'jwk' })
      assert.deepEqual(Buffer.from(jwk.x!, 'base64url'), Buffer.from(k.xy.subarray(0, 32)), `${curve}: x`)
      assert.deepEqual(Buffer.from(jwk.y!, 'base64url'), Buffer.from(k.xy.subarray(32)), `${curve}: y`)
    }
  }
  const p = generateP256()
  assert.deepEqual(p.publicKey, rawPublicKey(createPublicKey(p.privateKey)))
  const msg = new TextEncoder().encode('m')
  assert.ok(p256Verify(p.publicKey, msg, p256Sign(p, msg)))
  assert.equal(p256Verify(p.publicKey, new TextEncoder().encode('n'), p256Sign(p, msg)), false)
})

test('secp256k1 node keys: d derives the public point (x || y) the node id is made of', () => {
  for (let i = 0; i < 20; i++) {
    const k = generateEcKey('secp256k1')
    const pub = secp256k1.getPublicKey(k.d, false)
    assert.deepEqual(Buffer.from(pub.subarray(1)), Buffer.from(k.xy))
  }
})

test('the enclave runtime key signs with a key matching its public key (low-s)', () => {
  const ctx = inProcessEnclaveContext()
  const msg = new TextEncoder().encode('hello')
  const sig = ctx.sign(msg)
  const key = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: Buffer.from(ctx.publicKey.subarray(1, 33)).toString('base64url'), y: Buffer.from(ctx.publicKey.subarray(33)).toString('base64url') }, format: 'jwk' })
  assert.ok(verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig))
  const halfN = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n >> 1n
  for (let i = 0; i < 20; i++) assert.ok(BigInt(`0x${Buffer.from(ctx.sign(msg).subarray(32)).toString('hex')}`) <= halfN, 'low s')
})

test('no source or test file calls generateKeyPairSync (Node 20 deadlock, see the file comment)', () => {
  const hits: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(ts|js|mjs)$/.test(name) && p !== join('test', 'tee', 'keygen.test.ts') && /generateKeyPair(Sync)?\(/.test(readFileSync(p, 'utf8'))) hits.push(p)
    }
  }
  for (const dir of ['src', 'test', 'bench', 'testnets', 'bin']) walk(dir)
  assert.deepEqual(hits, [])
})
