/**
 * Patches @ethereumjs/devp2p 001 (tcp-nodelay) and 002 (wire-tap), on two real RLPx endpoints over loopback TCP.
 * Without 001 no RLPx socket disables Nagle; without 002 no 'wire:*' event is emitted.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { ETH, RLPx } from '@ethereumjs/devp2p'
import { Common, Mainnet } from '@ethereumjs/common'
import { deriveKey, nodeIdOf } from '../../src/shared/keys.ts'
import { hexToBytes } from '@ethereumjs/util'

/** eventemitter3 (devp2p's) is not a node EventEmitter: wait for one event by hand. */
const once = (ee: { once(ev: string, fn: (...a: unknown[]) => void): unknown }, ev: string): Promise<unknown[]> =>
  new Promise((resolve) => ee.once(ev, (...a: unknown[]) => resolve(a)))

interface WirePeer {
  events: { on(ev: string, fn: (...a: number[]) => void): void }
  _sendPing(): void
}

test('RLPx sockets have Nagle disabled and every framed message is tapped', { timeout: 20_000 }, async () => {
  const noDelay: boolean[] = []
  const orig = net.Socket.prototype.setNoDelay
  net.Socket.prototype.setNoDelay = function (this: net.Socket, v?: boolean) {
    noDelay.push(v !== false)
    return orig.call(this, v)
  }
  const common = new Common({ chain: Mainnet })
  const [ka, kb] = [deriveKey('devp2p-test', 'node', 0), deriveKey('devp2p-test', 'node', 1)]
  const a = new RLPx(ka, { dpt: null, maxPeers: 2, capabilities: [ETH.eth68], common })
  const b = new RLPx(kb, { dpt: null, maxPeers: 2, capabilities: [ETH.eth68], common })
  try {
    b.listen(0, '127.0.0.1')
    await once(b.events, 'listening')
    const port = (b['_server'] as net.Server).address() as net.AddressInfo
    const addedA = once(a.events, 'peer:added')
    const addedB = once(b.events, 'peer:added')
    await a.connect({ id: hexToBytes(`0x${nodeIdOf(kb)}`), address: '127.0.0.1', tcpPort: port.port })
    const [pa] = (await addedA) as [WirePeer]
    const [pb] = (await addedB) as [WirePeer]
    assert.ok(noDelay.filter((x) => x).length >= 2, `setNoDelay(true) on both ends, saw ${JSON.stringify(noDelay)}`)

    const outA: number[][] = []
    const inB: number[][] = []
    pa.events.on('wire:out', (code, bytes) => outA.push([code, bytes]))
    pb.events.on('wire:in', (code, bytes) => inB.push([code, bytes]))
    const pong = new Promise<void>((resolve) => pa.events.on('wire:in', (code) => code === 3 && resolve()))
    pa._sendPing()
    await pong
    const ping = outA.find(([c]) => c === 2)
    assert.ok(ping !== undefined, 'Ping counted on the way out')
    assert.ok(ping[1]! >= 32 + 16, `framed size includes header and MAC, got ${ping[1]}`)
    assert.deepEqual(inB.find(([c]) => c === 2), ping, 'the receiver counts the same framed size')
  } finally {
    net.Socket.prototype.setNoDelay = orig
    a.destroy()
    b.destroy()
  }
})
