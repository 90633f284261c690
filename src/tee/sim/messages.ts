/**
 * What may cross the simulated enclave boundary (host <-> worker). Only these structured messages are posted; both
 * sides validate what they receive. Values are plain data (no functions, no KeyObjects, no shared memory), so the
 * only way a secret could leave the enclave is by a program returning its bytes, and the built-in key never exists
 * as bytes inside the enclave at all (it is a node:crypto KeyObject).
 */

/** Data that may be an ecall argument or result. */
export type EcallValue = null | boolean | number | string | Uint8Array | EcallValue[] | { [key: string]: EcallValue }

export type HostToEnclave = { t: 'ecall'; id: number; name: string; args: EcallValue[] }

export type EnclaveToHost =
  | { t: 'ready'; publicKey: Uint8Array; ecalls: string[] }
  | { t: 'return'; id: number; value: EcallValue }
  | { t: 'fail'; id: number; code: 'ECALL_UNKNOWN' | 'ECALL_BAD_ARGS' | 'ECALL_FAILED'; message: string }

/** Bounds on what one message may carry, so a buggy or hostile side cannot make the other walk a huge graph. */
export const MAX_VALUE_DEPTH = 16
export const MAX_VALUE_NODES = 100_000

/** True if `v` is an EcallValue within the bounds above. Plain objects only (prototype Object or null). */
export function isEcallValue(v: unknown): v is EcallValue {
  let nodes = 0
  const walk = (x: unknown, depth: number): boolean => {
    if (++nodes > MAX_VALUE_NODES || depth > MAX_VALUE_DEPTH) return false
    if (x === null || typeof x === 'boolean' || typeof x === 'string') return true
    if (typeof x === 'number') return Number.isFinite(x)
    if (x instanceof Uint8Array) return x.constructor === Uint8Array || x.constructor === Buffer
    if (Array.isArray(x)) return x.every((e) => walk(e, depth + 1))
    if (typeof x === 'object') {
      const proto: unknown = Object.getPrototypeOf(x)
      if (proto !== Object.prototype && proto !== null) return false
      return Object.values(x).every((e) => walk(e, depth + 1))
    }
    return false
  }
  return walk(v, 0)
}
