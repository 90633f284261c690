import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isConnected, neighbours, randomRegularGraph, validateRegular } from '../../src/shared/topology.ts'
import { cliqueGenesis } from '../../testnets/genesis/clique.ts'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { readTestnet } from '../../testnets/description.ts'

test('random regular graphs are D-regular, simple, connected and fixed by the seed', () => {
  for (const [n, d] of [[4, 2], [8, 4], [16, 8], [33, 4], [50, 7] as [number, number]] as [number, number][]) {
    const e = randomRegularGraph(n, d, 'seed-a')
    assert.equal(e.length, (n * d) / 2)
    assert.ok(neighbours(n, e).every((l) => l.length === d && new Set(l).size === d))
    assert.ok(isConnected(n, e))
    assert.deepEqual(randomRegularGraph(n, d, 'seed-a'), e)
  }
  assert.notDeepEqual(randomRegularGraph(16, 4, 'a'), randomRegularGraph(16, 4, 'b'))
})

test('impossible sizes are refused with a reason', () => {
  assert.match(validateRegular(5, 3)!, /must be even/)
  assert.match(validateRegular(4, 4)!, /needs more than 4 nodes/)
  assert.match(validateRegular(1, 1)!, /--nodes must be/)
  assert.match(validateRegular(6, 1)!, /not connected/)
  assert.equal(validateRegular(8, 4), undefined)
})

test('Clique genesis: 32 vanity bytes, sorted signers, 65-byte seal, prefunded accounts', () => {
  const g = cliqueGenesis({
    chainId: 9,
    period: 2,
    signers: ['0x' + 'bb'.repeat(20), '0x' + 'AA'.repeat(20)],
    alloc: { ['0x' + '11'.repeat(20)]: 5n },
    gasLimit: 60_000_000n,
    timestamp: 1,
  })
  assert.equal(g.extraData, `0x${'00'.repeat(32)}${'aa'.repeat(20)}${'bb'.repeat(20)}${'00'.repeat(65)}`)
  assert.equal(g.alloc['11'.repeat(20)]!.balance, '0x5')
  assert.equal((g.config.clique as { period: number }).period, 2)
  assert.equal(g.config.parisBlock, undefined, 'no Paris: it would silently turn Clique into Casper')
  assert.throws(() => cliqueGenesis({ chainId: 9, period: 2, signers: ['0x12'], alloc: {}, gasLimit: 1n, timestamp: 1 }), /not a 20-byte address/)
})

test('createTestnet writes a deterministic description with symmetric peers', () => {
  const a = mkdtempSync(join(tmpdir(), 'tc-a-'))
  const b = mkdtempSync(join(tmpdir(), 'tc-b-'))
  try {
    const o = { ...DEFAULT_TESTNET, nodes: 6, signers: 2, degree: 3, seed: 'x', propagationOverrides: { 5: 'flood' as const } }
    createTestnet({ ...o, dir: a })
    createTestnet({ ...o, dir: b })
    const da = readTestnet(a)
    const db = readTestnet(b)
    assert.deepEqual(da.nodes.map((n) => n.enode), db.nodes.map((n) => n.enode))
    assert.equal(readFileSync(da.genesisPath, 'utf8'), readFileSync(db.genesisPath, 'utf8'))
    assert.equal(da.nodes.filter((n) => n.signerKey !== undefined).length, 2)
    assert.equal(da.nodes[5]!.propagation, 'flood')
    assert.equal(da.nodes[0]!.propagation, 'stock')
    for (const n of da.nodes) {
      assert.equal(n.peers.length, 3)
      for (const p of n.peers) assert.ok(da.nodes.find((m) => m.name === p)!.peers.includes(n.name))
    }
    assert.equal(da.accounts.length, DEFAULT_TESTNET.accounts)
  } finally {
    rmSync(a, { recursive: true, force: true })
    rmSync(b, { recursive: true, force: true })
  }
})
