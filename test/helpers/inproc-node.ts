/**
 * A testnet node started in this process as a quiet stock follower: no signer key (it never seals, so its chain
 * changes only through what a test hands it), ports chosen by the OS, no static peers, logs off.
 */
import { hexToBytes } from '@ethereumjs/util'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { startNode, type RunningNode } from '../../src/node/start.ts'

export function startFollower(d: TestnetDescription, n: TestnetNode, maxPeers: number): Promise<RunningNode> {
  return startNode({
    name: n.name, genesisPath: d.genesisPath, dataDir: n.dataDir, nodeKey: hexToBytes(n.nodeKey as `0x${string}`), host: '127.0.0.1',
    p2pPort: 0, rpcPort: 0, metricsPort: 0, staticPeers: [], maxPeers, propagation: 'stock', logLevel: 'off',
  })
}
