import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadTopologyFile, pairKey, resolveRegionLinks, TopologyFileError } from '../../testnets/topology-file.ts'
import { testnetLinks } from '../../bench/run.ts'
import { loadScenario } from '../../bench/scenario.ts'

const fring = {
  regions: { eu: ['n0', 'n1'], us: ['n2'], asia: ['n3'] },
  rtt: { 'eu-eu': '20ms', 'eu-us': '80ms', 'asia-eu': '200ms', 'us-asia': '200ms' },
}

test('region RTT tiers become per-link one-way delays of RTT / 2', () => {
  const links = resolveRegionLinks(fring, 4)
  assert.deepEqual([...links.keys()], ['n0-n1', 'n0-n2', 'n0-n3', 'n1-n2', 'n1-n3', 'n2-n3'])
  assert.deepEqual(links.get('n0-n1'), { delay: '10ms' }, 'inside eu: 20 ms RTT')
  assert.deepEqual(links.get('n1-n2'), { delay: '40ms' }, 'eu-us: 80 ms RTT')
  assert.deepEqual(links.get('n0-n3'), { delay: '100ms' }, 'asia-eu written the other way round')
  assert.deepEqual(links.get('n2-n3'), { delay: '100ms' })
  // Common jitter / rate and a per-pair override.
  const more = resolveRegionLinks({ ...fring, jitter: '2ms', rate: '20mbit', links: { 'n3-n0': { delay: '5ms' } } }, 4)
  assert.deepEqual(more.get('n1-n3'), { delay: '100ms', jitter: '2ms', rate: '20mbit' })
  assert.deepEqual(more.get('n0-n3'), { delay: '5ms', jitter: '2ms', rate: '20mbit' })
  assert.equal(pairKey('n10', 'n9'), 'n9-n10', 'numeric order, not string order')
})

test('bad topologies are refused with the reason', () => {
  const cases: [Parameters<typeof resolveRegionLinks>[0], number, RegExp][] = [
    [fring, 5, /no region for n4/],
    [fring, 3, /n3 does not exist/],
    [{ ...fring, regions: { ...fring.regions, us: ['n2', 'n0'] } }, 4, /n0 is in two regions: eu and us/],
    [{ ...fring, rtt: { 'eu-eu': '20ms', 'eu-us': '80ms', 'us-asia': '200ms' } }, 4, /no rtt for (eu-asia|asia-eu)/],
    [{ ...fring, links: { 'n0-n0': { delay: '1ms' } } }, 4, /n0-n0 is not a pair of distinct nodes/],
  ]
  for (const [t, n, re] of cases) assert.throws(() => resolveRegionLinks(t, n), (e: Error) => e instanceof TopologyFileError && re.test(e.message), re.source)
  const dir = mkdtempSync(join(tmpdir(), 'tc-topo-'))
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'regions: { eu: [n0] }\nrtt: { eu-eu: soon }\n')
    assert.throws(() => loadTopologyFile(join(dir, 'bad.yaml')), /rtt eu-eu: "soon" is not a duration/)
    writeFileSync(join(dir, 'unitless.yaml'), 'regions: { eu: [n0] }\nrtt: { eu-eu: 20 }\n')
    assert.throws(() => loadTopologyFile(join(dir, 'unitless.yaml')), /expected string[^]*rtt\["eu-eu"\]/)
    writeFileSync(join(dir, 'typo.yaml'), 'regions: { eu: [n0] }\nrt: { eu-eu: 20ms }\n')
    assert.throws(() => loadTopologyFile(join(dir, 'typo.yaml')), /rt/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("testnet.json's link entry: one port-pair entry per peered pair", () => {
  const s = loadScenario('bench/scenarios/regions.yaml')
  const port = (i: number) => 30600 + i
  // A ring of 8: each node peers with its two neighbours.
  const nodes = Array.from({ length: 8 }, (_, i) => ({ name: `n${i}`, p2pPort: port(i), peers: [`n${(i + 7) % 8}`, `n${(i + 1) % 8}`] }))
  const link = testnetLinks(s.network, { nodes: nodes as never })!
  assert.equal(Object.keys(link.perLink!).length, 8)
  assert.deepEqual(link.perLink!['30600-30601'], { delay: '10ms', jitter: '2ms' }, 'n0-n1: both eu')
  assert.deepEqual(link.perLink!['30602-30603'], { delay: '40ms', jitter: '2ms' }, 'n2 eu - n3 us')
  assert.deepEqual(link.perLink!['30605-30606'], { delay: '100ms', jitter: '2ms' }, 'n5 us - n6 asia')
  assert.deepEqual(link.perLink!['30600-30607'], { delay: '100ms', jitter: '2ms' }, 'n7 asia - n0 eu')
  assert.equal(testnetLinks(loadScenario('bench/scenarios/wan.yaml').network, { nodes: nodes as never })?.perLink, undefined)
})
