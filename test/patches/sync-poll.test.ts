/**
 * Patch @ethereumjs/client 022 (sync-polls-only-peers-ahead). The sync loop runs every period / 2 (patch 004) and
 * picks a peer whose td is >= ours; it then asked that peer for its head (GetBlockHeaders) on every tick, even when
 * no peer claimed more td than ours: a steady header poll on every node, counted as block traffic. With the patch it
 * asks only a peer that may have a block we lack: it claims more td than ours (from its handshake, NewBlock,
 * NewBlockHashes or a tee block), or exactly ours with another head (a fork at our height, or a NewBlockHashes
 * lower bound: a first version that skipped ties left a Clique fork unresolved).
 * Patch 023 (head-poll-only-peers-ahead) does the same for the peer pool's 5 s head poll of every peer.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FullSynchronizer } from '@ethereumjs/client/dist/esm/src/sync/fullsync.js'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import type { RunningNode } from '../../src/node/start.ts'
import { startFollower } from '../helpers/inproc-node.ts'

let dir: string
let node: RunningNode

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-sync-poll-'))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 1, signers: 1, degree: 0, accounts: 1, seed: 'sync-poll', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
  // Started without its signer key: the chain stays at genesis.
  node = await startFollower(d, d.nodes[0]!, 1)
})
after(async () => {
  await node?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('the sync loop asks a peer for its head only when it claims more td than ours', async () => {
  const sync = node.service.synchronizer as FullSynchronizer & { syncWithPeer(p: unknown): Promise<boolean> }
  const ours = node.service.chain.blocks.td
  let asked = 0
  const peer = (td: bigint, bestHash: Uint8Array = new Uint8Array(32)) => ({
    id: 'ab'.repeat(64),
    latest: async () => (asked++, node.service.chain.blocks.latest!.header),
    eth: { status: { td, bestHash }, send: () => undefined },
  })
  const head = node.service.chain.blocks.latest!.hash()
  assert.equal(await sync.syncWithPeer(peer(ours, head)), false)
  assert.equal(asked, 0, 'a peer level with us, on our head, is not asked')
  assert.equal(await sync.syncWithPeer(peer(ours - 1n)), false)
  assert.equal(asked, 0, 'nor one behind us')
  assert.equal(await sync.syncWithPeer(peer(ours, new Uint8Array(32).fill(9))), false)
  assert.equal(asked, 1, 'a peer level with us on another head is asked (a fork, or a NewBlockHashes lower bound)')
  assert.equal(await sync.syncWithPeer(peer(ours + 1n)), false, 'its head is ours: nothing to fetch')
  assert.equal(asked, 2, 'a peer that claims more td is asked')
})

test('the peer pool polls the head only of peers that claim more td than ours', async () => {
  // Patch @ethereumjs/client 023 (head-poll-only-peers-ahead): the pool asked every peer for its head every 5 s.
  const { RlpxPeer } = await import('@ethereumjs/client/dist/esm/src/net/peer/rlpxpeer.js')
  const pool = node.service.pool as unknown as { pool: Map<string, unknown>; _peerBestHeaderUpdate(): Promise<void> }
  const ours = node.service.chain.blocks.td
  const asked: string[] = []
  const head = node.service.chain.blocks.latest!.hash()
  const fake = (id: string, td: bigint, bestHash: Uint8Array = head) =>
    Object.assign(Object.create(RlpxPeer.prototype), { id, idle: true, eth: { status: { td, bestHash } }, latest: async () => void asked.push(id) })
  const peers = { level: fake('level', ours), behind: fake('behind', ours - 1n), fork: fake('fork', ours, new Uint8Array(32).fill(9)), ahead: fake('ahead', ours + 1n) }
  for (const [k, v] of Object.entries(peers)) pool.pool.set(k, v)
  try {
    await pool._peerBestHeaderUpdate()
  } finally {
    for (const k of Object.keys(peers)) pool.pool.delete(k)
  }
  assert.deepEqual(asked, ['fork', 'ahead'])
})
