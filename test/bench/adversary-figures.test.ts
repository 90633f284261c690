/** The adversary figures from what a run saw: reach and bytes over honest nodes only, and the tee exclusion epochs. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adversaryFigures, adversaryPlan } from '../../bench/adversary/live.ts'
import { parseScenario } from '../../bench/scenario.ts'
import type { P2pStats } from '../../src/rpc/teecast.ts'
import type { TestnetDescription } from '../../testnets/description.ts'

const stats = (bytesIn: Record<string, number>, out: Record<string, number> = {}): P2pStats => ({
  node: 'x', nodeId: 'x', propagation: 'tee', peers: 3, duplicates: { tx: 0, block: 0 }, seen: { tx: 0, block: 0 }, uptimeMs: 1,
  messages: Object.fromEntries([...new Set([...Object.keys(bytesIn), ...Object.keys(out)])].map((k) => [k, { in: 1, out: out[k] ?? 0, bytesIn: bytesIn[k] ?? 0, bytesOut: 0 }])),
})
const zero = stats({})

test('adversary plan: whole counts, the last nodes omit', () => {
  const s = parseScenario(`name: a
network: { nodes: 10, degree: 4, signers: 2, seed: a }
modes: [tee]
workload: { kind: fixed-rate, rate: 1, count: 1 }
adversaries: { junkLeaves: 0.2, omittingRelays: 0.2 }
`)
  assert.deepEqual(adversaryPlan(s), { junkLeaves: 2, omitting: ['n9', 'n8'] })
})

test('adversary figures: honest nodes only; exclusion counts a relay readmitted by a later plan', () => {
  const d = { nodes: [{ name: 'n0', nodeId: 'a' }, { name: 'n1', nodeId: 'b' }, { name: 'n2', nodeId: 'c' }] } as TestnetDescription
  const plan = { junkLeaves: 1, omitting: ['n2'] }
  const before = new Map([['n0', zero], ['n1', zero], ['n2', zero]])
  const after = new Map([
    ['n0', stats({ 'tee/TxItems': 300, 'p2p/Ping': 100 }, { 'tee/TxItems': 40 })],
    ['n1', stats({ 'tee/TxItems': 500 }, { 'tee/TxItems': 20 })],
    // The omitting node's bytes are not in the honest figure.
    ['n2', stats({ 'tee/TxItems': 9_000 }, { 'tee/TxItems': 3, 'tee/Digest': 50 })],
  ])
  // tx x reached both honest nodes, y only n0; n2's sightings do not count.
  const byNode = [{ x: 1, y: 2 }, { x: 3, y: null }, { x: null, y: 5 }]
  const junk = { connections: 4, failedDials: 0, disconnectedBy: { SUBPROTOCOL_ERROR: 3 }, disconnectedAfter: {}, notDisconnected: 1, sent: {}, disconnectAfterMs: [] }
  const epochs = [
    { epoch: 10, seenAt: 0, planNodes: 3, interiorOmitting: ['n2'] },
    { epoch: 11, seenAt: 0, planNodes: 3, interiorOmitting: ['n2'] },
    { epoch: 12, seenAt: 0, planNodes: 3, interiorOmitting: [] },
    { epoch: 13, seenAt: 0, planNodes: 3, interiorOmitting: [] },
    { epoch: 14, seenAt: 0, planNodes: 3, interiorOmitting: ['n2'] },
    { epoch: 15, seenAt: 0, planNodes: 3, interiorOmitting: [] },
  ]
  const a = adversaryFigures(d, plan, { hashes: ['x', 'y'], byNode }, before, after, 2, { junk, epochs, startEpoch: 10 })
  assert.equal(a.honestNodes, 2)
  assert.equal(a.reach, 3 / 4)
  assert.equal(a.reachedAllHonest, 1 / 2)
  assert.equal(a.bytesInPerHonestNodePerTx, 900 / 2 / 2)
  assert.deepEqual(a.bytesInPerHonestNodePerTxByProtocol, { tee: 800 / 4, p2p: 100 / 4 })
  assert.deepEqual(a.omitting, [{ node: 'n2', txMsgsOut: 3, honestMeanTxMsgsOut: 30 }])
  assert.deepEqual(a.exclusion, [{ node: 'n2', interiorAtStart: true, firstExcludedAfterEpochs: 2, readmittedAfterEpochs: [4], epochsExcluded: 3, epochsSeen: 5 }])
  // Never interior: no exclusion to time.
  const b = adversaryFigures(d, plan, { hashes: ['x'], byNode }, before, after, 1, { junk, epochs: epochs.map((e) => ({ ...e, interiorOmitting: [] })), startEpoch: 10 })
  assert.deepEqual(b.exclusion, [{ node: 'n2', interiorAtStart: false, firstExcludedAfterEpochs: null, readmittedAfterEpochs: [], epochsExcluded: 5, epochsSeen: 5 }])
  // stock: no plan, no exclusion figure.
  assert.equal(adversaryFigures(d, plan, { hashes: ['x'], byNode }, before, after, 1, { junk, epochs: [], startEpoch: null }).exclusion, undefined)
})
