/**
 * testnet up --tee-fraction: a share of the nodes (chosen from the seed) runs a simulated enclave, attested under the
 * testnet's attestation dir. Their quotes, fetched over teecast_attest for a fresh challenge, verify against the
 * testnet policy for exactly their node id; a node without an enclave says so with a JSON-RPC error.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { hexToBytes, bytesToHex } from '@ethereumjs/util'
import { launchTestnet } from '../../testnets/launcher.ts'
import type { TestnetDescription } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { loadPolicy } from '../../src/tee/attest-dir.ts'
import { verifyQuote } from '../../src/tee/verifier.ts'
import { makeTestnet } from '../helpers/testnet.ts'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription

before(async () => {
  net = await makeTestnet({ nodes: 3, signers: 1, degree: 2, seed: 'e2e-tee', teeFraction: 2 / 3 })
  d = await launchTestnet(net.dir, { readyTimeoutMs: 60_000 })
})
after(async () => net?.cleanup())

test('enclave nodes serve quotes that verify for their own node id and a fresh challenge', async () => {
  const tee = d.nodes.filter((n) => n.tee === true)
  assert.equal(tee.length, 2)
  assert.ok(d.attestationDir !== undefined)
  const policy = loadPolicy(d.attestationDir)
  for (const n of tee) {
    const challenge = randomBytes(32)
    const r = await rpcCall<{ nodeId: string; quote: string }>(n.rpcUrl, 'teecast_attest', [bytesToHex(challenge)])
    assert.equal(r.nodeId, n.nodeId)
    const quote = hexToBytes(r.quote as `0x${string}`)
    const ok = verifyQuote(quote, { policy, nodePublicKey: hexToBytes(`0x${n.nodeId}`), challenge, now: Date.now() })
    assert.equal(ok.ok ? 'OK' : `${ok.reason}: ${ok.detail}`, 'OK')
    const other = d.nodes.find((m) => m !== n)!
    const wrongNode = verifyQuote(quote, { policy, nodePublicKey: hexToBytes(`0x${other.nodeId}`), challenge, now: Date.now() })
    assert.deepEqual(wrongNode.ok ? 'accepted' : wrongNode.reason, 'report-data-mismatch')
  }
})

test('a node without an enclave refuses teecast_attest, and bad challenges get -32602', async () => {
  const plain = d.nodes.find((n) => n.tee !== true)!
  await assert.rejects(rpcCall(plain.rpcUrl, 'teecast_attest', [bytesToHex(randomBytes(32))]), /has no enclave.*code -32000/)
  const tee = d.nodes.find((n) => n.tee === true)!
  await assert.rejects(rpcCall(tee.rpcUrl, 'teecast_attest', ['0x1234']), /code -32602/)
})
