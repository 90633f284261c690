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

test('sim stock, pool add time: the core sees a tx message once its txs are added; an announcement meanwhile is not fetched and not answered', () => {
  // 0 publishes; 1 (10 ms from 0) and 2 (14 ms from 0) fetch from 0; 1-2 is 8 ms. Pool add: 10 ms per tx.
  // 1 has the tx at 30 + 10 = 40 and announces to 2 (arrives 48); 2's answer arrives at 42 and is being added until 52.
  // The node's seam hands the core the answer only after the add, so at 48 the hash is still pending in 2's core:
  // 1 is marked as knowing it, it is not fetched again, and 2's relay at 52 skips 1.
  const lat: Record<string, number> = { '0-1': 10, '0-2': 14, '1-2': 8 }
  const net = new SimNetwork(3, [[0, 1], [0, 2], [1, 2]], { seed: 'eth-node', link: { latencyMs: (a, b) => lat[`${Math.min(a, b)}-${Math.max(a, b)}`]!, jitterMs: 0 }, dropRate: 0, detectMs: 0 })
  const tracker = new ItemTracker(3)
  const nodes = [0, 1, 2].map((i) => new SimEthNode(i, createEthCore('stock'), net, tracker, 110, undefined, 10))
  net.nodes = nodes
  nodes.forEach((n, i) => n.start(net.adj[i]!))
  // What node 2 received (on arrival) and what its core saw, with times.
  const arrived: { at: number; t: string }[] = []
  const coreSaw: { at: number; t: string }[] = []
  const recv = nodes[2]!.receive.bind(nodes[2]!)
  nodes[2]!.receive = (from, msg) => {
    arrived.push({ at: net.now, t: (msg as { t: string }).t })
    recv(from, msg)
  }
  const onMessage = nodes[2]!.core.onMessage.bind(nodes[2]!.core)
  nodes[2]!.core.onMessage = (from, msg, now) => {
    coreSaw.push({ at: now, t: msg.t })
    return onMessage(from, msg, now)
  }
  net.q.at(0, () => {
    tracker.publish(TX, 0, 0, 'tx')
    nodes[0]!.publish(TX)
  })
  for (let t = 0; t <= 100; t++) {
    net.q.runUntil(t)
    // The stated invariant, after every step: each tx message reaches the core once, txs.length x 10 ms after it
    // arrived (1 tx here); the others on arrival; none before it arrived.
    const txMsgs = arrived.filter((m) => m.t === 'PooledTransactions' || m.t === 'Transactions')
    const seenTx = coreSaw.filter((m) => m.t === 'PooledTransactions' || m.t === 'Transactions')
    assert.ok(seenTx.length <= txMsgs.length)
    seenTx.forEach((m, k) => assert.equal(m.at, txMsgs[k]!.at + 10, `tx message ${k} reached the core at ${m.at}, not 10 ms after arrival`))
    assert.equal(nodes[2]!.addsInFlight, txMsgs.length - seenTx.length)
    assert.deepEqual(coreSaw.filter((m) => m.t !== 'PooledTransactions' && m.t !== 'Transactions').map((m) => m.at), arrived.filter((m) => m.t !== 'PooledTransactions' && m.t !== 'Transactions').map((m) => m.at))
    if (t === 48) assert.equal(nodes[2]!.core.isPending(`0x${TX}`), true, "1's announcement came while the answer was being added: still pending")
  }
  const seen = tracker.firstSeen.get(TX)!
  assert.equal(seen.get(1), 40)
  assert.equal(seen.get(2), 52, 'answer at 42, added 10 ms later')
  assert.equal(net.counters[2]!.out.get('eth/GetPooledTransactions')!.msgs, 1, 'node 2 asks 0 only: the announcement from 1 came while pending')
  assert.equal(net.counters[2]!.out.get('eth/NewPooledTransactionHashes'), undefined, 'node 2 announces to nobody: 0 served it, 1 announced it')
  assert.equal(net.counters[1]!.out.get('eth/NewPooledTransactionHashes')!.msgs, 1)
  assert.throws(() => new SimEthNode(0, createEthCore('stock'), net, tracker, 110, undefined, -1), /pool add time/)
})
