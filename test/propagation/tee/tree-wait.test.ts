/**
 * Repair waits for a backlogged link (repair.ts, stage 2a). A pull answered slower than that peer's fastest answer
 * shows a queue on its link toward us; later pulls wait TREE_WAIT_FACTOR x that delay (at most MAX_TREE_WAIT_MS, or
 * up to MAX_BACKLOG_WAIT_MS when most peers are that backlogged), so that items still queued on the tree are not
 * fetched twice, and the wait fades as the link drains. A pull to a backlogged holder gets that much longer before
 * the next holder is asked. Virtual clock; invariants after every step.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { TeeRelay, type TeeAction } from '../../../src/propagation/tee/relay.ts'
import { MAX_BACKLOG_WAIT_MS, MAX_TREE_WAIT_MS, QUEUE_DELAY_HALF_LIFE_MS, TREE_WAIT_FACTOR } from '../../../src/propagation/tee/constants.ts'
import { ORIGIN_UNKNOWN, type ItemMode } from '../../../src/propagation/tee/messages.ts'
import { shortId } from '../../../src/propagation/tee/short-id.ts'
import { relayAuthority } from '../../../src/tee/plan-auth.ts'
import { syntheticItemVerifier, syntheticPayload } from '../../../src/sim/synthetic-items.ts'
import { nodeKey } from '../../helpers/node-key.ts'

const pulls = (actions: TeeAction[], to: string): Uint8Array[] => actions.flatMap((a) => (a.t === 'send' && a.to === to && a.msg.t === 'pull' ? a.msg.ids : []))

/** An unattested relay (no plan: items flood) with a pusher, a digester and another peer up at time 0. */
function setup(): { r: TeeRelay; pusher: string; digester: string; other: string; step: (what: string, a: TeeAction[]) => TeeAction[] } {
  const k = nodeKey()
  const r = new TeeRelay(k.hex, false, { authority: relayAuthority(undefined, k.priv, k.id), verifier: syntheticItemVerifier }, { batchMs: 0 })
  const pusher = nodeKey().hex
  const digester = nodeKey().hex
  const other = nodeKey().hex
  for (const p of [pusher, digester, other]) r.peerUp(p, { attested: false, rttMs: 10 }, 0)
  const step = (what: string, a: TeeAction[]): TeeAction[] => {
    assert.deepEqual(r.invariants(), [], `invariants after ${what}`)
    return a
  }
  return { r, pusher, digester, other, step }
}

const newItem = (): { id: Uint8Array; short: Uint8Array } => {
  const id = new Uint8Array(randomBytes(32))
  return { id, short: shortId(id) }
}
const items = (id: Uint8Array, mode: ItemMode) => ({ t: 'items' as const, epoch: 0, items: [{ kind: 'tx' as const, id, mode, origin: ORIGIN_UNKNOWN, payload: syntheticPayload(id, 110) }] })

/** The relay pulls an item from the digester on its digest at `at`, and gets the answer `rttMs` later. */
function answered(s: ReturnType<typeof setup>, at: number, rttMs: number, peer = s.digester): void {
  const x = newItem()
  const a = s.step('digest', s.r.receive(peer, { t: 'digest', ids: [x.short] }, at))
  assert.equal(pulls(a, peer).length, 1, 'pulled at once')
  const repaired = s.r.counters.repaired
  s.step('answer', s.r.receive(peer, items(x.id, 'repair'), at + rttMs))
  assert.equal(s.r.counters.repaired, repaired + 1, 'the answer came by repair')
}

/** The digester's fastest answer took 20 ms; one at `at` took 1,520 ms: its link has a 1,500 ms queue. */
function backlogged(s: ReturnType<typeof setup>, at: number, queueMs = 1_500, peer = s.digester): void {
  answered(s, at - 1_000, 20, peer)
  answered(s, at, 20 + queueMs, peer)
}

test('repair: after a slow pull answer, a pull waits for the push; the item that comes meanwhile is not fetched twice', () => {
  const s = setup()
  backlogged(s, 1_100)
  // A new digest: not pulled at once, nor before the wait ends.
  const x = newItem()
  let now = 3_000
  assert.deepEqual(pulls(s.step('digest', s.r.receive(s.digester, { t: 'digest', ids: [x.short] }, now)), s.digester), [], 'not pulled at once')
  const wait = 1_500 * 0.5 ** ((now - 2_620) / QUEUE_DELAY_HALF_LIFE_MS) * TREE_WAIT_FACTOR
  assert.ok(s.r.nextTimeout()! <= now + wait, 'the relay asks to be woken when the pull is due')
  now += 900
  assert.deepEqual(pulls(s.step('tick', s.r.tick(now)), s.digester), [], 'still waiting')
  // The pushed copy arrives within the wait: it is taken, never pulled, and is no repair.
  const repaired = s.r.counters.repaired
  const pullsBefore = s.r.counters.pulls
  s.step('pushed copy', s.r.receive(s.pusher, items(x.id, 'flood'), now))
  for (now += 100; now < 3_000 + wait + 5 * s.r.params.pullTimeoutMs; now += 100) assert.deepEqual(pulls(s.step('tick', s.r.tick(now)), s.digester), [], `no pull at ${now}`)
  assert.equal(s.r.counters.pulls, pullsBefore, 'no pull was sent')
  assert.equal(s.r.counters.repaired, repaired, 'nothing came by repair')
})

test('repair: an item that the backlogged link never pushes is pulled once the wait ends, and answers the pull', () => {
  const s = setup()
  backlogged(s, 1_100)
  const x = newItem()
  const at = 3_000
  s.step('digest', s.r.receive(s.digester, { t: 'digest', ids: [x.short] }, at))
  const wait = 1_500 * 0.5 ** ((at - 2_620) / QUEUE_DELAY_HALF_LIFE_MS) * TREE_WAIT_FACTOR
  let pulledAt: number | undefined
  for (let now = at + 10; now <= at + MAX_TREE_WAIT_MS + 10 && pulledAt === undefined; now += 10) if (pulls(s.step('tick', s.r.tick(now)), s.digester).length > 0) pulledAt = now
  assert.ok(pulledAt !== undefined, 'pulled within MAX_TREE_WAIT_MS')
  assert.ok(pulledAt >= at + wait && pulledAt < at + wait + 20, `pulled when the wait of ${Math.round(wait)} ms ended (at +${pulledAt - at})`)
  const repaired = s.r.counters.repaired
  s.step('repair copy', s.r.receive(s.digester, items(x.id, 'repair'), pulledAt + 20))
  assert.equal(s.r.counters.repaired, repaired + 1, 'the repair copy answered the pull')
})

test('repair: the wait is capped at MAX_TREE_WAIT_MS, fades as the link drains, and ends when the backlogged peer goes', () => {
  const s = setup()
  backlogged(s, 1_100, 59_000)
  const digestAt = (now: number, from = s.other): number | undefined => {
    const x = newItem()
    if (pulls(s.step('digest', s.r.receive(from, { t: 'digest', ids: [x.short] }, now)), from).length > 0) return 0
    for (let t = now + 10; t <= now + 2 * MAX_TREE_WAIT_MS; t += 10) if (pulls(s.step('tick', s.r.tick(t)), from).length > 0) return t - now
    return undefined
  }
  const capped = digestAt(60_200)
  assert.ok(capped !== undefined && capped >= MAX_TREE_WAIT_MS && capped <= MAX_TREE_WAIT_MS + 10, `capped: pulled after ${capped} ms`)
  // 30 half-lives later, a 60 s peak is ~0 ms: pulls go at once again.
  assert.equal(digestAt(60_100 + 30 * QUEUE_DELAY_HALF_LIFE_MS), 0, 'the wait faded')
  const t = 60_100 + 31 * QUEUE_DELAY_HALF_LIFE_MS
  backlogged(s, t, 3_000)
  assert.ok(digestAt(t + 3_100)! > 0, 'backlogged again: the pull waits')
  s.step('peer down', s.r.peerDown(s.digester, t + 9_000))
  assert.equal(digestAt(t + 9_100), 0, 'the backlogged peer went: pulls go at once')
})

/** Ticks from `from` (exclusive) to `to` every 10 ms; the first time the relay pulls from `peer`, relative to `from`. */
function firstPull(s: ReturnType<typeof setup>, peer: string, from: number, to: number): number | undefined {
  for (let t = from + 10; t <= to; t += 10) {
    // The peers' links stay busy (as backlogged links are): nobody is judged silent during a long wait.
    if (t % 1_000 === 0) for (const p of [s.pusher, s.digester, s.other]) s.r.linkActive(p, t)
    if (pulls(s.step('tick', s.r.tick(t)), peer).length > 0) return t - from
  }
  return undefined
}

test('repair: when most peers are backlogged (a network at its bandwidth limit), the wait follows them past MAX_TREE_WAIT_MS, up to MAX_BACKLOG_WAIT_MS', () => {
  const s = setup()
  // Two of the three peers answer pulls 12 s late: the median peer is backlogged.
  answered(s, 100, 20, s.digester)
  answered(s, 200, 20, s.other)
  const [d, o] = [newItem(), newItem()]
  s.step('digest', s.r.receive(s.digester, { t: 'digest', ids: [d.short] }, 1_100))
  s.step('digest', s.r.receive(s.other, { t: 'digest', ids: [o.short] }, 1_200))
  s.step('answer', s.r.receive(s.digester, items(d.id, 'repair'), 13_120))
  s.step('answer', s.r.receive(s.other, items(o.id, 'repair'), 13_220))
  const at = 13_500
  const x = newItem()
  assert.deepEqual(pulls(s.step('digest', s.r.receive(s.digester, { t: 'digest', ids: [x.short] }, at)), s.digester), [], 'not pulled at once')
  // The smaller of the two backlogged peers' delays is the median (the digester's, measured first).
  const median = 12_000 * 0.5 ** ((at - 13_120) / QUEUE_DELAY_HALF_LIFE_MS)
  const waited = firstPull(s, s.digester, at, at + MAX_BACKLOG_WAIT_MS + 100)
  assert.ok(waited !== undefined && waited > MAX_TREE_WAIT_MS, `waited past MAX_TREE_WAIT_MS (${waited} ms)`)
  assert.ok(Math.abs(waited - median * TREE_WAIT_FACTOR) <= 20, `waited ${waited} ms, TREE_WAIT_FACTOR x the median delay (${Math.round(median * TREE_WAIT_FACTOR)} ms)`)
  // Never past MAX_BACKLOG_WAIT_MS: the invariants (checked at every step) hold a waiting pull to it.
  assert.ok(waited <= MAX_BACKLOG_WAIT_MS)
})

test('repair: a pull to a backlogged holder is given its queueing delay before the next holder is asked; to a quick one, pullTimeoutMs', () => {
  const s = setup()
  const timeout = s.r.params.pullTimeoutMs
  // The digester answers 3 s late (a minority: the wait cap stays MAX_TREE_WAIT_MS, above 1.5 x 3 s).
  backlogged(s, 1_100, 3_000)
  // The wait for the tree fades; then an id both the digester and `other` digested is pulled from the digester.
  const at = 1_100 + 30 * QUEUE_DELAY_HALF_LIFE_MS
  backlogged(s, at, 3_000)
  for (const p of [s.pusher, s.digester, s.other]) s.r.linkActive(p, at + 3_020)
  const x = newItem()
  s.step('digest', s.r.receive(s.digester, { t: 'digest', ids: [x.short] }, at + 3_100))
  s.step('digest', s.r.receive(s.other, { t: 'digest', ids: [x.short] }, at + 3_100))
  const delay = 3_000 * 0.5 ** ((at + 3_100 - (at + 3_020)) / QUEUE_DELAY_HALF_LIFE_MS)
  const pulledAt = at + 3_100 + firstPull(s, s.digester, at + 3_100, at + 3_100 + MAX_TREE_WAIT_MS + 100)!
  // Not asked of `other` at pullTimeoutMs: the digester's answer is still queued behind what it sends us.
  const retried = firstPull(s, s.other, pulledAt, pulledAt + timeout + MAX_TREE_WAIT_MS + 100)
  const expected = timeout + TREE_WAIT_FACTOR * delay * 0.5 ** ((pulledAt - (at + 3_100)) / QUEUE_DELAY_HALF_LIFE_MS)
  assert.ok(retried !== undefined && retried > timeout + 1_000, `the next holder was asked ${retried} ms after the pull, not at pullTimeoutMs (${timeout})`)
  assert.ok(Math.abs(retried - expected) <= 200, `asked ${retried} ms after the pull, about pullTimeoutMs + TREE_WAIT_FACTOR x the delay (${Math.round(expected)} ms)`)
  // A holder with no queue gets pullTimeoutMs: the id pulled from `pusher` goes on to `other` after it.
  const y = newItem()
  const t = pulledAt + 10_000
  for (let k = pulledAt + retried! + 1_000; k <= t; k += 1_000) for (const p of [s.pusher, s.digester, s.other]) s.r.linkActive(p, k)
  const a = s.step('digest', s.r.receive(s.pusher, { t: 'digest', ids: [y.short] }, t))
  s.step('digest', s.r.receive(s.other, { t: 'digest', ids: [y.short] }, t))
  const first = pulls(a, s.pusher).length > 0 ? 0 : firstPull(s, s.pusher, t, t + MAX_TREE_WAIT_MS + 100)!
  const next = firstPull(s, s.other, t + first, t + first + timeout + 100)
  assert.ok(next !== undefined && next >= timeout && next <= timeout + 10, `a quick holder's pull is retried after pullTimeoutMs (${next} ms)`)
})
