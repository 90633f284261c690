/**
 * The real testnet the client-library e2e tests share, one per test file: 2 node processes (n0 seals every second,
 * n1 follows), HTTP and WebSocket JSON-RPC on free ports, a few prefunded accounts.
 */
import { launchTestnet } from '../../testnets/launcher.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { makeTestnet } from './testnet.ts'

export interface ClientTestnet {
  d: TestnetDescription
  /** The follower: the tests talk to a node that imports blocks, not to the one that seals them. */
  node: TestnetNode & { wsUrl: string }
  cleanup: () => Promise<void>
}

export async function startClientTestnet(seed: string): Promise<ClientTestnet> {
  const net = await makeTestnet({ nodes: 2, signers: 1, degree: 1, period: 1, seed, accounts: 4 })
  try {
    const d = await launchTestnet(net.dir, { readyTimeoutMs: 90_000 })
    const node = d.nodes[1]!
    if (node.wsUrl === undefined) throw new Error('the testnet has no WebSocket ports')
    return { d, node: node as TestnetNode & { wsUrl: string }, cleanup: net.cleanup }
  } catch (err) {
    await net.cleanup()
    throw err
  }
}

export const withTimeout = <T>(what: string, ms: number, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())])
