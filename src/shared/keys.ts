/**
 * Deterministic key material for local testnets and the simulator: node keys, signer keys and prefunded workload
 * accounts are derived from the seed, so the same seed gives the same enodes, genesis, topology and simulated plans. Never use these keys on a
 * public network: anyone with the seed has them.
 */
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js'
import { keccak256 } from 'ethereum-cryptography/keccak.js'
import { bytesToHex, createAddressFromPrivateKey, utf8ToBytes } from '@ethereumjs/util'

/** A 32-byte private key derived from (seed, label, index); retried until it is a valid secp256k1 scalar. */
export function deriveKey(seed: string, label: string, index: number): Uint8Array {
  for (let attempt = 0; ; attempt++) {
    const key = keccak256(utf8ToBytes(`teecast/${seed}/${label}/${index}/${attempt}`))
    if (secp256k1.utils.isValidPrivateKey(key)) return key
  }
}

/** The 64-byte devp2p public key: the uncompressed secp256k1 point without its 0x04 prefix. */
export function nodePublicKey(privateKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(privateKey, false).slice(1)
}

/** devp2p node id: `nodePublicKey` as 128 hex chars. */
export function nodeIdOf(privateKey: Uint8Array): string {
  return bytesToHex(nodePublicKey(privateKey)).slice(2)
}

export function addressOf(privateKey: Uint8Array): string {
  return createAddressFromPrivateKey(privateKey).toString()
}

export function enodeOf(privateKey: Uint8Array, host: string, port: number): string {
  return `enode://${nodeIdOf(privateKey)}@${host}:${port}`
}
