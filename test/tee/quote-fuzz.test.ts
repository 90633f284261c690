/**
 * Fuzz: random and mutated inputs through parseQuote and verifyQuote. parseQuote may only throw QuoteParseError;
 * verifyQuote may only return a typed rejection (never throw, never 'internal-error', never accept a mutant).
 * Deterministic PRNG so a failure reproduces; the signature checks are the cost, so most mutants hit them only when
 * they parse.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixture, T0 } from './fixture.ts'
import { produceQuote } from '../../src/tee/qe.ts'
import { parseQuote, QuoteParseError } from '../../src/tee/quote/quote.ts'
import { verifyQuote } from '../../src/tee/verifier.ts'
import { SIG_DATA_OFFSET } from '../../src/tee/quote/layout.ts'

const ITERATIONS = 100_000

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

test(`fuzz: ${ITERATIONS} random and mutated inputs, only typed rejections escape`, () => {
  const f = fixture()
  const challenge = new Uint8Array(32).fill(7)
  const genuine = produceQuote(f.qe, f.identity, f.nodePublicKey, challenge)
  const opts = { policy: f.mrenclavePolicy, nodePublicKey: f.nodePublicKey, challenge, now: T0 }
  assert.equal(verifyQuote(genuine, opts).ok, true)
  const rnd = xorshift(0x7ee_ca57)
  const reasons = new Map<string, number>()
  const started = performance.now()
  for (let i = 0; i < ITERATIONS; i++) {
    let input: Uint8Array
    const kind = rnd() % 6
    if (kind === 0) {
      input = new Uint8Array(rnd() % 2048)
      for (let j = 0; j < input.length; j++) input[j] = rnd() & 0xff
      if (input.length >= 4 && rnd() % 2 === 0) input.set([3, 0, 2, 0]) // valid version + key type: reach deeper
    } else {
      input = genuine.slice()
      const flips = 1 + (rnd() % 4)
      for (let k = 0; k < flips; k++) {
        const at = kind === 1 ? SIG_DATA_OFFSET - 4 + (rnd() % (input.length - SIG_DATA_OFFSET + 4)) : rnd() % input.length
        input[at] = kind === 2 ? 0xff : rnd() & 0xff
      }
      if (kind === 3) input = input.subarray(0, rnd() % input.length)
      if (kind === 4) {
        const longer = new Uint8Array(input.length + (rnd() % 64))
        longer.set(input)
        input = longer
      }
    }
    try {
      parseQuote(input)
    } catch (e) {
      if (!(e instanceof QuoteParseError)) throw new Error(`iteration ${i}: parseQuote threw ${String(e)}`)
    }
    const r = verifyQuote(input, opts)
    if (r.ok) {
      // Only an unchanged quote may pass (a mutation that rewrote a byte to its own value).
      assert.deepEqual(input, genuine, `iteration ${i}: a mutant was accepted`)
      continue
    }
    assert.notEqual(r.reason, 'internal-error', `iteration ${i}: ${r.detail}`)
    reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1)
  }
  const ms = performance.now() - started
  console.log(`fuzz: ${ITERATIONS} inputs in ${ms.toFixed(0)} ms; reasons ${JSON.stringify(Object.fromEntries(reasons))}`)
})
