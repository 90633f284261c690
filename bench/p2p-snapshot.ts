/** A teecast_p2pStats snapshot of every node of a testnet (wire costs from two of them: `stats/wire.ts`). */
import { rpcCall } from '../src/rpc/client.ts'
import type { P2pStats } from '../src/rpc/teecast.ts'
import type { TestnetDescription } from '../testnets/description.ts'
import { setTimeout as sleep } from 'node:timers/promises'

/** Every node's teecast_p2pStats; a call that fails is retried twice, 1 s apart (a node under full load can drop one). */
export async function snapshotStats(d: TestnetDescription): Promise<Map<string, P2pStats>> {
  const one = async (url: string): Promise<P2pStats> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await rpcCall<P2pStats>(url, 'teecast_p2pStats')
      } catch (e) {
        if (attempt >= 3) throw e
        await sleep(1000)
      }
    }
  }
  const all = await Promise.all(d.nodes.map(async (n) => [n.name, await one(n.rpcUrl)] as const))
  return new Map(all)
}
