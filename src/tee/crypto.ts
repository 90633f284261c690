/**
 * The few primitives the attestation layer needs, on node:crypto only: SHA-256, HMAC-SHA-256, and ECDSA P-256 with
 * raw 64-byte public keys (x || y) and 64-byte IEEE P1363 signatures (r || s), the encodings SGX DCAP quotes use.
 */
import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { TeeError } from './errors.ts'

export const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export const hmacSha256 = (key: Uint8Array, ...parts: Uint8Array[]): Uint8Array => {
  const h = createHmac('sha256', key)
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** A P-256 key pair; the private part stays a KeyObject in memory and is exported only to a testnet key file. */
export interface P256KeyPair {
  privateKey: KeyObject
  /** Raw x || y, 64 bytes. */
  publicKey: Uint8Array
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url')

export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' })
  if (jwk.x === undefined || jwk.y === undefined) throw new TeeError('BAD_LENGTH', 'not an EC public key')
  const x = Buffer.from(jwk.x, 'base64url')
  const y = Buffer.from(jwk.y, 'base64url')
  const out = new Uint8Array(64)
  out.set(x, 32 - x.length)
  out.set(y, 64 - y.length)
  return out
}

/**
 * A fresh EC key: ECDH generates the scalar and point, and the KeyObject is imported from them. Not
 * generateKeyPairSync: on Node 20 its keys can deadlock the thread for good when the GC finalises the keygen job while
 * an operation on the key (export, sign) holds the key's lock (seen as a rare test hang; gdb: ~KeyGenJob waiting on
 * that mutex inside a GC on the main thread).
 */
export function generateEcKey(curve: 'P-256' | 'secp256k1'): { privateKey: KeyObject; d: Uint8Array; xy: Uint8Array } {
  const ecdh = createECDH(curve === 'P-256' ? 'prime256v1' : 'secp256k1')
  const xy = new Uint8Array(ecdh.generateKeys().subarray(1)) // the point is 0x04 || x || y
  const d = new Uint8Array(32)
  const scalar = ecdh.getPrivateKey() // big-endian, leading zeros dropped
  d.set(scalar, 32 - scalar.length)
  const privateKey = createPrivateKey({ key: { kty: 'EC', crv: curve, d: b64u(d), x: b64u(xy.subarray(0, 32)), y: b64u(xy.subarray(32)) }, format: 'jwk' })
  return { privateKey, d, xy }
}

export function generateP256(): P256KeyPair {
  const { privateKey, xy } = generateEcKey('P-256')
  return { privateKey, publicKey: xy }
}

export function p256FromPkcs8(der: Uint8Array): P256KeyPair {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  } catch (e) {
    throw new TeeError('ATTEST_DIR', `not a PKCS#8 P-256 private key: ${(e as Error).message}`)
  }
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) }
}

export const p256ToPkcs8 = (k: P256KeyPair): Uint8Array => new Uint8Array(k.privateKey.export({ format: 'der', type: 'pkcs8' }))

/** ECDSA P-256 over SHA-256(message), r || s. */
export const p256Sign = (k: P256KeyPair, message: Uint8Array): Uint8Array =>
  new Uint8Array(sign('sha256', message, { key: k.privateKey, dsaEncoding: 'ieee-p1363' }))

// Importing a key costs about as much as a verify; peers reuse a few roots and attestation keys, so keep the last few.
const KEY_CACHE_SIZE = 32
const keyCache = new Map<string, KeyObject | null>()

function publicKeyObject(raw: Uint8Array): KeyObject | null {
  const id = toHex(raw)
  if (keyCache.has(id)) return keyCache.get(id) ?? null
  let key: KeyObject | null
  try {
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(0, 32)), y: b64u(raw.subarray(32)) }, format: 'jwk' })
  } catch {
    // An attacker-chosen key that is not a curve point: the same outcome as a bad signature, by design.
    key = null
  }
  if (keyCache.size >= KEY_CACHE_SIZE) {
    const oldest = keyCache.keys().next()
    if (oldest.done !== true) keyCache.delete(oldest.value)
  }
  keyCache.set(id, key)
  return key
}

/**
 * Verifies r || s over SHA-256(message) with a raw x || y key. Returns false, never throws, for any bad input
 * (a point not on the curve, wrong lengths): the verifier treats every such case as a bad signature.
 */
export function p256Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 64 || signature.length !== 64) return false
  const key = publicKeyObject(publicKey)
  if (key === null) return false
  try {
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    // OpenSSL may throw on malformed r || s; for the verifier that is just a bad signature.
    return false
  }
}

export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!
  return d === 0
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Strict hex (optional 0x) to bytes of an exact length, or null. */
export function fromHex(s: string, length: number): Uint8Array | null {
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  if (h.length !== length * 2 || !/^[0-9a-fA-F]*$/.test(h)) return null
  return new Uint8Array(Buffer.from(h, 'hex'))
}
