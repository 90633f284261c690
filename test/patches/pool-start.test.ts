/**
 * Patch @ethereumjs/client 024 (pool-starts-on-first-block). A follower's tx pool starts once the node counts as
 * synchronized, which needs a sync target. On a follower's first block through NewBlock the pool's run check came
 * before the target was set, so the pool stayed off until the next block, and txs that arrived meanwhile were
 * dropped (seen in the mixed e2e network: a node missed the workload's first txs for good).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes } from '@ethereumjs/util'
import type { FullSynchronizer } from '@ethereumjs/client/dist/esm/src/sync/fullsync.js'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { buildCliqueBlock, inprocChain } from '../../testnets/inproc-chain.ts'
import type { RunningNode } from '../../src/node/start.ts'
import { startFollower } from '../helpers/inproc-node.ts'

let dir: string
let node: RunningNode
let signerKey: string
let genesis: unknown

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-pool-start-'))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 2, signers: 1, degree: 1, accounts: 1, seed: 'pool-start', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
  genesis = JSON.parse(readFileSync(d.genesisPath, 'utf8'))
  signerKey = d.nodes.find((n) => n.signerKey !== undefined)!.signerKey!
  node = await startFollower(d, d.nodes.find((x) => x.signerKey === undefined)!, 1)
})
after(async () => {
  await node?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('a follower\'s tx pool starts with its first block received as NewBlock', async () => {
  const chain = await inprocChain(genesis as never)
  // Sealed now (a block from long ago does not make a node "synchronized").
  const period = BigInt(Math.floor(Date.now() / 1000)) - chain.genesis.header.timestamp
  const block1 = await buildCliqueBlock(chain, hexToBytes(signerKey as `0x${string}`), [], { period })
  assert.equal(node.service.txPool.running, false, 'a follower at genesis has no pool yet')
  await (node.service.synchronizer as FullSynchronizer).handleNewBlock(block1)
  assert.equal(node.service.chain.headers.height, 1n)
  assert.equal(node.service.txPool.running, true, 'the pool runs after the first block')
})
