import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventQueue } from '../../src/sim/event-queue.ts'
import { SimNetwork, type SimPeerNode } from '../../src/sim/network.ts'

test('event queue: runs in (time, insertion) order on a virtual clock; refuses the past', () => {
  const q = new EventQueue()
  const log: string[] = []
  q.at(5, () => log.push('b5'))
  q.at(1, () => log.push('a1'))
  q.at(5, () => {
    log.push('c5')
    q.after(0, () => log.push('d5'))
    q.after(10, () => log.push('late'))
  })
  q.at(3, () => log.push('x3'))
  assert.equal(q.runUntil(5), 5)
  assert.deepEqual(log, ['a1', 'x3', 'b5', 'c5', 'd5'])
  assert.equal(q.now, 5)
  assert.throws(() => q.at(4, () => {}), /past/)
  q.runUntil(100)
  assert.equal(log.at(-1), 'late')
  assert.equal(q.now, 100)
})

test('event queue: 5,000 random events, some scheduled while running, run in (time, insertion) order', () => {
  const q = new EventQueue()
  let x = 12345
  const rand = (n: number): number => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n)
  const expected: { at: number; seq: number }[] = []
  const ran: number[] = []
  let seq = 0
  const add = (at: number): void => {
    const id = seq++
    expected.push({ at, seq: id })
    q.at(at, () => {
      ran.push(id)
      if (rand(4) === 0) add(q.now + rand(50))
    })
  }
  for (let k = 0; k < 5000; k++) add(rand(1000))
  q.runUntil(Infinity)
  expected.sort((a, b) => a.at - b.at || a.seq - b.seq)
  assert.equal(q.size, 0)
  assert.deepEqual(ran, expected.map((e) => e.seq))
})

class Probe implements SimPeerNode {
  readonly log: string[] = []
  constructor(private readonly net: SimNetwork) {}
  peerDown(peer: number): void {
    this.log.push(`${this.net.now} down ${peer}`)
  }
  peerUp(peer: number): void {
    this.log.push(`${this.net.now} up ${peer}`)
  }
  receive(from: number, msg: unknown): void {
    this.log.push(`${this.net.now} recv ${from} ${String(msg)}`)
  }
}

function triangle(): { net: SimNetwork; nodes: Probe[] } {
  const net = new SimNetwork(3, [[0, 1], [1, 2], [0, 2]], { seed: 't', link: { latencyMs: () => 10, jitterMs: 0 }, dropRate: 0, detectMs: 5 })
  const nodes = [0, 1, 2].map(() => new Probe(net))
  net.nodes = nodes
  return { net, nodes }
}

test('network: per-link order, latency, counters; crash detection after detectMs', () => {
  const { net, nodes } = triangle()
  net.send(0, 1, 'm', 100, 'first')
  net.send(0, 1, 'm', 100, 'second')
  net.q.runUntil(20)
  assert.deepEqual(nodes[1]!.log, ['10 recv 0 first', '10 recv 0 second'])
  assert.deepEqual(net.counters[0]!.out.get('m'), { msgs: 2, bytes: 200 })
  assert.deepEqual(net.counters[1]!.in.get('m'), { msgs: 2, bytes: 200 })
  net.send(2, 0, 'm', 1, 'dies')
  net.crash(2)
  net.q.runUntil(50)
  assert.ok(!nodes[0]!.log.some((l) => l.includes('dies')), 'a crashed node\'s in-flight messages are lost')
  assert.ok(nodes[0]!.log.includes('25 down 2') && nodes[1]!.log.includes('25 down 2'))
  assert.deepEqual([...net.reachableFrom(0)].sort(), [0, 1])
})

test('network churn: linkDown/linkUp tell both ends, lose in-flight messages, and gate sends', () => {
  const { net, nodes } = triangle()
  net.send(0, 1, 'm', 1, 'in-flight')
  net.q.at(3, () => net.linkDown(0, 1))
  net.q.at(6, () => net.linkUp(0, 1))
  net.q.runUntil(30)
  assert.deepEqual(nodes[0]!.log, ['3 down 1', '6 up 1'])
  assert.deepEqual(nodes[1]!.log, ['3 down 0', '6 up 0'], 'the message in flight when the link dropped is lost, though the link is back')
  // While down: no sends, not reachable that way; the other link still is.
  net.linkDown(0, 1)
  net.send(0, 1, 'm', 1, 'while-down')
  assert.equal(net.counters[0]!.out.get('m')!.msgs, 1, 'a send over a down link is not even counted')
  assert.deepEqual([...net.reachableFrom(0)].sort(), [0, 1, 2], 'still connected through 2')
  net.linkDown(0, 2)
  assert.deepEqual([...net.reachableFrom(0)], [0])
  // Down twice is one event; up of a link that is not down is a no-op.
  const before = nodes[0]!.log.length
  net.linkDown(0, 2)
  net.linkUp(1, 2)
  assert.equal(nodes[0]!.log.length, before)
  net.linkUp(0, 1)
  net.send(0, 1, 'm', 1, 'after')
  net.q.runUntil(100)
  assert.ok(nodes[1]!.log.includes('40 recv 0 after'))
  // A link to a crashed node comes back without peerUp.
  net.crash(2)
  net.q.runUntil(200)
  const n0 = nodes[0]!.log.length
  net.linkUp(0, 2)
  assert.equal(nodes[0]!.log.length, n0)
})

test('network silent crash: peers notice only after their link\'s detection delay; until then sends to the crashed node are lost silently', () => {
  // A star around node 0: each leaf detects 0's crash after its own delay, drawn per link from [1000, 3000] ms.
  const edges: [number, number][] = [[0, 1], [0, 2], [0, 3], [0, 4]]
  const mk = (detectMs: number | [number, number]) => {
    const net = new SimNetwork(5, edges, { seed: 'silent', link: { latencyMs: () => 10, jitterMs: 0 }, dropRate: 0, detectMs })
    const nodes = [0, 1, 2, 3, 4].map(() => new Probe(net))
    net.nodes = nodes
    return { net, nodes }
  }
  const { net, nodes } = mk([1000, 3000])
  net.q.at(100, () => net.crash(0))
  // Node 1 keeps sending to 0 every 100 ms until it notices.
  const noticed = (): boolean => nodes[1]!.log.some((l) => l.endsWith('down 0'))
  for (let t = 200; t < 4000; t += 100) net.q.at(t, () => void (noticed() || net.send(1, 0, 'm', 10, `at ${t}`)))
  net.q.runUntil(5000)
  const downAt = (i: number): number => Number(nodes[i]!.log.find((l) => l.endsWith('down 0'))!.split(' ')[0])
  const delays = [1, 2, 3, 4].map((i) => downAt(i) - 100)
  for (const d of delays) assert.ok(d >= 1000 && d <= 3000, `detected after ${d} ms`)
  assert.ok(new Set(delays).size > 1, 'one delay per link, not one for all')
  assert.equal(nodes[0]!.log.length, 0, 'the crashed node received nothing')
  // Every send before detection went out (counted) and was lost; none arrived anywhere.
  const sentBefore = [...Array(38).keys()].map((k) => 200 + 100 * k).filter((t) => t < downAt(1)).length
  assert.ok(sentBefore >= 9, 'the scenario sends for at least the shortest delay')
  assert.equal(net.counters[1]!.out.get('m')!.msgs, sentBefore)
  assert.equal(net.counters[0]!.in.get('m'), undefined)
  // Never: no peer is ever told.
  const hung = mk(Infinity)
  hung.net.crash(0)
  hung.net.q.runUntil(1e9)
  assert.deepEqual(hung.nodes.map((n) => n.log.length), [0, 0, 0, 0, 0])
})

test('network handling time: a node handles one message at a time, in arrival order; its reaction leaves when handled', () => {
  // Node 1 takes 4 ms per message. 0 sends three at once (all arrive at 10), 2 sends one arriving at 11; 1 echoes
  // each message it handles to 2. Handling spans must be back to back: 14, 18, 22 for 0's, 26 for 2's.
  const handled: { at: number; from: number; msg: string }[] = []
  const net = new SimNetwork(3, [[0, 1], [1, 2], [0, 2]], { seed: 't', link: { latencyMs: (a, b) => (a === 2 || b === 2 ? 1 : 10), jitterMs: 0 }, dropRate: 0, detectMs: 0, handleMs: 4 })
  const nodes = [0, 1, 2].map(() => new Probe(net))
  nodes[1]!.receive = (from, msg) => {
    handled.push({ at: net.now, from, msg: String(msg) })
    if (from !== 2) net.send(1, 2, 'echo', 1, `echo-${String(msg)}`)
  }
  net.nodes = nodes
  /** The stated invariants, after every step: arrival order kept; no span before arrival + handleMs; no overlap. */
  const check = (arrivals: Map<string, number>): void => {
    for (let k = 0; k < handled.length; k++) {
      const h = handled[k]!
      assert.ok(h.at >= arrivals.get(h.msg)! + 4, `${h.msg} handled at ${h.at}, before arrival + handleMs`)
      if (k > 0) {
        const prev = handled[k - 1]!
        assert.ok(h.at >= prev.at + 4, `${h.msg} handled at ${h.at} overlaps ${prev.msg} handled at ${prev.at}`)
        assert.ok(arrivals.get(h.msg)! >= arrivals.get(prev.msg)!, 'handled in arrival order')
      }
    }
  }
  const arrivals = new Map([['a', 10], ['b', 10], ['c', 10], ['d', 11]])
  net.send(0, 1, 'm', 1, 'a')
  net.send(0, 1, 'm', 1, 'b')
  net.send(0, 1, 'm', 1, 'c')
  net.q.at(10, () => net.send(2, 1, 'm', 1, 'd'))
  for (const t of [10, 12, 14, 18, 22, 26, 40]) {
    net.q.runUntil(t)
    check(arrivals)
    // Counted as received on arrival (the wire counters), whether or not handled yet.
    if (t >= 11) assert.equal(net.counters[1]!.in.get('m')!.msgs, 4)
  }
  assert.deepEqual(handled.map((h) => `${h.at} ${h.msg}`), ['14 a', '18 b', '22 c', '26 d'])
  assert.equal(net.maxHandleWaitMs[1], 11, 'd arrived at 11 and waited until 22 for the loop')
  // The echoes leave 1 when each message is handled (1 ms to 2), then queue at 2 behind each other.
  assert.deepEqual(nodes[2]!.log, ['19 recv 1 echo-a', '23 recv 1 echo-b', '27 recv 1 echo-c'])
  // With no handling time, the same sends are handled on arrival.
  const { net: n0, nodes: p0 } = triangle()
  n0.send(0, 1, 'm', 1, 'a')
  n0.send(0, 1, 'm', 1, 'b')
  n0.q.runUntil(20)
  assert.deepEqual(p0[1]!.log, ['10 recv 0 a', '10 recv 0 b'])
})

test('network handling time: a queued message is dropped if its node crashes or its link goes down before it is handled', () => {
  const net = new SimNetwork(3, [[0, 1], [1, 2], [0, 2]], { seed: 't', link: { latencyMs: () => 10, jitterMs: 0 }, dropRate: 0, detectMs: 0, handleMs: 5 })
  const nodes = [0, 1, 2].map(() => new Probe(net))
  net.nodes = nodes
  net.send(0, 1, 'm', 1, 'x')
  net.send(0, 2, 'm', 1, 'y')
  net.q.at(12, () => net.linkDown(0, 1))
  net.q.at(12, () => net.crash(2))
  net.q.runUntil(50)
  assert.ok(!nodes[1]!.log.some((l) => l.includes('recv')), 'link down while queued')
  assert.ok(!nodes[2]!.log.some((l) => l.includes('recv')), 'crashed while queued')
  assert.equal(net.counters[1]!.in.get('m')!.msgs, 1, 'it was received on the wire')
  assert.throws(() => new SimNetwork(2, [[0, 1]], { seed: 't', link: { latencyMs: () => 1, jitterMs: 0 }, dropRate: 0, detectMs: 0, handleMs: -1 }), /handling time/)
})
