/**
 * Signatures by a node's devp2p key (secp256k1), for epoch reports: ECDSA over SHA-256(message), 64-byte r || s.
 * Built on node:crypto only, so the coordinator enclave program can verify them without a package import.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url')
const publicKeys = new Map<string, KeyObject>()

/** `nodeId` is the 64-byte uncompressed public key without its 0x04 prefix (the devp2p node id). */
function publicKeyOf(nodeId: Uint8Array): KeyObject {
  const hex = Buffer.from(nodeId).toString('hex')
  let k = publicKeys.get(hex)
  if (k === undefined) {
    k = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: b64u(nodeId.subarray(0, 32)), y: b64u(nodeId.subarray(32, 64)) }, format: 'jwk' })
    // A coordinator checks one report per planned node each epoch: hold a whole plan's keys (MAX_PLAN_NODES).
    if (publicKeys.size > 65_536) publicKeys.clear()
    publicKeys.set(hex, k)
  }
  return k
}

export function nodeSigner(privateKey: Uint8Array, nodeId: Uint8Array): (message: Uint8Array) => Uint8Array {
  const key = createPrivateKey({
    key: { kty: 'EC', crv: 'secp256k1', d: b64u(privateKey), x: b64u(nodeId.subarray(0, 32)), y: b64u(nodeId.subarray(32, 64)) },
    format: 'jwk',
  })
  return (message) => new Uint8Array(sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }))
}

export function verifyNodeSignature(nodeId: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (nodeId.length !== 64 || signature.length !== 64) return false
  try {
    return verify('sha256', message, { key: publicKeyOf(nodeId), dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}
