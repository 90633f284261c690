/** The per-node uplink of the simulated network (network.ts `uploadBps`): sends queue behind it, bytes / rate each. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SimNetwork, type SimPeerNode } from '../../src/sim/network.ts'

class Probe implements SimPeerNode {
  readonly got: { at: number; from: number; msg: unknown }[] = []
  constructor(private readonly net: SimNetwork) {}
  peerDown(): void {}
  peerUp(): void {}
  receive(from: number, msg: unknown): void {
    this.got.push({ at: this.net.now, from, msg })
  }
}

/** A triangle with 10 ms links; 8 Mbit/s is 1,000 bytes per ms. */
function triangle(uploadBps?: number): { net: SimNetwork; nodes: Probe[] } {
  const net = new SimNetwork(3, [[0, 1], [1, 2], [0, 2]], { seed: 'u', link: { latencyMs: () => 10, jitterMs: 0 }, dropRate: 0, detectMs: 0, ...(uploadBps === undefined ? {} : { uploadBps }) })
  const nodes = [0, 1, 2].map(() => new Probe(net))
  net.nodes = nodes
  return { net, nodes }
}

test('uplink: a big message leaves after bytes * 8 / rate, then takes the link latency; unlimited sends at once', () => {
  const slow = triangle(8e6)
  slow.net.send(0, 1, 'm', 100_000, 'big')
  slow.net.q.runUntil(1_000)
  assert.equal(slow.nodes[1]!.got[0]!.at, 100 + 10)
  const fast = triangle()
  fast.net.send(0, 1, 'm', 100_000, 'big')
  fast.net.q.runUntil(1_000)
  assert.equal(fast.nodes[1]!.got[0]!.at, 10)
})

test('uplink: two sends on one uplink are serialised, whatever link they take; another node\'s uplink is its own', () => {
  const { net, nodes } = triangle(8e6)
  net.send(0, 1, 'm', 100_000, 'first')
  net.send(0, 2, 'm', 50_000, 'second')
  // Node 1 sends at the same instant on its own, idle uplink.
  net.send(1, 2, 'm', 1_000, 'other')
  assert.equal(net.uplinkBacklogMs(0), 150)
  net.q.runUntil(400)
  assert.equal(nodes[1]!.got[0]!.at, 110)
  assert.deepEqual(nodes[2]!.got.map((g) => [g.at, g.msg]), [[11, 'other'], [160, 'second']])
  assert.equal(net.maxUplinkBacklogMs[0], 100, 'the second message waited 100 ms behind the first')
  // Once the queue has drained, a new send leaves at once.
  net.q.at(500, () => net.send(0, 1, 'm', 1_000, 'later'))
  net.q.runUntil(2_000)
  assert.equal(nodes[1]!.got.at(-1)!.at, 500 + 1 + 10)
})

test('uplink: a message lost on the wire still used the uplink; a rate of 0 is refused', () => {
  const net = new SimNetwork(2, [[0, 1]], { seed: 'u', link: { latencyMs: () => 10, jitterMs: 0 }, dropRate: 1, detectMs: 0, uploadBps: 8e6 })
  net.nodes = [new Probe(net), new Probe(net)]
  net.send(0, 1, 'm', 20_000, 'lost')
  assert.equal(net.uplinkBacklogMs(0), 20)
  assert.equal(net.dropped, 1)
  assert.throws(() => new SimNetwork(2, [[0, 1]], { seed: 'u', link: { latencyMs: () => 10, jitterMs: 0 }, dropRate: 0, detectMs: 0, uploadBps: 0 }), /upload rate must be > 0/)
})
