/**
 * Patch @ethereumjs/client 054 (latest-asks-announced-head). `peer.latest()` asked a peer for its head by number once
 * it held any header of that peer, guessing the number from 12 s slots. A NewBlockHashes announcement moves the
 * peer's `status.bestHash` but not that header, so on a 1 s Clique period a follower that heard of new blocks only
 * by hash asked for its old number again for 12 s and stayed behind (the tiny bench: one of 3 nodes at block 1 for
 * the whole run); at a fork's height the number also returned the peer's own block, not the announced one. With the
 * patch it asks for the announced hash; with nothing new announced it keeps the client's guess by number.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBlockHeader, type BlockHeader } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { Peer } from '@ethereumjs/client/dist/esm/src/net/peer/peer.js'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import type { RunningNode } from '../../src/node/start.ts'
import { startFollower } from '../helpers/inproc-node.ts'

let dir: string
let node: RunningNode

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-peer-latest-'))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 1, signers: 1, degree: 0, accounts: 1, seed: 'peer-latest', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
  // Started without its signer key: the chain stays at genesis.
  node = await startFollower(d, d.nodes[0]!, 1)
})
after(async () => {
  await node?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('after a NewBlockHashes announcement, peer.latest() asks for the announced hash, then by number as before', async () => {
  const common = node.service.config.chainCommon
  const genesis = node.service.chain.blocks.latest!.header
  const announced = createBlockHeader({ number: 3n, timestamp: genesis.timestamp + 3n, extraData: new Uint8Array(97) }, { common })
  const asked: (string | bigint)[] = []
  const headers = new Map<string, BlockHeader>([[bytesToHex(genesis.hash()), genesis], [bytesToHex(announced.hash()), announced]])
  const peer = Object.assign(Object.create(Peer.prototype) as InstanceType<typeof Peer>, {
    id: 'cd'.repeat(64),
    config: node.service.config,
    eth: {
      status: { td: node.service.chain.blocks.td, bestHash: genesis.hash() },
      // The peer has answered once already: the client holds its genesis header as the peer's best.
      updatedBestHeader: genesis,
      send: () => undefined,
      getBlockHeaders: async ({ block }: { block: Uint8Array | bigint }) => {
        const key = typeof block === 'bigint' ? block : bytesToHex(block)
        asked.push(key)
        const h = typeof block === 'bigint' ? [...headers.values()].find((x) => x.number === block) : headers.get(key as string)
        return [0n, h === undefined ? [] : [h]]
      },
    },
  })
  // Three ahead of us: not the next block, so the announcement is not fetched at once; the sync loop must find it.
  await node.service.handle({ name: 'NewBlockHashes', data: [[announced.hash(), 3n]] }, 'eth', peer as never)
  assert.equal(bytesToHex(peer.eth!.status.bestHash), bytesToHex(announced.hash()), 'the announcement moved the peer head')
  assert.ok(peer.eth!.status.td > node.service.chain.blocks.td, 'and its td lower bound above ours')

  const latest = await peer.latest()
  assert.equal(asked[0], bytesToHex(announced.hash()), 'asked for the announced hash, not a guessed number')
  assert.equal(latest?.number, 3n)
  assert.equal(bytesToHex(peer.eth!.updatedBestHeader!.hash()), bytesToHex(announced.hash()))

  await peer.latest()
  assert.equal(typeof asked[1], 'bigint', 'nothing new announced: the client guess by number, as before')
  assert.ok((asked[1] as bigint) >= 3n)
})
