/**
 * Patch @ethereumjs/client 053 (hostile-peer-penalty), against a real in-process node. Without it PROTOCOL_ERROR has
 * no listener: a peer that sends an undecodable NewBlock or txs, or answers a request never made, stays connected.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { bigIntToBytes, hexToBytes } from '@ethereumjs/util'
import { AdversaryPeer, DISCONNECT, reasonName } from '../../testnets/adversary/peer.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

let t: Target
before(async () => {
  t = await startTarget('penalty')
  // Txs are decoded only by a synchronized node; the follower sits at genesis.
  t.node.client.config.synchronized = true
})
after(async () => {
  await t?.stop()
})

const hostile: [string, (p: AdversaryPeer) => void][] = [
  ['a garbage NewBlock', (p) => p.sendEth(0x07, [[new Uint8Array(3), [], []], bigIntToBytes(5n)])],
  ['undecodable txs', (p) => p.sendEth(0x02, [hexToBytes('0x02c0'), [new Uint8Array(1)]])],
  ['an unsolicited BlockHeaders (request id never issued)', (p) => p.sendEth(0x04, [bigIntToBytes(1n << 40n), []])],
  ['an unsolicited PooledTransactions', (p) => p.sendEth(0x0a, [bigIntToBytes(1n << 40n), []])],
]

for (const [what, send] of hostile) {
  test(`${what} disconnects the peer with SUBPROTOCOL_ERROR`, { timeout: 30_000 }, async () => {
    const p = await AdversaryPeer.connect(t.ctx.target)
    p.status(t.ctx.target, { td: t.ctx.genesisTd, bestHash: t.ctx.genesisHash, genesisHash: t.ctx.genesisHash })
    await new Promise((r) => setTimeout(r, 300))
    send(p)
    const c = await Promise.race([p.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))])
    assert.ok(c !== undefined, 'still connected after 10 s')
    assert.equal(c.reason, DISCONNECT.SUBPROTOCOL_ERROR, `closed with ${reasonName(c.reason)}`)
    assert.equal(typeof (await rpcCall<string>(t.rpcUrl, 'eth_blockNumber')), 'string')
  })
}

test('none of them raised an unhandled rejection', () => {
  assert.deepEqual(t.unhandled, [])
})
