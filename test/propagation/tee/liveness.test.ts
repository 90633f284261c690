/**
 * Failure detection without a TCP reset (liveness.ts), on one relay driven by hand on a virtual clock: its peers are
 * scripts that speak (or not) at chosen times. No plan: the relays are unattested, so no reports or plans need
 * signatures; what is tested is who is judged gone, when, and what it costs.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { TeeRelay, type RelayAuthority, type TeeAction } from '../../../src/propagation/tee/relay.ts'
import { DEFAULT_TEE_PARAMS, type TeeParams } from '../../../src/propagation/tee/params.ts'
import { shortId } from '../../../src/propagation/tee/short-id.ts'
import { syntheticItemVerifier, syntheticPayload } from '../../../src/sim/synthetic-items.ts'
import { teeWireBytes } from '../../../src/sim/tee-node.ts'
import { nodeKey } from '../../helpers/node-key.ts'

const [A, B, C, H] = Array.from({ length: 4 }, nodeKey).map((k) => k.hex) as [string, string, string, string]
/** Unattested relays never sign or check a report or plan: this authority is never asked. */
const noAuthority: RelayAuthority = {
  verifyPlan: () => assert.fail('no plan in these tests'),
  signReport: () => assert.fail('unattested relays do not report'),
  verifyReport: () => assert.fail('no reports in these tests'),
}
const { keepaliveIdleMs: IDLE, silenceMs: SILENCE } = DEFAULT_TEE_PARAMS

/** One relay, and the actions it produced, with the time of each. */
class Bench {
  readonly relay: TeeRelay
  readonly log: { at: number; a: TeeAction }[] = []
  now = 0

  constructor(params: Partial<TeeParams> = {}) {
    this.relay = new TeeRelay(A, false, { authority: noAuthority, verifier: syntheticItemVerifier }, { batchMs: 0, ...params })
  }

  private take(actions: TeeAction[]): void {
    for (const a of actions) this.log.push({ at: this.now, a })
    assert.deepEqual(this.relay.invariants(), [], `invariants at t=${this.now}`)
  }

  up(...peers: string[]): void {
    for (const p of peers) this.take(this.relay.onPeerUp(p, { attested: true, rttMs: 20 }, this.now))
  }

  /** A message from `peer` at the current time. */
  from(peer: string, msg: Parameters<TeeRelay['onMessage']>[1]): void {
    this.take(this.relay.onMessage(peer, msg, this.now))
  }

  /**
   * Runs the relay's deadlines up to `until`; `speak(t)` lists the peers that send a keepalive at time t (the times
   * of their messages are listed in `at`, merged with the relay's own deadlines).
   */
  runUntil(until: number, at: { peer: string; times: number[] }[] = []): void {
    const events = at.flatMap(({ peer, times }) => times.map((t) => ({ t, peer }))).sort((x, y) => x.t - y.t)
    let k = 0
    for (let guard = 0; ; guard++) {
      assert.ok(guard < 100_000, `deadline storm at t=${this.now}`)
      const due = this.relay.nextTimeout() ?? Infinity
      const next = Math.min(due, events[k]?.t ?? Infinity)
      if (next > until) break
      this.now = Math.max(this.now, next)
      if (events[k] !== undefined && events[k]!.t <= this.now) {
        this.from(events[k]!.peer, { t: 'keepalive' })
        k++
        continue
      }
      this.take(this.relay.onTimeout(this.now))
      const after = this.relay.nextTimeout()
      assert.ok(after === undefined || after > this.now, `the deadline at ${this.now} did not clear (next ${after})`)
    }
    this.now = Math.max(this.now, until)
  }

  disconnects(): { at: number; peer: string; reason: string }[] {
    return this.log.flatMap(({ at, a }) => (a.t === 'disconnect' ? [{ at, peer: a.peer, reason: a.reason }] : []))
  }

  sendsTo(peer: string, t: string): number[] {
    return this.log.flatMap(({ at, a }) => (a.t === 'send' && a.to === peer && a.msg.t === t ? [at] : []))
  }
}

/** Every `step` ms from `from` up to `to`. */
const every = (step: number, from: number, to: number): number[] => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step)

test('liveness: a peer that falls silent is judged gone after silenceMs, with no peer-down event; the driver is asked to disconnect it', () => {
  const b = new Bench()
  b.up(B, C)
  // C keeps speaking every keepalive period; B speaks until 3 s, then hangs.
  b.runUntil(30_000, [{ peer: C, times: every(IDLE, IDLE, 30_000) }, { peer: B, times: every(IDLE, IDLE, 3_000) }])
  const d = b.disconnects()
  assert.equal(d.length, 1, JSON.stringify(d))
  assert.equal(d[0]!.peer, B)
  assert.ok(d[0]!.at >= 2_000 + SILENCE && d[0]!.at <= 2_000 + SILENCE + 1, `judged at ${d[0]!.at}: silenceMs after its last message`)
  assert.match(d[0]!.reason, /silent for \d+ ms/)
  assert.deepEqual(b.relay.peerIds(), [C], 'B is down for propagation at once')
  assert.equal(b.relay.counters.silentPeers, 1)
  // Down already: the driver's later peer-down is a no-op, and a message of B is ignored.
  assert.deepEqual(b.relay.onPeerDown(B, b.now), [])
  assert.deepEqual(b.relay.onMessage(B, { t: 'keepalive' }, b.now), [])
  // An item published now goes to C only.
  const id = new Uint8Array(createHash('sha256').update('x').digest())
  const out = b.relay.onLocal({ kind: 'tx', id, payload: syntheticPayload(id, 52) }, b.now)
  assert.deepEqual(out.flatMap((a) => (a.t === 'send' ? [a.to] : [])), [C])
})

test('liveness: a live peer that stalls for up to silenceMs - keepaliveIdleMs between messages is never judged gone', () => {
  const b = new Bench()
  b.up(B)
  // B's messages come in bursts with gaps of up to 5.9 s (a loaded node: import, GC, a full socket), for 2 minutes.
  const times: number[] = []
  for (let t = 0, k = 0; t < 120_000; k++) {
    t += k % 3 === 0 ? SILENCE - IDLE - 100 : k % 3 === 1 ? 100 : IDLE
    times.push(t)
  }
  b.runUntil(120_000, [{ peer: B, times }])
  assert.deepEqual(b.disconnects(), [])
  assert.deepEqual(b.relay.peerIds(), [B])
  // A gap one tick longer than silenceMs is not tolerated (the bound is exact).
  b.runUntil(b.now + SILENCE + 1)
  assert.equal(b.disconnects().length, 1)
})

test('liveness: a stall of this node (its timers fire late) is not blamed on its peers', () => {
  const b = new Bench()
  b.up(B, C)
  b.runUntil(10_000, [{ peer: B, times: every(IDLE, IDLE, 10_000) }, { peer: C, times: every(IDLE, IDLE, 10_000) }])
  // This node does not run for 25 s; then its timer fires first, and only then the peers' queued messages are read.
  b.now = 35_000
  b.runUntil(35_000)
  b.from(B, { t: 'keepalive' })
  b.from(C, { t: 'keepalive' })
  b.runUntil(60_000, [{ peer: B, times: every(IDLE, 37_000, 60_000) }, { peer: C, times: every(IDLE, 37_000, 60_000) }])
  assert.deepEqual(b.disconnects(), [], 'nobody judged gone for our own stall')
  // A peer that really hung during the stall is still found, silenceMs after the stall ended.
  b.runUntil(80_000, [{ peer: C, times: every(IDLE, 62_000, 80_000) }])
  assert.deepEqual(b.disconnects().map((d) => d.peer), [B])
})

test('liveness: keepalives go only on links idle for keepaliveIdleMs; 64 B each on the wire', () => {
  const b = new Bench()
  b.up(B, C)
  // 20 s of nothing: one keepalive per peer per keepaliveIdleMs.
  b.runUntil(20_000, [{ peer: B, times: every(IDLE, IDLE, 20_000) }, { peer: C, times: every(IDLE, IDLE, 20_000) }])
  const idle = b.sendsTo(B, 'keepalive')
  assert.equal(idle.length, 20_000 / IDLE)
  for (let i = 1; i < idle.length; i++) assert.equal(idle[i]! - idle[i - 1]!, IDLE)
  assert.equal(b.relay.counters.keepalives, 2 * idle.length)
  assert.equal(teeWireBytes({ t: 'keepalive' }), 64)
  // Then a tx every 500 ms (each sent to both peers): no keepalive while traffic flows.
  const before = b.sendsTo(B, 'keepalive').length
  for (let k = 0; k < 40; k++) {
    b.runUntil(20_000 + k * 500, [{ peer: B, times: [20_000 + k * 500] }, { peer: C, times: [20_000 + k * 500] }])
    const id = new Uint8Array(createHash('sha256').update(`tx/${k}`).digest())
    b.relay.onLocal({ kind: 'tx', id, payload: syntheticPayload(id, 52) }, b.now)
  }
  assert.equal(b.sendsTo(B, 'keepalive').length, before, 'traffic is a sign of life: no keepalive')
  assert.deepEqual(b.disconnects(), [])
})

test('liveness: a hostile peer cannot make this node cut an honest neighbour: digests naming what the neighbour "should" have sent are no evidence', () => {
  const b = new Bench()
  b.up(B, H)
  // H (unattested, or attested and lying) digests, every 100 ms for a minute, 64 ids that B never sent us; B is an
  // honest, quiet neighbour that only keeps its link alive.
  const times = every(100, 100, 60_000)
  const bTimes = every(IDLE, IDLE, 60_000)
  let k = 0
  for (const t of times) {
    b.runUntil(t, [{ peer: B, times: bTimes.filter((x) => x > t - 100 && x <= t) }])
    const ids = Array.from({ length: 64 }, () => shortId(new Uint8Array(createHash('sha256').update(`lie/${k++}`).digest())))
    b.from(H, { t: 'digest', ids })
  }
  assert.ok(!b.disconnects().some((d) => d.peer === B), 'B stays')
  assert.ok(b.relay.peerIds().includes(B))
})

test('liveness: silenceMs 0 turns detection and keepalives off; bad values are refused', () => {
  const b = new Bench({ silenceMs: 0 })
  b.up(B)
  b.runUntil(100_000)
  assert.deepEqual(b.disconnects(), [])
  assert.deepEqual(b.sendsTo(B, 'keepalive'), [])
  assert.throws(() => new Bench({ silenceMs: 3_000, keepaliveIdleMs: 2_000 }), /silenceMs/)
  assert.throws(() => new Bench({ keepaliveIdleMs: 10 }), /keepaliveIdleMs/)
})

test('liveness: deadlines at fractional times clear (a rounded difference once left one that never did: the simulator spun)', () => {
  const b = new Bench()
  // 3186.6666666666665 + 2000 rounds to 5186.666666666666, yet 5186.666666666666 - 3186.6666666666665 < 2000.
  b.now = 3186.6666666666665
  b.up(B)
  b.runUntil(60_000, [{ peer: B, times: every(IDLE, 3186.6666666666665 + 1e-9, 60_000) }])
  assert.ok(b.sendsTo(B, 'keepalive').length > 0)
})

test('liveness: bytes still arriving on a link are a sign of life; a peer is judged gone silenceMs after its link went quiet', () => {
  const b = new Bench()
  b.up(B)
  // One big frame (a block body on a slow link) takes 40 s to arrive: no whole message, but bytes every 300 ms.
  const last = 40_000
  for (const t of every(300, 300, last)) {
    b.runUntil(t)
    b.relay.linkActive(B, t)
    assert.deepEqual(b.relay.invariants(), [], `invariants at t=${t}`)
  }
  assert.deepEqual(b.disconnects(), [], 'not judged gone while its bytes arrive')
  assert.deepEqual(b.relay.peerIds(), [B])
  b.runUntil(last + 2 * SILENCE)
  const d = b.disconnects()
  assert.equal(d.length, 1, JSON.stringify(d))
  assert.ok(d[0]!.at >= last - 300 + SILENCE && d[0]!.at <= last + SILENCE + 1, `judged at ${d[0]!.at}, silenceMs after its last bytes (${last})`)
  // Bytes from a peer that is not up change nothing.
  b.relay.linkActive(C, b.now)
  assert.deepEqual(b.relay.peerIds(), [])
})
