/**
 * The tee/1 hello over the devp2p adapter, with in-memory connections: a genuine quote makes the peer an attested
 * relay; a quote that fails the policy, a malformed frame, or data before the hello disconnects the peer with
 * SUBPROTOCOL_ERROR; a peer without an enclave joins unattested.
 */
import { test } from 'node:test'
import { EventEmitter } from 'node:events'
import assert from 'node:assert/strict'
import * as snappy from 'snappyjs'
import { HELLO_GRACE_MS, TeeAdapter } from '../../src/p2p/tee-adapter.ts'
import { TeePropagation } from '../../src/propagation/tee/propagation.ts'
import { Tee } from '../../src/p2p/tee-capability.ts'
import { decodeTeeMessage, encodeTeeMessage, TEE_CODES } from '../../src/propagation/tee/codec.ts'
import { ORIGIN_UNKNOWN } from '../../src/propagation/tee/messages.ts'
import { produceQuote, SimulatedQuotingEnclave } from '../../src/tee/qe.ts'
import { createAttestationRoot } from '../../src/tee/root.ts'
import type { Config } from '@ethereumjs/client/dist/esm/src/config.js'
import { fixture, T0 } from '../tee/fixture.ts'
import { nodeKey } from '../helpers/node-key.ts'

const quietConfig = { logger: undefined } as unknown as Config
/** One turn of the event loop: delivered txs reach the pool in the turns after their frame. */
const turn = () => new Promise((r) => setImmediate(r))

/** A Tee endpoint whose frames land in `sent` (decompressed and decoded) and whose disconnects are recorded. */
function endpoint() {
  const sent: ReturnType<typeof decodeTeeMessage>[] = []
  const disconnects: number[] = []
  const tee = new Tee(1, { disconnect: (r?: number) => disconnects.push(r ?? -1), _hello: { protocolVersion: 5 } }, (code, payload) => sent.push(decodeTeeMessage(code, snappy.uncompress(payload))))
  return { tee, sent, disconnects }
}

const frame = (m: Parameters<typeof encodeTeeMessage>[0]) => {
  const { code, payload } = encodeTeeMessage(m)
  return [code, payload] as const
}

function setup(enclave: boolean, now: () => number = () => T0) {
  const f = fixture(T0)
  const me = nodeKey()
  const peer = nodeKey()
  const quote = (id: Uint8Array, challenge: Uint8Array) => produceQuote(f.qe, f.identity, id, challenge)
  const adapter = new TeeAdapter(quietConfig, {
    selfId: me.hex,
    nodeKey: me.priv,
    policy: f.mrenclavePolicy,
    enclave: enclave ? { quote, planner: undefined as never } : undefined,
    params: {},
    now,
  })
  return { f, me, peer, adapter }
}

test('a genuine quote for our challenge makes the peer an attested tee/1 peer', () => {
  const { f, me, peer, adapter } = setup(true)
  const e = endpoint()
  adapter.bind(peer.hex, e.tee)
  const status = e.sent[0]
  assert.ok(status?.t === 'status' && status.hasEnclave)
  // The peer answers our status with its own and a quote over our challenge; we answer its challenge.
  const theirChallenge = new Uint8Array(32).fill(7)
  e.tee._handleMessage(...frame({ t: 'status', version: 1, challenge: theirChallenge, hasEnclave: true }))
  const ours = e.sent[1]
  assert.ok(ours?.t === 'attest' && ours.quote.length > 0)
  assert.ok(f.qe !== undefined && me.hex.length === 128)
  e.tee._handleMessage(...frame({ t: 'attest', quote: produceQuote(f.qe, f.identity, Buffer.from(peer.hex, 'hex'), status.challenge) }))
  assert.deepEqual(e.disconnects, [])
  assert.ok(adapter.isTeePeer(peer.hex))
})

test('a quote from a root outside the policy disconnects the peer', () => {
  const { f, peer, adapter } = setup(true)
  const rogue = SimulatedQuotingEnclave.create(createAttestationRoot(), () => T0)
  const e = endpoint()
  adapter.bind(peer.hex, e.tee)
  const status = e.sent[0]!
  assert.ok(status.t === 'status')
  e.tee._handleMessage(...frame({ t: 'attest', quote: produceQuote(rogue, f.identity, Buffer.from(peer.hex, 'hex'), status.challenge) }))
  assert.deepEqual(e.disconnects, [0x10])
  assert.equal(adapter.isTeePeer(peer.hex), false)
})

test('a quote for another challenge (a replay) disconnects the peer', () => {
  const { f, peer, adapter } = setup(true)
  const e = endpoint()
  adapter.bind(peer.hex, e.tee)
  e.tee._handleMessage(...frame({ t: 'attest', quote: produceQuote(f.qe, f.identity, Buffer.from(peer.hex, 'hex'), new Uint8Array(32)) }))
  assert.deepEqual(e.disconnects, [0x10])
})

test('a peer without an enclave joins unattested; a node without one sends an empty quote', () => {
  const { peer, adapter } = setup(false)
  const e = endpoint()
  adapter.bind(peer.hex, e.tee)
  e.tee._handleMessage(...frame({ t: 'status', version: 1, challenge: new Uint8Array(32), hasEnclave: false }))
  const ours = e.sent[1]
  assert.ok(ours?.t === 'attest' && ours.quote.length === 0)
  e.tee._handleMessage(...frame({ t: 'attest', quote: new Uint8Array() }))
  assert.deepEqual(e.disconnects, [])
  assert.ok(adapter.isTeePeer(peer.hex))
})

test('txs to a peer go over tee/1 from the moment it agrees on tee/1, for HELLO_GRACE_MS before its hello is done', () => {
  let t = T0
  const { peer, adapter } = setup(false, () => t)
  const policy = new TeePropagation(adapter)
  const other = nodeKey().hex
  const txs = [{ hash: `0x${'11'.repeat(32)}` as const, type: 0, size: 100, accepted: true }]
  const hello = (e: ReturnType<typeof endpoint>) => {
    e.tee._handleMessage(...frame({ t: 'status', version: 1, challenge: new Uint8Array(32), hasEnclave: false }))
    e.tee._handleMessage(...frame({ t: 'attest', quote: new Uint8Array() }))
  }
  const e = endpoint()
  adapter.bind(peer.hex, e.tee)
  // The hello is under way: new txs are not sent to it over eth/68; blocks still are; so is the pool, to a peer met
  // for the first time (the relay's digests reach back seconds, not the whole pool).
  assert.equal(adapter.carriesTxs(peer.hex), true)
  assert.equal(adapter.isTeePeer(peer.hex), false)
  const routed = policy.routeTxs(txs, { peers: [peer.hex, other], origin: 'local', via: 'rpc' })
  assert.deepEqual([...new Set(routed.flatMap((a) => a.to))], [other], 'txs go to the eth peer only')
  const block = policy.routeBlock({ hash: `0x${'22'.repeat(32)}`, number: 1n }, { peers: [peer.hex], origin: 'local' })
  assert.deepEqual(block.flatMap((a) => a.to), [peer.hex], 'a block still goes to it over eth/68')
  assert.ok(policy.routePoolToNewPeer(txs, peer.hex).length > 0, 'a new peer gets the pool')
  // A hello that never completes: past the grace the peer gets txs over eth/68 again.
  t += HELLO_GRACE_MS
  assert.equal(adapter.carriesTxs(peer.hex), false)
  assert.ok(policy.routeTxs(txs, { peers: [peer.hex], origin: 'local', via: 'rpc' }).length > 0)
  // Done late, it is a tee peer for txs and blocks alike; gone, for neither.
  hello(e)
  assert.equal(adapter.carriesTxs(peer.hex), true)
  assert.equal(adapter.isTeePeer(peer.hex), true)
  adapter.peerGone(peer.hex)
  assert.equal(adapter.carriesTxs(peer.hex), false)
  // It comes back: it had our items, and the relay's digests resume where its last session stopped, so the pool is
  // not announced to it again.
  const again = endpoint()
  adapter.bind(peer.hex, again.tee)
  assert.equal(adapter.hadSession(peer.hex), true)
  assert.deepEqual(policy.routePoolToNewPeer(txs, peer.hex), [])
  hello(again)
  assert.deepEqual(policy.routePoolToNewPeer(txs, peer.hex), [])
})

test('malformed frames, unknown codes and data before the hello disconnect the peer', () => {
  for (const bad of [
    [TEE_CODES.txItems, new Uint8Array([0xc3, 0x80, 0x80, 0x80])] as const,
    [0x0f, encodeTeeMessage({ t: 'digest', ids: [] }).payload] as const,
    [TEE_CODES.digest, new Uint8Array([0xff])] as const,
    frame({ t: 'digest', ids: [new Uint8Array(8)] }),
  ]) {
    const { peer, adapter } = setup(false)
    const e = endpoint()
    adapter.bind(peer.hex, e.tee)
    e.tee._handleMessage(bad[0], bad[1])
    assert.deepEqual(e.disconnects, [0x10], `code 0x${bad[0].toString(16)}`)
    assert.equal(adapter.isTeePeer(peer.hex), false)
  }
})

test('frames that arrive before the adapter binds are replayed in order', () => {
  const { peer, adapter } = setup(false)
  const e = endpoint()
  e.tee._handleMessage(...frame({ t: 'status', version: 1, challenge: new Uint8Array(32), hasEnclave: false }))
  e.tee._handleMessage(...frame({ t: 'attest', quote: new Uint8Array() }))
  adapter.bind(peer.hex, e.tee)
  assert.ok(adapter.isTeePeer(peer.hex))
  assert.deepEqual(e.sent.map((m) => m.t), ['status', 'attest'])
})

/**
 * An adapter attached to `txPool` (a stand-in for the client's pool) and one unattested tee/1 peer with its hello
 * done; `tx(n)` signs a legacy transfer with nonce n.
 */
async function peerWithPool(txPool: object) {
  const { Common, Mainnet } = await import('@ethereumjs/common')
  const { createLegacyTx } = await import('@ethereumjs/tx')
  const me = nodeKey()
  const peer = nodeKey()
  const common = new Common({ chain: Mainnet })
  const config = { logger: undefined, chainCommon: common } as unknown as Config
  const adapter = new TeeAdapter(config, { selfId: me.hex, nodeKey: me.priv, policy: undefined, enclave: undefined, params: {}, now: () => T0 })
  adapter.attach({ txPool, pool: { peers: [{ id: peer.hex }] } } as never)
  const e = endpoint()
  adapter.bind(peer.hex, e.tee)
  e.tee._handleMessage(...frame({ t: 'status', version: 1, challenge: new Uint8Array(32), hasEnclave: false }))
  e.tee._handleMessage(...frame({ t: 'attest', quote: new Uint8Array() }))
  const tx = (nonce: number) => createLegacyTx({ nonce, gasPrice: 10, gasLimit: 21_000, to: `0x${'11'.repeat(20)}`, value: 1 }, { common }).sign(new Uint8Array(32).fill(1))
  return { adapter, peer, e, tx }
}

const hex = (t: { hash(): Uint8Array }) => Buffer.from(t.hash()).toString('hex')

test('txs delivered before the client pool runs wait for it and reach it once it starts', async () => {
  // The client's pool: what reaches it while it is stopped is dropped (TxPool.handleAnnouncedTxs returns early).
  const pooled: string[] = []
  const txPool = {
    running: false,
    handleAnnouncedTxs: async (txs: { hash(): Uint8Array }[]) => {
      if (txPool.running) for (const t of txs) pooled.push(hex(t))
    },
    checkRunState: () => undefined,
  }
  const { adapter, e, tx: signed } = await peerWithPool(txPool)
  try {
    const tx = signed(0)
    e.tee._handleMessage(...frame({ t: 'items', epoch: 0, items: [{ kind: 'tx', id: tx.hash(), mode: 'flood', origin: ORIGIN_UNKNOWN, payload: tx.serialize() }] }))
    await new Promise((r) => setTimeout(r, 150))
    assert.deepEqual(pooled, [], 'the pool is not running yet')
    txPool.running = true
    await new Promise((r) => setTimeout(r, 150))
    assert.deepEqual(pooled, [hex(tx)], 'handed to the pool once it runs')
  } finally {
    adapter.detach()
  }
})

test('a tx item is filed under its own hash whatever id its sender had in mind; an undecodable one disconnects the sender', async () => {
  const pooled: { hash(): Uint8Array }[] = []
  const { adapter, peer, e, tx } = await peerWithPool({ running: true, handleAnnouncedTxs: async (txs: { hash(): Uint8Array }[]) => void pooled.push(...txs), checkRunState: () => undefined })
  try {
    // The wire carries no id (tee/1 since the byte-floor change): tx 1 cannot claim tx 0's id.
    e.tee._handleMessage(...frame({ t: 'items', epoch: 0, items: [{ kind: 'tx', id: tx(0).hash(), mode: 'flood', origin: ORIGIN_UNKNOWN, payload: tx(1).serialize() }] }))
    assert.deepEqual(e.disconnects, [])
    assert.equal(adapter.relay.has(tx(0).hash()), false, 'tx 0 is not taken by another payload')
    assert.equal(adapter.relay.has(tx(1).hash()), true, 'filed under its own hash')
    await turn()
    assert.deepEqual(pooled.map(hex), [hex(tx(1))])
    // A payload that is no tx: the relay's verifier refuses it and the sender is dropped before the pool sees it.
    e.tee._handleMessage(...frame({ t: 'items', epoch: 0, items: [{ kind: 'tx', id: new Uint8Array(32), mode: 'flood', origin: ORIGIN_UNKNOWN, payload: Uint8Array.from([0xc1, 0x80]) }] }))
    assert.deepEqual(e.disconnects, [0x10])
    assert.equal(adapter.isTeePeer(peer.hex), false)
    assert.equal(pooled.length, 1)
  } finally {
    adapter.detach()
  }
})

test('a frame of many txs reaches the pool in slices of the event loop, in order, none in the frame\'s own task', async () => {
  // Each pool add costs 4 ms of CPU before its first await, as a big tx's decode, hashes and sender recovery do.
  const pooled: string[] = []
  const handleAnnouncedTxs = async (txs: { hash(): Uint8Array }[]) => {
    const until = performance.now() + 4
    while (performance.now() < until);
    for (const t of txs) pooled.push(hex(t))
  }
  const { adapter, e, tx } = await peerWithPool({ running: true, handleAnnouncedTxs, checkRunState: () => undefined })
  try {
    const txs = Array.from({ length: 12 }, (_, n) => tx(n))
    e.tee._handleMessage(...frame({ t: 'items', epoch: 0, items: txs.map((t) => ({ kind: 'tx' as const, id: t.hash(), mode: 'flood' as const, origin: ORIGIN_UNKNOWN, payload: t.serialize() })) }))
    assert.deepEqual(pooled, [], 'nothing is added in the task that handled the frame')
    const perTurn: number[] = []
    for (let i = 0; i < 50 && pooled.length < txs.length; i++) {
      const before = pooled.length
      await turn()
      perTurn.push(pooled.length - before)
    }
    assert.deepEqual(pooled, txs.map(hex), 'every tx, in the frame\'s order')
    assert.ok(perTurn.filter((n) => n > 0).length >= 3, `12 adds of 4 ms take several turns of about 10 ms (${perTurn.join(',')})`)
    assert.ok(Math.max(...perTurn) <= 4, `no turn adds more than a 10 ms slice holds (${perTurn.join(',')})`)
  } finally {
    adapter.detach()
  }
})

test('bytes arriving on a peer\'s socket keep it alive while no whole tee/1 message comes; a peer whose link is quiet is judged silent', () => {
  let now = T0
  const { adapter } = setup(false, () => now)
  // Two unattested peers whose devp2p sessions have a socket; only the first one's socket brings bytes.
  const peers = [nodeKey(), nodeKey()].map((k) => {
    const socket = Object.assign(new EventEmitter(), { pause() {}, resume() {}, destroyed: false })
    const disconnects: number[] = []
    const tee = new Tee(1, { disconnect: (r?: number) => disconnects.push(r ?? -1), _hello: { protocolVersion: 5 }, _socket: socket }, () => {})
    adapter.bind(k.hex, tee)
    tee._handleMessage(...frame({ t: 'status', version: 1, challenge: new Uint8Array(32), hasEnclave: false }))
    tee._handleMessage(...frame({ t: 'attest', quote: new Uint8Array() }))
    assert.ok(adapter.isTeePeer(k.hex))
    return { id: k.hex, socket }
  })
  const silence = adapter.relay.params.silenceMs
  // A big frame trickles in on the first link for 2 x silenceMs: a chunk every 100 ms, no whole message.
  const gone: string[] = []
  for (now = T0 + 100; now <= T0 + 2 * silence; now += 100) {
    peers[0]!.socket.emit('data', Buffer.alloc(64))
    for (const a of adapter.relay.onTimeout(now)) if (a.t === 'disconnect') gone.push(a.peer)
  }
  assert.deepEqual(gone, [peers[1]!.id], 'only the peer whose link brought nothing was judged silent')
  assert.deepEqual(adapter.relay.peerIds(), [peers[0]!.id])
})
