/**
 * The enclave runtime: the code that runs INSIDE the simulated enclave, bundled together with the program and
 * therefore part of its measurement (MRENCLAVE). It MUST import only `node:` built-ins and type-only modules, so that
 * the bundle is self-contained and everything that runs is measured.
 *
 * On start it generates the enclave key (secp256k1) as a node:crypto KeyObject that never leaves this worker: no
 * message carries it, and results are checked to be plain data (a KeyObject could otherwise be structured-cloned).
 *
 * Built-in ecalls:
 * - `getPublicKey()` -> 65-byte uncompressed secp256k1 public key (0x04 || x || y).
 * - `sign(message)`  -> 64-byte r || s, ECDSA secp256k1 over SHA-256(message), s normalised to the low half of the
 *   curve order (as Ethereum and @noble/secp256k1 require). secp256k1 because every devp2p node already verifies it.
 *
 * A program adds its own ecalls with `runProgram({ name, ecalls })`; their code is in the same bundle, so it is
 * measured. The program may not redefine the built-ins.
 */
import { parentPort } from 'node:worker_threads'
import { createECDH, createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto'
import { isEcallValue, type EcallValue, type EnclaveToHost } from './messages.ts'

/** What program code sees inside the enclave. */
export interface EnclaveContext {
  /** 65-byte uncompressed secp256k1 public key of the enclave. */
  readonly publicKey: Uint8Array
  /** ECDSA secp256k1 over SHA-256(message), 64-byte low-s r || s. */
  sign(message: Uint8Array): Uint8Array
}

export type EcallHandler = (ctx: EnclaveContext, ...args: EcallValue[]) => EcallValue | Promise<EcallValue>

export interface ProgramDefinition {
  name: string
  ecalls: Record<string, EcallHandler>
}

export const BUILTIN_ECALLS = ['getPublicKey', 'sign'] as const

/** secp256k1 group order n. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const HALF_N = N >> 1n

const toBig = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`)
const to32 = (x: bigint): Uint8Array => new Uint8Array(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'))

function makeContext(): EnclaveContext {
  // ECDH then import, not generateKeyPairSync: on Node 20 a generated KeyObject can deadlock the thread when the GC
  // finalises its keygen job during a sign (the job's destructor waits on the key's lock). Same as tee/crypto.ts
  // generateEcKey, written out here because the runtime imports node: built-ins only.
  const ecdh = createECDH('secp256k1')
  const pub = new Uint8Array(ecdh.generateKeys()) // 0x04 || x || y
  const d = new Uint8Array(32)
  const scalar = ecdh.getPrivateKey()
  d.set(scalar, 32 - scalar.length)
  const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url')
  const key: KeyObject = createPrivateKey({ key: { kty: 'EC', crv: 'secp256k1', d: b64u(d), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33)) }, format: 'jwk' })
  return {
    publicKey: pub,
    sign(message: Uint8Array): Uint8Array {
      const sig = new Uint8Array(nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }))
      const s = toBig(sig.subarray(32))
      if (s > HALF_N) sig.set(to32(N - s), 32)
      return sig
    },
  }
}

function builtins(): Record<(typeof BUILTIN_ECALLS)[number], EcallHandler> {
  return {
    getPublicKey: (ctx) => ctx.publicKey,
    sign: (ctx, message) => {
      if (!(message instanceof Uint8Array)) throw new BadArgs('sign(message) takes bytes')
      // Messages under the program domain (e.g. broadcast plans) are signed only by the program's own ecalls, over
      // what they computed; a host asking for them here would be forging a plan.
      if (startsWith(message, RESERVED_SIGNING_PREFIX)) throw new BadArgs('sign: messages starting with "teecast/" are reserved to program ecalls')
      return ctx.sign(message)
    },
  }
}

class BadArgs extends Error {}

const RESERVED_SIGNING_PREFIX = new TextEncoder().encode('teecast/')
const startsWith = (b: Uint8Array, prefix: Uint8Array): boolean => b.length >= prefix.length && prefix.every((x, i) => b[i] === x)

/** An enclave context in this process, for the simulator's in-process coordinators (no isolation: it says so). */
export const inProcessEnclaveContext = (): EnclaveContext => makeContext()

/**
 * Defines the program and, when running inside an enclave worker, serves its ecalls. Imported anywhere else (a test,
 * the type checker) it only returns the definition.
 */
export function runProgram(def: ProgramDefinition): ProgramDefinition {
  for (const b of BUILTIN_ECALLS) {
    if (Object.hasOwn(def.ecalls, b)) throw new Error(`program ${def.name} may not redefine the built-in ecall ${b}`)
  }
  const port = parentPort
  if (port === null) return def
  const ctx = makeContext()
  const table: Record<string, EcallHandler> = { ...builtins(), ...def.ecalls }
  const post = (m: EnclaveToHost): void => port.postMessage(m)
  port.on('message', (raw: unknown) => {
    const m = raw as { t?: unknown; id?: unknown; name?: unknown; args?: unknown }
    if (m === null || typeof m !== 'object' || m.t !== 'ecall' || typeof m.id !== 'number') return // not ours: ignored
    const id = m.id
    if (typeof m.name !== 'string' || !Array.isArray(m.args) || !isEcallValue(m.args)) {
      post({ t: 'fail', id, code: 'ECALL_BAD_ARGS', message: 'ecall arguments must be plain data' })
      return
    }
    const handler = Object.hasOwn(table, m.name) ? table[m.name] : undefined
    if (handler === undefined) {
      post({ t: 'fail', id, code: 'ECALL_UNKNOWN', message: `no ecall "${m.name}" in ${def.name}` })
      return
    }
    const args = m.args as EcallValue[]
    Promise.resolve()
      .then(() => handler(ctx, ...args))
      .then(
        (value) => {
          if (!isEcallValue(value)) post({ t: 'fail', id, code: 'ECALL_BAD_ARGS', message: `ecall ${m.name} returned data that may not leave the enclave` })
          else post({ t: 'return', id, value })
        },
        (e: unknown) => {
          // Only the message crosses the boundary: a stack could reveal enclave state.
          const code = e instanceof BadArgs ? 'ECALL_BAD_ARGS' : 'ECALL_FAILED'
          post({ t: 'fail', id, code, message: e instanceof Error ? e.message : String(e) })
        },
      )
  })
  post({ t: 'ready', publicKey: ctx.publicKey, ecalls: Object.keys(table) })
  return def
}
