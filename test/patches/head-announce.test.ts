/**
 * Two Clique signers each sealed a block 1 while the nodes were still connecting (seen in 2 of 6 8-node testnets).
 * Each signer then waits for the other's block 2, so the chain goes on only once every node holds the heavier block.
 * - Patch client 055 (announce-head-to-new-peer): a block imported between a peer's handshake and its joining the
 *   pool reached that peer by no announcement, and its Status is never refreshed without one, so the lighter signer
 *   saw no peer heavier than itself ("Waiting for best peer" for minutes). A new peer whose Status names another
 *   head is sent ours by hash.
 * - Patch client 056 (adopted-sibling-forwarded): a competing block fetched after an announcement was stored without
 *   being passed on, so a node that switched to the heavier block told no one. It now goes through handleNewBlock,
 *   and is forwarded like any NewBlock.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import type { Block } from '@ethereumjs/block'
import type { FullSynchronizer } from '@ethereumjs/client/dist/esm/src/sync/fullsync.js'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { competingBlocks } from '../helpers/competing-blocks.ts'
import type { RunningNode } from '../../src/node/start.ts'
import { startFollower } from '../helpers/inproc-node.ts'

let dir: string
let announcer: RunningNode
let switcher: RunningNode
let inTurn: Block
let outOfTurn: Block

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-head-announce-'))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 2, signers: 2, degree: 1, accounts: 1, seed: 'head-announce', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
  ;({ inTurn, outOfTurn } = await competingBlocks(d))
  // Started without their signer keys: their chains change only through the calls below.
  announcer = await startFollower(d, d.nodes[0]!, 4)
  switcher = await startFollower(d, d.nodes[1]!, 4)
})
after(async () => {
  await announcer?.stop()
  await switcher?.stop()
  rmSync(dir, { recursive: true, force: true })
})

type Sent = [string, unknown]
function fakePeer(id: string, status: { td: bigint; bestHash: Uint8Array }, serve?: Block) {
  const sent: Sent[] = []
  return {
    sent,
    peer: {
      id,
      idle: true,
      eth: {
        status,
        versions: [68],
        send: (name: string, data: unknown) => void sent.push([name, data]),
        request: async () => undefined,
        getBlockHeaders: async () => [0n, serve === undefined ? [] : [serve.header]],
        getBlockBodies: async () => [0n, serve === undefined ? [] : [serve.raw().slice(1)]],
      },
    },
  }
}
const blockAnnouncements = (sent: Sent[]) => sent.filter(([name]) => name === 'NewBlockHashes' || name === 'NewBlock')
/** The announcements of one block: NewBlockHashes [[hash, number]] or NewBlock [block, td]. */
const announcementsOf = (sent: Sent[], b: Block) =>
  blockAnnouncements(sent).filter(([name, data]) => {
    const hash = name === 'NewBlock' ? (data as [Block])[0].hash() : (data as [[Uint8Array]])[0][0]
    return bytesToHex(hash) === bytesToHex(b.hash())
  })

test('a peer that joins with another head in its Status is told ours by hash; one on our head is not', async () => {
  await announcer.service.chain.putBlocks([inTurn])
  const pool = announcer.service.pool
  const genesisHash = (await announcer.service.chain.getBlock(0n)).hash()
  const behind = fakePeer('a1'.repeat(32), { td: 1n, bestHash: genesisHash })
  const level = fakePeer('a2'.repeat(32), { td: announcer.service.chain.blocks.td, bestHash: inTurn.hash() })
  try {
    pool.add(behind.peer as never)
    pool.add(level.peer as never)
  } finally {
    pool.remove(behind.peer as never)
    pool.remove(level.peer as never)
  }
  const told = blockAnnouncements(behind.sent)
  assert.equal(told.length, 1, 'one announcement to the peer whose Status names genesis')
  assert.equal(told[0]![0], 'NewBlockHashes')
  const [[hash, number]] = told[0]![1] as [[Uint8Array, bigint]]
  assert.equal(bytesToHex(hash), bytesToHex(inTurn.hash()))
  assert.equal(number, 1n)
  assert.deepEqual(blockAnnouncements(level.sent), [], 'nothing to a peer already on our head')
})

test('a node that switches to a heavier competing block passes it on to its other peers', async () => {
  await switcher.service.chain.putBlocks([outOfTurn])
  const pool = switcher.service.pool
  const source = fakePeer('b1'.repeat(32), { td: 3n, bestHash: inTurn.hash() }, inTurn)
  // A signer still on the lighter block, which hears of the heavier one only from this node.
  const lighter = fakePeer('b2'.repeat(32), { td: switcher.service.chain.blocks.td, bestHash: outOfTurn.hash() })
  pool.add(source.peer as never)
  pool.add(lighter.peer as never)
  try {
    const sync = switcher.service.synchronizer as FullSynchronizer & { fetchAnnouncedBlocks(d: [Uint8Array, bigint][], p: unknown): Promise<void> }
    await sync.fetchAnnouncedBlocks([[inTurn.hash(), 1n]], source.peer)
  } finally {
    pool.remove(source.peer as never)
    pool.remove(lighter.peer as never)
  }
  assert.equal(bytesToHex(switcher.service.chain.headers.latest!.hash()), bytesToHex(inTurn.hash()), 'the in-turn block is canonical')
  assert.equal(announcementsOf(lighter.sent, inTurn).length, 1, 'the lighter peer is sent the heavier block (NewBlock or its hash)')
  assert.deepEqual(announcementsOf(source.sent, inTurn), [], 'not back to the peer it came from')
})
