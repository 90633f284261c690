/**
 * The tx pool baseline fixes, on a real in-process node (LevelDB, VM, pool) whose peers are recording stand-ins:
 * - client 002 announced-txs-crash: accepted txs are announced to the peers that did not get them in full;
 * - client 003 transactions-fire-and-forget: `Transactions` is sent, never requested, never empty;
 * - client 005 refetch-after-failed-add: a hash whose add failed is fetched again when announced again;
 * - client 006 pool-validates-executed-state: a tx is accepted while the canonical head is not executed yet.
 * Each assertion below fails with its patch removed.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFeeMarket1559Tx, type FeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { startNode, type RunningNode } from '../../src/node/start.ts'
import { freePorts } from '../helpers/ports.ts'

interface Sent {
  how: 'send' | 'request'
  name: string
  data: unknown
}

function fakePeer(id: string, pooled?: () => FeeMarket1559Tx[]) {
  const log: Sent[] = []
  const fetches: Uint8Array[][] = []
  return {
    id,
    log,
    fetches,
    eth: {
      versions: [68],
      send: (name: string, data: unknown) => void log.push({ how: 'send', name, data }),
      request: async (name: string, data: unknown) => {
        log.push({ how: 'request', name, data })
        return undefined
      },
      getPooledTransactions: async ({ hashes }: { hashes: Uint8Array[] }) => {
        fetches.push(hashes)
        return [0n, pooled?.() ?? []]
      },
    },
  }
}
type FakePeer = ReturnType<typeof fakePeer>

let dir: string
let node: RunningNode
let txs: FeeMarket1559Tx[]

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-pool-'))
  const [p2p, rpc] = await freePorts(2)
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 1, signers: 1, degree: 1, accounts: 8, seed: 'pool-test', basePort: p2p!, baseRpcPort: rpc!, baseMetricsPort: 0 })
  const n = d.nodes[0]!
  // No signer key: this node does not mine, so the pool changes only through the calls below.
  node = await startNode({
    name: 'n0', genesisPath: d.genesisPath, dataDir: n.dataDir, nodeKey: hexToBytes(n.nodeKey as `0x${string}`), host: '127.0.0.1',
    p2pPort: p2p!, rpcPort: rpc!, metricsPort: 0, staticPeers: [], maxPeers: 5, propagation: 'stock', logLevel: 'off',
  })
  node.client.config.synchronized = true
  node.service.txPool.start()
  txs = d.accounts.map((a, i) =>
    createFeeMarket1559Tx(
      { chainId: BigInt(d.chainId), nonce: 0n, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 2_000_000_000n, gasLimit: 21_000n, to: `0x${'00'.repeat(19)}0${i}`, value: 1n },
      { common: node.client.config.chainCommon },
    ).sign(hexToBytes(a.privateKey as `0x${string}`)),
  )
})

after(async () => {
  await node?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Puts the stand-ins into the node's real peer pool (whom the seam relays to), in this order. */
function pool(peers: FakePeer[]): never {
  const pp = node.service.pool
  for (const p of pp.peers) pp.remove(p)
  for (const p of peers) pp.add(p as never)
  return pp as never
}
const announced = (p: FakePeer): string[] =>
  p.log.filter((m) => m.name === 'NewPooledTransactionHashes').flatMap((m) => (m.data as [number[], number[], Uint8Array[]])[2].map((h) => bytesToHex(h)))

test('txs pushed to us: full to the first quarter (sent, not requested), hashes of accepted ones to the rest', async () => {
  const peers = ['a', 'b', 'c', 'd', 'e'].map((id) => fakePeer(id))
  const [origin, first, ...rest] = [peers[1]!, peers[0]!, ...peers.slice(2)]
  await node.service.txPool.handleAnnouncedTxs([txs[0]!], origin as never, pool(peers))
  const pushes = first.log.filter((m) => m.name === 'Transactions')
  assert.equal(pushes.length, 1, 'the first peer (floor(5/4) = 1) gets the tx in full')
  assert.equal(pushes[0]!.how, 'send', 'Transactions has no response: fire-and-forget')
  for (const p of rest) assert.deepEqual(announced(p), [bytesToHex(txs[0]!.hash())], `peer ${p.id} gets the hash`)
  assert.equal(origin.log.length, 0, 'nothing goes back to the sender')

  // The same tx again: every peer knows it now, and no empty Transactions list goes out.
  await node.service.txPool.handleAnnouncedTxs([txs[0]!], origin as never, pool(peers))
  assert.equal(first.log.filter((m) => m.name === 'Transactions').length, 1)
  assert.ok(peers.every((p) => p.log.every((m) => !(m.name === 'Transactions' && (m.data as unknown[]).length === 0))))
  assert.equal(node.propagation.stats.duplicates.tx, 1, 'the second copy counted as a duplicate')
})

test('a hash whose add failed is fetched again when announced again', async () => {
  const tx = txs[1]!
  const txPool = node.service.txPool as unknown as { validate: (...a: unknown[]) => Promise<void> }
  const validate = txPool.validate
  let failures = 1
  txPool.validate = async function (this: unknown, ...a: unknown[]) {
    if (failures-- > 0) throw new Error('transient failure (test)')
    return validate.apply(this, a)
  }
  try {
    const x = fakePeer('x', () => [tx])
    const y = fakePeer('y', () => [tx])
    await node.service.txPool.handleAnnouncedTxHashes([tx.hash()], x as never, pool([x, y]))
    assert.equal(x.fetches.length, 1)
    assert.equal(node.service.txPool.getByHash([tx.hash()]).length, 0, 'the first add failed')
    await node.service.txPool.handleAnnouncedTxHashes([tx.hash()], y as never, pool([x, y]))
    assert.equal(y.fetches.length, 1, 'fetched again from the next announcer')
    assert.equal(node.service.txPool.getByHash([tx.hash()]).length, 1, 'and now it is in the pool')
  } finally {
    txPool.validate = validate
  }
})

test('a tx is accepted while the canonical head is not executed yet', async () => {
  const chain = node.service.chain as unknown as { getCanonicalHeadHeader: () => Promise<{ stateRoot: Uint8Array }> }
  const real = chain.getCanonicalHeadHeader
  // A head whose state is not in the trie, as when a block was imported and its execution is still queued.
  chain.getCanonicalHeadHeader = async function (this: unknown) {
    const h = await real.call(this)
    return Object.assign(Object.create(Object.getPrototypeOf(h)), h, { stateRoot: new Uint8Array(32).fill(7) })
  }
  try {
    await node.service.txPool.add(txs[2]!)
    assert.equal(node.service.txPool.getByHash([txs[2]!.hash()]).length, 1)
  } finally {
    chain.getCanonicalHeadHeader = real
  }
})
