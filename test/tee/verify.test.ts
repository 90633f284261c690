import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { fixture, T0 } from './fixture.ts'
import { produceQuote, SimulatedQuotingEnclave } from '../../src/tee/qe.ts'
import { verifyQuote, type VerifyOptions } from '../../src/tee/verifier.ts'
import { ChallengeBook } from '../../src/tee/challenge-book.ts'
import { createAttestationRoot } from '../../src/tee/root.ts'
import { measure } from '../../src/tee/sim/bundle.ts'
import { SIGNED_SIZE, SIG_DATA_OFFSET, H, HEADER_SIZE, B } from '../../src/tee/quote/layout.ts'
import { parseQuote } from '../../src/tee/quote/quote.ts'
import { isDebug } from '../../src/tee/quote/report-body.ts'

const f = fixture()
const book = new ChallengeBook()

function fresh(over: Partial<VerifyOptions> = {}) {
  const challenge = book.issue(T0)
  const quote = produceQuote(f.qe, f.identity, f.nodePublicKey, challenge)
  const opts: VerifyOptions = { policy: f.mrenclavePolicy, nodePublicKey: f.nodePublicKey, challenge, challengeBook: book, now: T0 + 1000, ...over }
  return { quote, challenge, opts }
}

const reasonOf = (bytes: Uint8Array, o: VerifyOptions): string => {
  const r = verifyQuote(bytes, o)
  return r.ok ? 'OK' : r.reason
}

test('genuine quote is accepted under both policy kinds, fields as produced', () => {
  const a = fresh()
  const r = verifyQuote(a.quote, a.opts)
  assert.equal(r.ok, true, r.ok ? '' : r.detail)
  assert.ok(r.ok)
  assert.deepEqual(r.quote.body.mrEnclave, f.identity.mrEnclave)
  assert.equal(r.quote.header.issuedAtSec, Math.floor(T0 / 1000))
  assert.equal(isDebug(r.quote.body), false)
  assert.deepEqual(r.quote.body.reportData.subarray(32), new Uint8Array(32))
  const b = fresh({ policy: f.mrsignerPolicy })
  assert.equal(reasonOf(b.quote, b.opts), 'OK')
})

test('wrong root: bad-root', () => {
  const a = fresh({ policy: { ...f.mrenclavePolicy, rootPublicKeys: [createAttestationRoot().publicKey] } })
  assert.equal(reasonOf(a.quote, a.opts), 'bad-root')
})

test('QE certified by another root but claiming the trusted root: bad-cert', () => {
  const other = SimulatedQuotingEnclave.create(createAttestationRoot(), () => T0)
  const challenge = book.issue(T0)
  const q = produceQuote(other, f.identity, f.nodePublicKey, challenge)
  q.set(f.root.publicKey, q.length - 64) // certification data is last
  assert.equal(reasonOf(q, { policy: f.mrenclavePolicy, nodePublicKey: f.nodePublicKey, challenge, challengeBook: book, now: T0 }), 'bad-cert')
})

test('every single byte flip in header+body is rejected; past the parse-checked fields as bad-signature', () => {
  const a = fresh()
  const opts = { ...a.opts, challengeBook: undefined }
  for (let i = 0; i < SIGNED_SIZE; i++) {
    const q = a.quote.slice()
    q[i] = q[i]! ^ 0x01
    const reason = reasonOf(q, opts)
    if (i < H.issuedAt) assert.match(reason, /^unsupported-(version|key-type)$/, `byte ${i}`)
    else assert.equal(reason, 'bad-signature', `byte ${i}`)
  }
  assert.equal(reasonOf(a.quote, a.opts), 'OK', 'the original still verifies')
})

test('every byte flip in the ISV signature: bad-signature', () => {
  const a = fresh()
  const opts = { ...a.opts, challengeBook: undefined }
  for (let i = SIG_DATA_OFFSET; i < SIG_DATA_OFFSET + 64; i++) {
    const q = a.quote.slice()
    q[i] = q[i]! ^ 0x80
    assert.equal(reasonOf(q, opts), 'bad-signature', `byte ${i}`)
  }
})

test('program changed by one byte: mrenclave-not-allowed', () => {
  const code = f.bundle.code.slice()
  code[code.length >> 1] = code[code.length >> 1]! ^ 1
  const changed = measure(code)
  assert.notDeepEqual(changed, f.bundle.measurement)
  const challenge = book.issue(T0)
  const q = produceQuote(f.qe, { ...f.identity, mrEnclave: changed }, f.nodePublicKey, challenge)
  assert.equal(reasonOf(q, { ...fresh().opts, challenge }), 'mrenclave-not-allowed')
})

test('DEBUG enclave: debug-enclave, unless the policy allows debug', () => {
  const challenge = book.issue(T0)
  const q = produceQuote(f.qe, { ...f.identity, debug: true }, f.nodePublicKey, challenge)
  const body = parseQuote(q).body
  assert.equal(isDebug(body), true)
  assert.equal(q[HEADER_SIZE + B.attributes]! & 2, 2)
  const opts = { ...fresh().opts, challenge, challengeBook: undefined }
  assert.equal(reasonOf(q, opts), 'debug-enclave')
  assert.equal(reasonOf(q, { ...opts, policy: { ...f.mrenclavePolicy, allowDebug: true } }), 'OK')
})

test('ISVSVN below minimum: isvsvn-too-low; other signer or product rejected distinctly', () => {
  const policy = { ...f.mrsignerPolicy, enclave: { kind: 'mrsigner' as const, mrSigner: f.identity.mrSigner, isvProdId: f.identity.isvProdId, minIsvSvn: f.identity.isvSvn + 1 } }
  const a = fresh({ policy })
  assert.equal(reasonOf(a.quote, a.opts), 'isvsvn-too-low')
  const b = fresh({ policy: { ...policy, enclave: { ...policy.enclave, minIsvSvn: 0, isvProdId: 99 } } })
  assert.equal(reasonOf(b.quote, b.opts), 'isvprodid-mismatch')
  const c = fresh({ policy: { ...policy, enclave: { ...policy.enclave, mrSigner: new Uint8Array(32) } } })
  assert.equal(reasonOf(c.quote, c.opts), 'mrsigner-not-allowed')
})

test('wrong node key or wrong challenge: report-data-mismatch', () => {
  const a = fresh({ nodePublicKey: new Uint8Array(randomBytes(64)) })
  assert.equal(reasonOf(a.quote, a.opts), 'report-data-mismatch')
  const b = fresh()
  assert.equal(reasonOf(b.quote, { ...b.opts, challenge: book.issue(T0) }), 'report-data-mismatch')
})

test('replayed challenge: replayed-challenge; foreign: unknown-challenge; late: challenge-expired', () => {
  const a = fresh()
  assert.equal(reasonOf(a.quote, a.opts), 'OK')
  assert.equal(reasonOf(a.quote, a.opts), 'replayed-challenge')
  const foreign = new Uint8Array(randomBytes(32))
  const q = produceQuote(f.qe, f.identity, f.nodePublicKey, foreign)
  assert.equal(reasonOf(q, { ...a.opts, challenge: foreign }), 'unknown-challenge')
  const c = fresh()
  assert.equal(reasonOf(c.quote, { ...c.opts, now: T0 + book.ttlMs + 1 }), 'challenge-expired')
})

test('expired quote: quote-expired; from the future: quote-from-future', () => {
  const a = fresh({ now: T0 + 601_000 })
  assert.equal(reasonOf(a.quote, a.opts), 'quote-expired')
  const b = fresh({ now: T0 - 31_000 })
  assert.equal(reasonOf(b.quote, b.opts), 'quote-from-future')
})

test('truncated input at every length: truncated; garbage: a typed parse reason', () => {
  const a = fresh()
  const opts = { ...a.opts, challengeBook: undefined }
  for (let n = 0; n < a.quote.length; n++) {
    const reason = reasonOf(a.quote.subarray(0, n), opts)
    assert.equal(reason, 'truncated', `length ${n}`)
  }
  const extra = new Uint8Array(a.quote.length + 1)
  extra.set(a.quote)
  assert.equal(reasonOf(extra, opts), 'malformed')
  assert.equal(reasonOf(new Uint8Array(randomBytes(1200)), opts), 'unsupported-version')
  assert.equal(reasonOf(new Uint8Array(100_000), opts), 'too-large')
  assert.equal(reasonOf('nope' as unknown as Uint8Array, opts), 'not-bytes')
})

test('challenge book drops the oldest when full', () => {
  const small = new ChallengeBook(60_000, 2)
  const c1 = small.issue(T0)
  small.issue(T0)
  small.issue(T0)
  assert.equal(small.size, 2)
  assert.equal(small.consume(c1, T0), 'unknown-challenge')
})
