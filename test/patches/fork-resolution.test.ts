/**
 * Two Clique signers each sealed a block 1; a node holds the lighter (out-of-turn) one.
 * - Patch client 017 (fetch-competing-blocks): it learns of the heavier (in-turn) one only by a NewBlockHashes
 *   announcement, and must fetch it and switch.
 * - Patch client 018 (fork-from-best-peer): its sync loop picks a peer whose head is the heavier block at the same
 *   height, and must take that block from that peer.
 * - Patch client 020 (store-competing-new-block): it gets the heavier one as a full NewBlock, and must store it
 *   (the client handed it to the hash path, which drops it when no fetcher runs).
 * - Patch client 021 (new-block-td): NewBlock carries the td of its block, so a receiver knows the sender is ahead.
 * Without the patches the node stays on the lighter block and the chain stalls.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import type { Block } from '@ethereumjs/block'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { competingBlocks } from '../helpers/competing-blocks.ts'
import type { RunningNode } from '../../src/node/start.ts'
import { startFollower } from '../helpers/inproc-node.ts'
import type { FullSynchronizer } from '@ethereumjs/client/dist/esm/src/sync/fullsync.js'

let dir: string
let node: RunningNode
let second: RunningNode
let third: RunningNode
let inTurn: Block
let outOfTurn: Block

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-fork-'))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 3, signers: 2, degree: 2, accounts: 1, seed: 'fork', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
  ;({ inTurn, outOfTurn } = await competingBlocks(d))
  const start = (i: number) => startFollower(d, d.nodes[i]!, 3)
  // Started without their signer keys: neither seals, so their chains change only through the calls below.
  node = await start(2)
  second = await start(1)
  third = await start(0)
})
after(async () => {
  await node?.stop()
  await second?.stop()
  await third?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('a heavier competing block announced by hash only is fetched and becomes the head', async () => {
  await node.service.chain.putBlocks([outOfTurn])
  assert.equal(bytesToHex(node.service.chain.headers.latest!.hash()), bytesToHex(outOfTurn.hash()))
  const requests: string[] = []
  const peer = {
    id: 'ab'.repeat(64),
    eth: {
      getBlockHeaders: async () => (requests.push('headers'), [0n, [inTurn.header]]),
      getBlockBodies: async () => (requests.push('bodies'), [0n, [inTurn.raw().slice(1)]]),
      send: () => undefined,
    },
  }
  const sync = node.service.synchronizer as FullSynchronizer & { fetchAnnouncedBlocks(d: [Uint8Array, bigint][], p: unknown): Promise<void> }
  await sync.fetchAnnouncedBlocks([[inTurn.hash(), 1n]], peer)
  assert.deepEqual(requests, ['headers', 'bodies'])
  assert.equal(bytesToHex(node.service.chain.headers.latest!.hash()), bytesToHex(inTurn.hash()), 'the in-turn block is canonical')
  // Announced again: known now, not fetched again.
  await sync.fetchAnnouncedBlocks([[outOfTurn.hash(), 1n]], peer)
  assert.equal(requests.length, 2)
})

test('the sync loop takes a competing block at our height from the best peer', async () => {
  await second.service.chain.putBlocks([outOfTurn])
  const asked: string[] = []
  const peer = {
    id: 'cd'.repeat(64),
    latest: async () => inTurn.header,
    eth: {
      status: { td: 3n },
      getBlockHeaders: async () => (asked.push('headers'), [0n, [inTurn.header]]),
      getBlockBodies: async () => (asked.push('bodies'), [0n, [inTurn.raw().slice(1)]]),
      send: () => undefined,
    },
  }
  const sync = second.service.synchronizer as FullSynchronizer & { syncWithPeer(p: unknown): Promise<boolean> }
  assert.equal(await sync.syncWithPeer(peer), false, 'no fetcher by number is started')
  assert.deepEqual(asked, ['headers', 'bodies'])
  assert.equal(bytesToHex(second.service.chain.headers.latest!.hash()), bytesToHex(inTurn.hash()))
})

test('a heavier competing block that arrives as a full NewBlock becomes the head', async () => {
  await third.service.chain.putBlocks([outOfTurn])
  assert.equal(bytesToHex(third.service.chain.headers.latest!.hash()), bytesToHex(outOfTurn.hash()))
  const sync = third.service.synchronizer as FullSynchronizer
  await sync.handleNewBlock(inTurn)
  assert.equal(bytesToHex(third.service.chain.headers.latest!.hash()), bytesToHex(inTurn.hash()), 'the in-turn block is canonical')
  // The lighter one arriving again is stored as a side block at most; the head stays.
  await sync.handleNewBlock(outOfTurn)
  assert.equal(bytesToHex(third.service.chain.headers.latest!.hash()), bytesToHex(inTurn.hash()))
})

test('NewBlock carries the total difficulty of the block it carries, not the sender chain td', async () => {
  // Patch client 021 (new-block-td). `node` holds the in-turn block 1 (td genesis + 2); it forwards the out-of-turn
  // one (td genesis + 1). The client sent its own chain's td, so a receiver could not tell which block was heavier.
  const sent: unknown[][] = []
  const peer = { id: 'ef'.repeat(64), eth: { send: (name: string, data: unknown[]) => sent.push([name, ...data]) } }
  const sync = node.service.synchronizer as FullSynchronizer & { sendNewBlock(b: Block, peers: unknown[]): Promise<void> }
  const genesisTd = await node.service.chain.getTd(outOfTurn.header.parentHash, 0n)
  assert.equal(node.service.chain.blocks.td, genesisTd + 2n, 'the node is on the in-turn block')
  await sync.sendNewBlock(outOfTurn, [peer])
  assert.equal(sent.length, 1)
  assert.equal(sent[0]![0], 'NewBlock')
  assert.equal(sent[0]![2], genesisTd + 1n)
})
