/**
 * Deterministic key material for local testnets: node keys, signer keys and prefunded workload accounts are derived
 * from the testnet seed, so the same seed gives the same enodes, genesis and topology. Never use these keys on a
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

/** devp2p node id: the uncompressed public key without its 0x04 prefix, as 128 hex chars. */
export function nodeIdOf(privateKey: Uint8Array): string {
  return bytesToHex(secp256k1.getPublicKey(privateKey, false).slice(1)).slice(2)
}

export function addressOf(privateKey: Uint8Array): string {
  return createAddressFromPrivateKey(privateKey).toString()
}

export function enodeOf(privateKey: Uint8Array, host: string, port: number): string {
  return `enode://${nodeIdOf(privateKey)}@${host}:${port}`
}
