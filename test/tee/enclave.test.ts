import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, verify } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { SimulatedEnclave } from '../../src/tee/sim/simulated-enclave.ts'
import { bundleProgram, measure } from '../../src/tee/sim/bundle.ts'
import { signEnclave } from '../../src/tee/sim/sigstruct.ts'
import { generateP256, sha256 } from '../../src/tee/crypto.ts'
import { ATTEST_PROGRAM, type ProgramDescriptor } from '../../src/tee/programs/index.ts'
import { isTeeError } from '../../src/tee/errors.ts'
import { produceQuote, SimulatedQuotingEnclave } from '../../src/tee/qe.ts'
import { createAttestationRoot } from '../../src/tee/root.ts'
import { verifyQuote } from '../../src/tee/verifier.ts'

const signer = generateP256()
const LEAKY: ProgramDescriptor = { name: 'leaky', entry: fileURLToPath(new URL('./programs/leaky.ts', import.meta.url)), isvProdId: 9, isvSvn: 1 }
const sigFor = (p: ProgramDescriptor) => signEnclave(signer, bundleProgram(p.entry).measurement, p.isvProdId, p.isvSvn)

test('measurement is SHA-256 of the bundled code; one changed byte changes it', () => {
  const b = bundleProgram(ATTEST_PROGRAM.entry)
  assert.deepEqual(b.measurement, sha256(b.code))
  const c = b.code.slice()
  c[0] = c[0]! ^ 1
  assert.notDeepEqual(measure(c), b.measurement)
  assert.notDeepEqual(bundleProgram(LEAKY.entry).measurement, b.measurement)
})

test('EINIT refuses a SIGSTRUCT for another measurement', async () => {
  await assert.rejects(SimulatedEnclave.launch(ATTEST_PROGRAM, sigFor(LEAKY)), (e) => isTeeError(e, 'EINIT_FAILED'))
})

test('enclave runs the bundle in a worker; only plain data crosses; the private key never leaves', async () => {
  const seen: unknown[] = []
  const e = await SimulatedEnclave.launch(LEAKY, sigFor(LEAKY), { tap: (m) => seen.push(m) })
  try {
    assert.deepEqual(e.identity.mrEnclave, bundleProgram(LEAKY.entry).measurement)
    const msg = new TextEncoder().encode('hello')
    const sig = await e.ecall('sign', msg)
    assert.ok(sig instanceof Uint8Array && sig.length === 64)
    const pub = e.publicKey
    const key = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: Buffer.from(pub.subarray(1, 33)).toString('base64url'), y: Buffer.from(pub.subarray(33)).toString('base64url') }, format: 'jwk' })
    assert.equal(verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig), true)
    await assert.rejects(e.ecall('leakContext'), (x) => isTeeError(x, 'ECALL_BAD_ARGS'))
    await assert.rejects(e.ecall('boom'), (x) => isTeeError(x, 'ECALL_FAILED') && x.message === 'inside')
    await assert.rejects(e.ecall('nope'), (x) => isTeeError(x, 'ECALL_UNKNOWN'))
    // Every message the worker posted is one of the three shapes, with plain-data payloads only.
    assert.ok(seen.length >= 5)
    for (const m of seen) {
      const t = (m as { t: string }).t
      assert.ok(['ready', 'return', 'fail'].includes(t))
      const payload = t === 'ready' ? (m as { publicKey: unknown }).publicKey : t === 'return' ? (m as { value: unknown }).value : (m as { message: unknown }).message
      assert.ok(payload instanceof Uint8Array || typeof payload === 'string', `message ${JSON.stringify(m)}`)
      if (payload instanceof Uint8Array) assert.ok(payload.length === 65 || payload.length === 64)
    }
  } finally {
    await e.close()
  }
  await assert.rejects(e.ecall('sign', new Uint8Array(1)), (x) => isTeeError(x, 'ENCLAVE_LOST'))
})

test('a hung ecall times out and the enclave is destroyed', async () => {
  const e = await SimulatedEnclave.launch(LEAKY, sigFor(LEAKY), { timeoutMs: 300 })
  await assert.rejects(e.ecall('spin'), (x) => isTeeError(x, 'ECALL_TIMEOUT'))
  await assert.rejects(e.ecall('sign', new Uint8Array(1)), (x) => isTeeError(x, 'ENCLAVE_LOST'))
  await e.close()
})

test('a launched enclave is quoted with its own identity and the quote verifies', async () => {
  const e = await SimulatedEnclave.launch(ATTEST_PROGRAM, sigFor(ATTEST_PROGRAM))
  try {
    assert.deepEqual(await e.ecall('hello'), { name: 'teecast-attest', version: 1 })
    const root = createAttestationRoot()
    const now = 1_800_000_000_000
    const qe = SimulatedQuotingEnclave.create(root, () => now)
    const nodeId = e.publicKey.subarray(1)
    const challenge = new Uint8Array(32).fill(5)
    const q = produceQuote(qe, e.identity, nodeId, challenge)
    const policy = { rootPublicKeys: [root.publicKey], enclave: { kind: 'mrenclave' as const, allowed: [e.bundle.measurement] }, allowDebug: false, maxQuoteAgeSec: 60, maxClockSkewSec: 5 }
    const r = verifyQuote(q, { policy, nodePublicKey: nodeId, challenge, now })
    assert.equal(r.ok, true)
  } finally {
    await e.close()
  }
})
