/**
 * Verifier policy: which roots to trust and which enclaves to accept. Either an explicit MRENCLAVE allow-list (exact
 * code) or MRSIGNER + ISVPRODID + minimum ISVSVN (any code the signer released at or after a security fix).
 */
import { DEFAULT_MAX_CLOCK_SKEW_SEC, DEFAULT_MAX_QUOTE_AGE_SEC } from './constants.ts'
import { fromHex, toHex } from './crypto.ts'
import { TeeError } from './errors.ts'

export type EnclaveRule = { kind: 'mrenclave'; allowed: Uint8Array[] } | { kind: 'mrsigner'; mrSigner: Uint8Array; isvProdId: number; minIsvSvn: number }

export interface Policy {
  /** Raw P-256 root public keys (x || y). */
  rootPublicKeys: Uint8Array[]
  enclave: EnclaveRule
  allowDebug: boolean
  maxQuoteAgeSec: number
  maxClockSkewSec: number
}

export interface PolicyJson {
  rootPublicKeys: string[]
  enclave: { kind: 'mrenclave'; allowed: string[] } | { kind: 'mrsigner'; mrSigner: string; isvProdId: number; minIsvSvn: number }
  allowDebug: boolean
  maxQuoteAgeSec?: number
  maxClockSkewSec?: number
}

export function policyToJson(p: Policy): PolicyJson {
  const e = p.enclave
  return {
    rootPublicKeys: p.rootPublicKeys.map(toHex),
    enclave: e.kind === 'mrenclave' ? { kind: 'mrenclave', allowed: e.allowed.map(toHex) } : { kind: 'mrsigner', mrSigner: toHex(e.mrSigner), isvProdId: e.isvProdId, minIsvSvn: e.minIsvSvn },
    allowDebug: p.allowDebug,
    maxQuoteAgeSec: p.maxQuoteAgeSec,
    maxClockSkewSec: p.maxClockSkewSec,
  }
}

const bad = (msg: string): TeeError => new TeeError('POLICY_INVALID', msg)
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const hexOf = (v: unknown, n: number, what: string): Uint8Array => {
  const b = typeof v === 'string' ? fromHex(v, n) : null
  if (b === null) throw bad(`${what} must be ${n} bytes of hex`)
  return b
}
const u16 = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw bad(`${what} must be an integer 0..65535`)
  return v
}
const secs = (v: unknown, dflt: number, what: string): number => {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${what} must be a number of seconds >= 0`)
  return v
}

/** Validates untrusted JSON (a policy file) into a Policy; throws POLICY_INVALID. */
export function policyFromJson(j: unknown): Policy {
  if (!isObj(j)) throw bad('policy must be an object')
  if (!Array.isArray(j.rootPublicKeys) || j.rootPublicKeys.length === 0) throw bad('rootPublicKeys must be a non-empty array')
  const rootPublicKeys = j.rootPublicKeys.map((k, i) => hexOf(k, 64, `rootPublicKeys[${i}]`))
  const e = j.enclave
  if (!isObj(e)) throw bad('enclave must be an object')
  let enclave: EnclaveRule
  if (e.kind === 'mrenclave') {
    if (!Array.isArray(e.allowed) || e.allowed.length === 0) throw bad('enclave.allowed must be a non-empty array')
    enclave = { kind: 'mrenclave', allowed: e.allowed.map((m, i) => hexOf(m, 32, `enclave.allowed[${i}]`)) }
  } else if (e.kind === 'mrsigner') {
    enclave = { kind: 'mrsigner', mrSigner: hexOf(e.mrSigner, 32, 'enclave.mrSigner'), isvProdId: u16(e.isvProdId, 'enclave.isvProdId'), minIsvSvn: u16(e.minIsvSvn, 'enclave.minIsvSvn') }
  } else throw bad('enclave.kind must be "mrenclave" or "mrsigner"')
  if (typeof j.allowDebug !== 'boolean') throw bad('allowDebug must be a boolean')
  return {
    rootPublicKeys,
    enclave,
    allowDebug: j.allowDebug,
    maxQuoteAgeSec: secs(j.maxQuoteAgeSec, DEFAULT_MAX_QUOTE_AGE_SEC, 'maxQuoteAgeSec'),
    maxClockSkewSec: secs(j.maxClockSkewSec, DEFAULT_MAX_CLOCK_SKEW_SEC, 'maxClockSkewSec'),
  }
}
