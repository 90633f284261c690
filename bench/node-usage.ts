/** CPU and RSS of a testnet node: from /proc when it is a local process, else from its /metrics. */
import type { TestnetNode } from '../testnets/description.ts'
import { metricsUsage } from './metrics-usage.ts'
import { processUsage, type ProcessUsage } from './process-usage.ts'

export type UsageSource = 'proc' | 'metrics' | 'none'

export async function nodeUsage(n: TestnetNode): Promise<{ usage: ProcessUsage | null; source: UsageSource }> {
  if (n.pid !== null) {
    const u = processUsage(n.pid)
    if (u !== null) return { usage: u, source: 'proc' }
  }
  if (n.metricsPort > 0) {
    const u = await metricsUsage(`http://${n.host}:${n.metricsPort}/metrics`)
    if (u !== null) return { usage: u, source: 'metrics' }
  }
  return { usage: null, source: 'none' }
}
