/**
 * An in-process stock follower as the target of testnets/adversary: the node, how to dial it, and the chain facts an
 * attacker needs (genesis hash and td for Status, a real block hash to name in requests). Counts unhandled
 * rejections while it runs (the patch tests assert none).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import type { AttackContext } from '../../testnets/adversary/attacks.ts'
import type { RunningNode } from '../../src/node/start.ts'
import { hexToBytes } from '@ethereumjs/util'
import { startNode } from '../../src/node/start.ts'
import { freePorts } from './ports.ts'

export interface Target {
  node: RunningNode
  rpcUrl: string
  ctx: AttackContext
  unhandled: unknown[]
  stop(): Promise<void>
}

export async function startTarget(seed: string, maxPeers = 8): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), `tc-${seed}-`))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 1, signers: 1, degree: 0, accounts: 1, seed, basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
  const n = d.nodes[0]!
  const [rpcPort] = await freePorts(1)
  // A quiet stock follower (no signer key: its chain stays at genesis), as test/helpers/inproc-node.ts, with a known RPC port.
  const node = await startNode({
    name: n.name, genesisPath: d.genesisPath, dataDir: n.dataDir, nodeKey: hexToBytes(n.nodeKey as `0x${string}`), host: '127.0.0.1',
    p2pPort: 0, rpcPort: rpcPort!, metricsPort: 0, staticPeers: [], maxPeers, propagation: 'stock', logLevel: 'off',
  })
  const unhandled: unknown[] = []
  const onUnhandled = (r: unknown) => void unhandled.push(r)
  process.on('unhandledRejection', onUnhandled)
  const server = (node.client.config.server as unknown as { rlpx: { _server: net.Server } }).rlpx._server
  const port = (server.address() as net.AddressInfo).port
  const chain = node.service.chain
  const ctx: AttackContext = {
    target: { host: '127.0.0.1', port, nodeId: node.propagation.selfId, common: node.client.config.chainCommon },
    genesisHash: chain.genesis.hash(),
    headHash: chain.blocks.latest!.hash(),
    genesisTd: chain.blocks.td,
  }
  return {
    node,
    rpcUrl: `http://127.0.0.1:${rpcPort}`,
    ctx,
    unhandled,
    async stop() {
      process.off('unhandledRejection', onUnhandled)
      await node.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
