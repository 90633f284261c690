/**
 * SIGSTRUCT: the enclave signer's statement "this MRENCLAVE is my product ISVPRODID at version ISVSVN" (SGX signs it
 * with RSA-3072; the simulation with ECDSA P-256). The loader checks it before launch (EINIT) and derives MRSIGNER
 * from the signer's public key, so MRSIGNER = SHA-256(x || y of the testnet's enclave-signing key).
 */
import { bytesEqual, fromHex, p256Sign, p256Verify, sha256, toHex, type P256KeyPair } from '../crypto.ts'
import { TeeError } from '../errors.ts'

export interface SigStruct {
  mrEnclave: Uint8Array
  isvProdId: number
  isvSvn: number
  /** Whether the signer allows this enclave to be launched in DEBUG mode (SGX: ATTRIBUTES/ATTRIBUTEMASK). */
  allowDebug: boolean
  signerPublicKey: Uint8Array
  signature: Uint8Array
}

const DOMAIN = new TextEncoder().encode('teecast-sigstruct-v1')

function signedBytes(mrEnclave: Uint8Array, isvProdId: number, isvSvn: number, allowDebug: boolean): Uint8Array {
  const tail = new Uint8Array(5)
  const v = new DataView(tail.buffer)
  v.setUint16(0, isvProdId, true)
  v.setUint16(2, isvSvn, true)
  tail[4] = allowDebug ? 1 : 0
  const out = new Uint8Array(DOMAIN.length + 32 + 5)
  out.set(DOMAIN)
  out.set(mrEnclave, DOMAIN.length)
  out.set(tail, DOMAIN.length + 32)
  return out
}

export const mrSignerOf = (signerPublicKey: Uint8Array): Uint8Array => sha256(signerPublicKey)

export function signEnclave(signer: P256KeyPair, mrEnclave: Uint8Array, isvProdId: number, isvSvn: number, allowDebug = true): SigStruct {
  return {
    mrEnclave,
    isvProdId,
    isvSvn,
    allowDebug,
    signerPublicKey: signer.publicKey,
    signature: p256Sign(signer, signedBytes(mrEnclave, isvProdId, isvSvn, allowDebug)),
  }
}

/** EINIT's check: the SIGSTRUCT names this measurement and its signature holds. Throws EINIT_FAILED. */
export function checkSigStruct(s: SigStruct, measurement: Uint8Array, debug: boolean): void {
  if (!bytesEqual(s.mrEnclave, measurement)) {
    throw new TeeError('EINIT_FAILED', `SIGSTRUCT is for MRENCLAVE ${toHex(s.mrEnclave)}, the program measures ${toHex(measurement)}`)
  }
  if (!p256Verify(s.signerPublicKey, signedBytes(s.mrEnclave, s.isvProdId, s.isvSvn, s.allowDebug), s.signature)) {
    throw new TeeError('EINIT_FAILED', 'SIGSTRUCT signature does not verify')
  }
  if (debug && !s.allowDebug) throw new TeeError('EINIT_FAILED', 'the signer does not allow this enclave in DEBUG mode')
}

export interface SigStructJson {
  mrEnclave: string
  isvProdId: number
  isvSvn: number
  allowDebug: boolean
  signerPublicKey: string
  signature: string
}

export const sigStructToJson = (s: SigStruct): SigStructJson => ({
  mrEnclave: toHex(s.mrEnclave),
  isvProdId: s.isvProdId,
  isvSvn: s.isvSvn,
  allowDebug: s.allowDebug,
  signerPublicKey: toHex(s.signerPublicKey),
  signature: toHex(s.signature),
})

export function sigStructFromJson(j: SigStructJson): SigStruct {
  const need = (name: string, v: string, n: number): Uint8Array => {
    const b = fromHex(v, n)
    if (b === null) throw new TeeError('ATTEST_DIR', `SIGSTRUCT ${name} must be ${n} bytes of hex`)
    return b
  }
  return {
    mrEnclave: need('mrEnclave', j.mrEnclave, 32),
    isvProdId: j.isvProdId,
    isvSvn: j.isvSvn,
    allowDebug: j.allowDebug,
    signerPublicKey: need('signerPublicKey', j.signerPublicKey, 64),
    signature: need('signature', j.signature, 64),
  }
}
