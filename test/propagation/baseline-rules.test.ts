import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StockPropagation } from '../../src/propagation/stock.ts'
import { GethPropagation, GETH_MAX_BROADCAST_SIZE } from '../../src/propagation/geth.ts'
import { FloodPropagation } from '../../src/propagation/flood.ts'
import { createPropagation } from '../../src/propagation/registry.ts'
import type { Hex, TxAction, TxMeta } from '../../src/propagation/interface.ts'

const peers = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`)
const tx = (i: number, o: Partial<TxMeta> = {}): TxMeta => ({ hash: `0x${i.toString(16).padStart(64, '0')}` as Hex, type: 2, size: 110, accepted: true, ...o })
const to = (actions: TxAction[], kind: TxAction['kind']): string[] => actions.filter((a) => a.kind === kind).flatMap((a) => a.to)

test('stock: pushed txs go in full to max(1, floor(n/4)) peers, accepted hashes to the rest', () => {
  const s = new StockPropagation()
  for (const n of [1, 3, 4, 7, 8, 16, 25]) {
    const a = s.routeTxs([tx(1), tx(2, { accepted: false })], { peers: peers(n), origin: 'p0', via: 'push' })
    const full = Math.max(1, Math.floor(n / 4))
    assert.deepEqual(to(a, 'push'), peers(n).slice(0, full), `n=${n}`)
    assert.deepEqual(to(a, 'announce'), peers(n).slice(full), `n=${n}`)
    // The client re-pushes every received tx but announces only the ones its pool took.
    assert.equal(a.find((x) => x.kind === 'push')!.txs.length, 2)
    assert.deepEqual(a.find((x) => x.kind === 'announce')!.txs.map((t) => t.hash), [tx(1).hash])
  }
})

test('stock: fetched txs are announced to every peer; RPC txs are announced then pushed to every peer', () => {
  const s = new StockPropagation()
  const fetched = s.routeTxs([tx(1, { accepted: false })], { peers: peers(6), origin: 'p2', via: 'fetch' })
  assert.deepEqual(fetched, [{ kind: 'announce', to: peers(6), txs: [tx(1, { accepted: false })] }])
  const rpc = s.routeTxs([tx(1)], { peers: peers(6), origin: 'local', via: 'rpc' })
  assert.deepEqual(rpc.map((x) => x.kind), ['announce', 'push'])
  assert.deepEqual(to(rpc, 'announce'), peers(6))
  assert.deepEqual(to(rpc, 'push'), peers(6))
})

test('stock: NewBlock to floor(sqrt(n)) peers, NewBlockHashes to the rest', () => {
  const s = new StockPropagation()
  for (const n of [1, 2, 4, 8, 9, 16]) {
    const a = s.routeBlock({ hash: tx(9).hash, number: 3n }, { peers: peers(n), origin: 'local' })
    const k = Math.floor(Math.sqrt(n))
    assert.deepEqual(a.filter((x) => x.kind === 'push').flatMap((x) => x.to), peers(n).slice(0, k))
    assert.deepEqual(a.filter((x) => x.kind === 'announce').flatMap((x) => x.to), peers(n).slice(k))
  }
})

test('geth: full to floor(sqrt(n)), hashes to all; txs over 4 KiB and blob txs are announce-only', () => {
  const g = new GethPropagation()
  const big = tx(2, { size: GETH_MAX_BROADCAST_SIZE + 1 })
  const blob = tx(3, { type: 3 })
  const a = g.routeTxs([tx(1), big, blob, tx(4, { accepted: false })], { peers: peers(9), origin: 'p1', via: 'push' })
  const push = a.find((x) => x.kind === 'push')!
  assert.deepEqual(push.to, peers(9).slice(0, 3))
  assert.deepEqual(push.txs.map((t) => t.hash), [tx(1).hash])
  const ann = a.find((x) => x.kind === 'announce')!
  assert.deepEqual(ann.to, peers(9))
  assert.deepEqual(ann.txs.map((t) => t.hash), [tx(1).hash, big.hash, blob.hash], 'rejected txs are not relayed')
  assert.deepEqual(g.routeTxs([tx(5, { accepted: false })], { peers: peers(4), origin: 'p1', via: 'push' }), [])
})

test('flood: accepted txs and blocks in full to every peer', () => {
  const f = new FloodPropagation()
  assert.deepEqual(f.routeTxs([tx(1), tx(2, { accepted: false })], { peers: peers(5), origin: 'p0', via: 'fetch' }), [
    { kind: 'push', to: peers(5), txs: [tx(1)] },
  ])
  assert.deepEqual(f.routeBlock({ hash: tx(1).hash, number: 1n }, { peers: peers(5), origin: 'local' }), [{ kind: 'push', to: peers(5) }])
})

test('every mode offers its pool to a new peer; the registry rejects unknown modes', () => {
  for (const mode of ['stock', 'geth', 'flood'] as const) {
    const p = createPropagation(mode)
    assert.equal(p.mode, mode)
    const a = p.routePoolToNewPeer([tx(1), tx(2)], 'p7')
    assert.equal(a.length, 1)
    assert.deepEqual(a[0]!.to, ['p7'])
    assert.deepEqual(p.routePoolToNewPeer([], 'p7'), [])
    assert.deepEqual(p.selectFetch([tx(1).hash, tx(2).hash], 'p3'), [tx(1).hash, tx(2).hash], 'baselines fetch every unknown hash')
  }
  assert.throws(() => createPropagation('gossip' as never), /unknown propagation mode "gossip"/)
})
