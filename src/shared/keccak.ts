/**
 * keccak256 as fast as this machine can: three implementations, the same bytes.
 * - @polkadot/wasm-crypto's (the client's own default hash) for inputs under 8 KB: ~2 µs for a 113 B tx where the
 *   pure-JS hash takes ~29 µs and the native binding ~9 µs (its per-call object costs more than the hash); a tee/1
 *   frame of 4,096 tiny items took ~100 ms to take ids for in JS.
 * - the `keccak` package's native binding from 8 KB (110 µs for 16 KB against 147 wasm; ~25x the JS hash on 1 MB).
 * - the pure-JS hash while the wasm one is not ready (it loads in the background from the first hash, so a process
 *   that never hashes never loads it; a process that wants it from its first hash awaits `keccakReady()`), and if
 *   neither loads.
 */
import { createRequire } from 'node:module'
import { keccak256 as jsKeccak256 } from 'ethereum-cryptography/keccak.js'

type NativeKeccak = (algorithm: 'keccak256') => { update(data: Buffer): { digest(): Buffer } }

const native = ((): NativeKeccak | undefined => {
  try {
    return createRequire(import.meta.url)('keccak/bindings') as NativeKeccak
  } catch {
    return undefined
  }
})()

let wasm: ((data: Uint8Array) => Uint8Array) | undefined
let loading: Promise<void> | undefined

/** Loads the wasm hash (once); resolves when it is in use, or could not be loaded (then the others serve). Never rejects. */
export function keccakReady(): Promise<void> {
  loading ??= import('@polkadot/wasm-crypto')
    .then(async (m) => {
      if (await m.waitReady()) wasm = m.keccak256
    })
    .catch(() => undefined)
  return loading
}

/** From this many bytes the native binding is the fastest (against wasm; against the JS hash, from 1 KB). */
const NATIVE_FROM_BYTES = 8192
const NATIVE_OVER_JS_FROM_BYTES = 1024

export const nativeKeccakLoaded = native !== undefined
export const wasmKeccakLoaded = (): boolean => wasm !== undefined

export function keccak256(data: Uint8Array): Uint8Array {
  if (native !== undefined && data.length >= (wasm === undefined ? NATIVE_OVER_JS_FROM_BYTES : NATIVE_FROM_BYTES)) {
    return new Uint8Array(native('keccak256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest())
  }
  if (wasm !== undefined) return wasm(data)
  if (loading === undefined) void keccakReady()
  return jsKeccak256(data)
}
