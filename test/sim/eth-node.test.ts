/**
 * The simulator's eth/68 node drives the node's own core (no copy of the rules): a scripted four-node run on the
 * virtual clock shows the client's fetch rule (no retry from another announcer) and the deadline-driven wake-ups.
 *
 *   0 -- 1
 *   |    |     node 0 publishes a tx; 1 and 2 fetch it from 0 and announce it to 3, which asks the first announcer
 *   2 -- 3     (node 1); node 1 crashes before the request arrives.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEthCore } from '../../src/propagation/registry.ts'
import { SimEthNode } from '../../src/sim/eth-node.ts'
import { ItemTracker } from '../../src/sim/items.ts'
import { SimNetwork } from '../../src/sim/network.ts'

const TX = 'ab'.repeat(32)

function run(crashNode1At: number | undefined) {
  const net = new SimNetwork(4, [[0, 1], [0, 2], [1, 3], [2, 3]], { seed: 'eth-node', link: { latencyMs: () => 10, jitterMs: 0 }, dropRate: 0, detectMs: 0 })
  const tracker = new ItemTracker(4)
  const nodes = [0, 1, 2, 3].map((i) => new SimEthNode(i, createEthCore('stock'), net, tracker, 110))
  net.nodes = nodes
  nodes.forEach((n, i) => n.start(net.adj[i]!))
  net.q.at(0, () => {
    tracker.publish(TX, 0, 0, 'tx')
    nodes[0]!.publish(TX)
  })
  if (crashNode1At !== undefined) net.q.at(crashNode1At, () => net.crash(1))
  const events = net.q.runUntil(20_000)
  return { net, nodes, seen: tracker.firstSeen.get(TX)!, events }
}

test('sim stock: every node gets an RPC tx by announce and fetch, six one-way hops after it was sent', () => {
  const { seen, net } = run(undefined)
  assert.deepEqual([...seen.keys()].sort(), [0, 1, 2, 3])
  assert.equal(seen.get(3), 60, 'announce, request and answer (10 ms each) to node 1, then the same again to node 3')
  assert.equal(net.counters[3]!.out.get('eth/GetPooledTransactions')!.msgs, 1, 'node 3 asks once: the second announcement came while pending')
})

test('sim stock: a fetch from an announcer that crashed is not retried from the other announcer (the client has no retry)', () => {
  const { seen, net, nodes } = run(45)
  assert.equal(seen.has(2), true)
  assert.equal(seen.has(3), false, 'node 3 never gets the tx: its request to node 1 died with node 1, and node 2 is never asked')
  assert.equal(net.counters[3]!.out.get('eth/GetPooledTransactions')!.msgs, 1)
  // The request ended at its 6 s deadline: the core was woken then, with no ticks.
  assert.deepEqual(nodes[3]!.core.openRequests(), [])
  assert.equal(nodes[3]!.core.isPending(`0x${TX}`), false)
})
