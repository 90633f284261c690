/** expectedPlanNodes: how large a plan `testnet up` waits for at each tee node. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { expectedPlanNodes } from '../../testnets/tee-readiness.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'

const node = (name: string, propagation: 'tee' | 'stock', tee: boolean, peers: string[]): TestnetNode =>
  ({ name, propagation, tee, peers, enode: '', nodeId: '', nodeKey: '', host: '127.0.0.1', p2pPort: 0, rpcPort: 0, metricsPort: 0, rpcUrl: '', pid: null, dataDir: '', logPath: '' }) as TestnetNode
const net = (nodes: TestnetNode[]): TestnetDescription => ({ version: 1, chainId: 1, seed: 's', genesisPath: '', period: 1, nodes, accounts: [] })

test('tee readiness: an all-attested ring waits for a plan of every node', () => {
  const names = ['n0', 'n1', 'n2', 'n3']
  const d = net(names.map((n, i) => node(n, 'tee', true, [names[(i + 1) % 4]!, names[(i + 3) % 4]!])))
  assert.deepEqual([...expectedPlanNodes(d)], names.map((n) => [n, 4]))
})

test('tee readiness: unattested tee nodes are leaves of the attested group next to them; beyond them, and stock nodes, no plan', () => {
  // a(att) - b(att) - c(unatt) - e(unatt) ; b - s(stock) - f(att, alone among tee nodes)
  const d = net([
    node('a', 'tee', true, ['b']),
    node('b', 'tee', true, ['a', 'c', 's']),
    node('c', 'tee', false, ['b', 'e']),
    node('e', 'tee', false, ['c']),
    node('s', 'stock', false, ['b', 'f']),
    node('f', 'tee', true, ['s']),
  ])
  const want = expectedPlanNodes(d)
  assert.equal(want.get('a'), 3)
  assert.equal(want.get('b'), 3)
  assert.equal(want.get('c'), 3, 'a leaf of the a-b group')
  assert.equal(want.get('e'), 0, 'two hops from any attested node: floods')
  assert.equal(want.get('f'), 0, 'an attested node with no tee peer plans nothing')
  assert.equal(want.has('s'), false, 'stock nodes run no plan')
})
