/**
 * The crypto a node runs with. `native` replaces the client's sender recovery (ecrecover) with libsecp256k1 from the
 * `secp256k1` npm package (a prebuilt binary shipped in the package, no download at install), and keccak256 with the
 * shared hash (`src/shared/keccak.ts`: the same wasm hash under 8 KB, the native binding above, where a 120 KB tx hashes
 * in ~640 us against ~840); everything else is the client's own (`wasm`: @polkadot/wasm-crypto keccak/sha256, noble
 * for the rest). Measured by make bench-chain.
 */
import { createRequire } from 'node:module'
import { calculateSigRecovery } from '@ethereumjs/util'
import { getCryptoFunctions } from '@ethereumjs/client/dist/esm/bin/utils.js'
import { keccak256, keccakReady } from '../shared/keccak.ts'

export const CRYPTO_KINDS = ['native', 'wasm'] as const
export type CryptoKind = (typeof CRYPTO_KINDS)[number]

interface NativeSecp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
}

let native: NativeSecp256k1 | undefined

/** The native binding itself, never the package's silent pure-JS fallback. */
export function loadNativeSecp256k1(): NativeSecp256k1 {
  native ??= createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1
  return native
}

type CustomCrypto = Awaited<ReturnType<typeof getCryptoFunctions>>

export function nativeEcrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const sig = new Uint8Array(64)
  sig.set(r, 32 - r.length)
  sig.set(s, 64 - s.length)
  const recid = Number(calculateSigRecovery(v, chainId))
  // 65-byte uncompressed key; callers want the 64 bytes after the 0x04 prefix.
  return loadNativeSecp256k1().ecdsaRecover(sig, recid, msgHash, false).slice(1)
}

export async function cryptoFunctions(kind: CryptoKind): Promise<CustomCrypto> {
  const base = await getCryptoFunctions(false)
  if (kind === 'wasm') return base
  await keccakReady()
  return { ...base, ecrecover: nativeEcrecover, keccak256 }
}
