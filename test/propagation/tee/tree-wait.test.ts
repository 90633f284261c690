/**
 * Repair waits for a backlogged link (repair.ts, stage 2a). A pull answered slower than that peer's fastest answer
 * shows a queue on its link toward us; later pulls wait TREE_WAIT_FACTOR x that delay (at most MAX_TREE_WAIT_MS),
 * so that items still queued on the tree are not fetched twice, and the wait fades as the link drains. Virtual
 * clock; invariants after every step.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { TeeRelay, type TeeAction } from '../../../src/propagation/tee/relay.ts'
import { MAX_TREE_WAIT_MS, QUEUE_DELAY_HALF_LIFE_MS, TREE_WAIT_FACTOR } from '../../../src/propagation/tee/constants.ts'
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
function answered(s: ReturnType<typeof setup>, at: number, rttMs: number): void {
  const x = newItem()
  const a = s.step('digest', s.r.receive(s.digester, { t: 'digest', ids: [x.short] }, at))
  assert.equal(pulls(a, s.digester).length, 1, 'pulled at once')
  const repaired = s.r.counters.repaired
  s.step('answer', s.r.receive(s.digester, items(x.id, 'repair'), at + rttMs))
  assert.equal(s.r.counters.repaired, repaired + 1, 'the answer came by repair')
}

/** The digester's fastest answer took 20 ms; one at `at` took 1,520 ms: its link has a 1,500 ms queue. */
function backlogged(s: ReturnType<typeof setup>, at: number, queueMs = 1_500): void {
  answered(s, at - 1_000, 20)
  answered(s, at, 20 + queueMs)
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
