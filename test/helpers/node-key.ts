import { generateEcKey } from '../../src/tee/crypto.ts'

/** A fresh devp2p node key: the secp256k1 private key and the 64-byte node id (x || y). */
export function nodeKey(): { priv: Uint8Array; id: Uint8Array; hex: string } {
  const { d, xy } = generateEcKey('secp256k1')
  return { priv: d, id: xy, hex: Buffer.from(xy).toString('hex') }
}
