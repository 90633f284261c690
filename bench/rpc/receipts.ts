/**
 * Benchmark: eth_getTransactionReceipt and eth_getTransactionByHash over HTTP JSON-RPC on a long chain.
 * A node (in this process) imports a Clique chain of --blocks blocks of --txs txs each (half transfers, half calls
 * that log), then --calls random txs are fetched one call at a time; prints per call the wall time (p50/p99/max)
 * and the CPU time of this process, which holds both the node and the caller (p50/p99): on a loaded machine the
 * wall time mostly measures the wait for a core, the CPU time what a call costs. Each method is measured twice: in
 * the node (the RPC method called directly, no transport) and over HTTP; eth_blockNumber over HTTP is the
 * transport's own cost for comparison. The node keeps the tx index and the blocks it executed in memory (client
 * patch 033, receipt-cache), so these are the lookups of recent txs; the "cold" lines empty those caches before
 * every call (outside the timing), as for a tx of a block executed long ago: the reads from LevelDB.
 *   node --import tsx bench/rpc/receipts.ts [--blocks 1000] [--txs 20] [--calls 500]
 */
import { parseArgs } from 'node:util'
import { rpcCall } from '../../src/rpc/client.ts'
import { startRpcFixture } from '../../testnets/rpc-fixture.ts'
import { SeededRandom } from '../../src/shared/rng.ts'
import { RPCManager } from '@ethereumjs/client/dist/esm/src/rpc/index.js'

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '1000' }, txs: { type: 'string', default: '20' }, calls: { type: 'string', default: '500' } } })
const blocks = Number(values.blocks)
const txs = Number(values.txs)
const calls = Number(values.calls)
if (!(blocks >= 2 && txs >= 1 && calls >= 1)) {
  process.stderr.write('--blocks >= 2, --txs >= 1, --calls >= 1\n')
  process.exit(2)
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!
}

const fx = await startRpcFixture({ blocks, txsPerBlock: txs, accounts: 64, seed: 'bench-receipts', onProgress: (m) => process.stderr.write(`${m}\n`) })
try {
  const rng = new SeededRandom('bench-receipts')
  const all = fx.built.txHashes.flat()
  const sample = Array.from({ length: calls }, () => all[rng.int(all.length)]!)
  const direct = new RPCManager(fx.node.client, fx.node.client.config).getMethods(false, false) as unknown as Record<string, (p: unknown[]) => Promise<unknown>>
  const receiptsManager = fx.node.service.execution.receiptsManager as unknown as { teecastClearCaches(): void }
  const measure = async (label: string, call: (h: string) => Promise<unknown>, cold = false): Promise<void> => {
    // Warm-up: the first calls pay for JIT and caches.
    for (const h of sample.slice(0, 20)) await call(h)
    const ms: number[] = []
    const cpu: number[] = []
    for (const h of sample) {
      if (cold) receiptsManager.teecastClearCaches()
      const t = process.hrtime.bigint()
      const c = process.cpuUsage()
      const r = await call(h)
      const dc = process.cpuUsage(c)
      ms.push(Number(process.hrtime.bigint() - t) / 1e6)
      cpu.push((dc.user + dc.system) / 1000)
      if (r === null) throw new Error(`${label} ${h}: null`)
    }
    process.stdout.write(`${label.padEnd(44)} wall p50 ${pct(ms, 50).toFixed(2)} ms, p99 ${pct(ms, 99).toFixed(2)} ms; CPU p50 ${pct(cpu, 50).toFixed(2)} ms, p99 ${pct(cpu, 99).toFixed(2)} ms\n`)
  }
  process.stdout.write(`${calls} calls each on a ${blocks}-block chain (${txs} txs/block):\n`)
  for (const method of ['eth_getTransactionReceipt', 'eth_getTransactionByHash']) {
    await measure(`${method} in the node`, (h) => direct[method]!([h]))
    await measure(`${method} over HTTP`, (h) => rpcCall(fx.node.rpcUrl, method, [h]))
    await measure(`${method} over HTTP, cold`, (h) => rpcCall(fx.node.rpcUrl, method, [h]), true)
  }
  await measure('eth_blockNumber over HTTP (transport only)', () => rpcCall(fx.node.rpcUrl, 'eth_blockNumber', []))
} finally {
  await fx.close()
}
