import { generateEcKey } from '../../src/tee/crypto.ts'

/** A fresh devp2p node key: the secp256k1 private key and the 64-byte node id (x || y). */
export function nodeKey(): { priv: Uint8Array; id: Uint8Array; hex: string } {
  const { d, x, y } = generateEcKey('secp256k1')
  const id = new Uint8Array(64)
  id.set(x, 0)
  id.set(y, 32)
  return { priv: d, id, hex: Buffer.from(id).toString('hex') }
}
