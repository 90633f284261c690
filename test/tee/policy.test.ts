import { test } from 'node:test'
import assert from 'node:assert/strict'
import { policyFromJson, policyToJson } from '../../src/tee/policy.ts'
import { isTeeError } from '../../src/tee/errors.ts'
import { verifyQuote } from '../../src/tee/verifier.ts'
import { produceQuote } from '../../src/tee/qe.ts'
import { fixture, T0 } from './fixture.ts'

test('policy JSON round-trips and bad policies are refused with POLICY_INVALID', () => {
  const f = fixture()
  for (const p of [f.mrenclavePolicy, f.mrsignerPolicy]) assert.deepEqual(policyFromJson(JSON.parse(JSON.stringify(policyToJson(p)))), p)
  const good = policyToJson(f.mrsignerPolicy)
  const bads: unknown[] = [
    null,
    [],
    { ...good, rootPublicKeys: [] },
    { ...good, rootPublicKeys: ['abcd'] },
    { ...good, enclave: { kind: 'other' } },
    { ...good, enclave: { kind: 'mrenclave', allowed: [] } },
    { ...good, enclave: { ...good.enclave, isvProdId: 70000 } },
    { ...good, allowDebug: 'no' },
    { ...good, maxQuoteAgeSec: -1 },
  ]
  for (const b of bads) assert.throws(() => policyFromJson(b), (e) => isTeeError(e, 'POLICY_INVALID'), JSON.stringify(b))
})

test('a NaN clock or policy limit is bad-arguments, not a skipped age check', () => {
  const f = fixture()
  const challenge = new Uint8Array(32)
  const q = produceQuote(f.qe, f.identity, f.nodePublicKey, challenge)
  const base = { policy: f.mrenclavePolicy, nodePublicKey: f.nodePublicKey, challenge, now: T0 }
  assert.equal(verifyQuote(q, base).ok, true)
  for (const o of [{ ...base, now: Number.NaN }, { ...base, policy: { ...f.mrenclavePolicy, maxQuoteAgeSec: Number.NaN } }]) {
    const r = verifyQuote(q, o)
    assert.equal(r.ok ? 'OK' : r.reason, 'bad-arguments')
  }
  const r = verifyQuote(q, { ...base, challenge: new Uint8Array(31) })
  assert.equal(r.ok ? 'OK' : r.reason, 'bad-arguments')
})
