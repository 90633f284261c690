/**
 * Patch @ethereumjs/client 010 (responses-matched-by-request-id). Two requests of the same kind are in flight and
 * both responses arrive in one socket read, the second one first. Without the patch the first response resolves
 * whichever request registered, and the other request times out.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { Common, Mainnet } from '@ethereumjs/common'
import { bytesToBigInt } from '@ethereumjs/util'
import { Config } from '@ethereumjs/client/dist/esm/src/config.js'
import { EthProtocol } from '@ethereumjs/client/dist/esm/src/net/protocol/ethprotocol.js'
import { BoundEthProtocol } from '@ethereumjs/client/dist/esm/src/net/protocol/boundprotocol.js'

class RecordingSender extends EventEmitter {
  sent: { code: number; payload: unknown[] }[] = []
  sendMessage(code: number, payload: unknown[]): void {
    this.sent.push({ code, payload })
  }
}

test('concurrent requests each get their own response, matched by request id', async () => {
  const config = new Config({ common: new Common({ chain: Mainnet }), logger: undefined, discV4: false, discDns: false })
  const protocol = new EthProtocol({ config, chain: {} as never, timeout: 500 })
  const sender = new RecordingSender()
  const bound = new BoundEthProtocol({ config, protocol, peer: { pooled: true } as never, sender: sender as never })
  const first = bound.request('GetBlockHeaders', { block: 1n, max: 1 })
  const second = bound.request('GetBlockHeaders', { block: 2n, max: 1 })
  await new Promise((r) => setImmediate(r))
  assert.equal(sender.sent.length, 2, 'both requests went out')
  const ids = sender.sent.map((m) => bytesToBigInt(m.payload[0] as Uint8Array))
  assert.notEqual(ids[0], ids[1])
  // Both answers in the same tick, the second request's first.
  // As the RLPx sender delivers them: 'message' events, handled synchronously.
  for (const i of [1, 0]) sender.emit('message', { code: 0x04, payload: [sender.sent[i]!.payload[0], []] })
  const [r1, r2] = (await Promise.all([first, second])) as [[bigint, unknown[]], [bigint, unknown[]]]
  assert.equal(r1[0], ids[0])
  assert.equal(r2[0], ids[1])
})
