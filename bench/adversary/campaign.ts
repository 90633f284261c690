/**
 * Runs devp2p attacks against one real node process (a 1-node Clique testnet in a temp dir, sealing every 2 s) and
 * prints, per attack: the outcome the attacker saw, the longest JSON-RPC call meanwhile (blocked time), RSS growth,
 * CPU seconds, head progress, whether the node still runs, and whether it takes a tx over RPC afterwards.
 *
 *   node --import tsx bench/adversary/campaign.ts [attack ...]     (no names: every attack in attacks.ts)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCommonFromGethGenesis } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { launchTestnet, stopTestnet, isAlive } from '../../testnets/launcher.ts'
import { buildTransfers } from '../workload/tx-factory.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { ATTACKS, type AttackContext } from '../../testnets/adversary/attacks.ts'
import { probe } from '../../testnets/adversary/probe.ts'

const names = process.argv.slice(2)
const chosen = names.length > 0 ? names : Object.keys(ATTACKS)
for (const n of chosen) if (ATTACKS[n] === undefined) {
  console.error(`unknown attack "${n}"; known: ${Object.keys(ATTACKS).join(', ')}`)
  process.exit(2)
}

const dir = mkdtempSync(join(tmpdir(), 'tc-adversary-'))
const base = 40000 + Math.floor(Math.random() * 5000) * 3
const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 1, signers: 1, degree: 0, accounts: 4, seed: 'adversary', basePort: base, baseRpcPort: base + 1, baseMetricsPort: 0 })
try {
  await launchTestnet(dir, { readyTimeoutMs: 120_000, logLevel: 'warn' })
  const node = d.nodes[0]!
  const pid = JSON.parse(readFileSync(join(dir, 'testnet.json'), 'utf8')).nodes[0].pid as number
  const genesis = JSON.parse(readFileSync(d.genesisPath, 'utf8'))
  const common = createCommonFromGethGenesis(genesis, { chain: 'teecast' })
  const g = await rpcCall<{ hash: string; totalDifficulty?: string; difficulty: string }>(node.rpcUrl, 'eth_getBlockByNumber', ['0x0', false])
  common.setForkHashes(hexToBytes(g.hash as `0x${string}`))
  console.log(`node ${node.name} pid ${pid} p2p ${node.p2pPort} rpc ${node.rpcUrl}; log ${node.logPath}`)
  console.log('attack | outcome | max RPC ms | failed RPC | RSS MB start -> peak | CPU s | head | alive | tx intake after')
  for (const name of chosen) {
    const head = await rpcCall<{ hash: string }>(node.rpcUrl, 'eth_getBlockByNumber', ['latest', false])
    const ctx: AttackContext = {
      target: { host: '127.0.0.1', port: node.p2pPort, nodeId: node.nodeId, common },
      genesisHash: hexToBytes(g.hash as `0x${string}`),
      headHash: hexToBytes(head.hash as `0x${string}`),
      genesisTd: BigInt(g.difficulty),
    }
    const watch = await probe(node.rpcUrl, pid)
    let outcome: string
    try {
      outcome = await ATTACKS[name]!(ctx)
    } catch (err) {
      outcome = `attack failed: ${(err as Error).message}`
    }
    await new Promise((r) => setTimeout(r, 2_500))
    const r = await watch.stop()
    const alive = isAlive(pid)
    let intake = 'n/a'
    if (alive) {
      const [tx] = await buildTransfers(d, 1, node.rpcUrl).catch(() => [undefined])
      intake = tx === undefined ? 'could not build a tx' : await rpcCall<string>(node.rpcUrl, 'eth_sendRawTransaction', [bytesToHex(tx.serialize())], 10_000).then(() => 'accepted', (e: Error) => `refused: ${e.message}`)
    }
    console.log(`${name} | ${outcome} | ${r.maxRpcMs} | ${r.failedCalls}/${r.calls} | ${r.rssStartMb.toFixed(0)} -> ${r.rssPeakMb.toFixed(0)} | ${r.cpuSec.toFixed(1)} | ${r.headStart} -> ${r.headEnd} | ${alive} | ${intake}`)
    if (!alive) break
  }
} finally {
  await stopTestnet(dir).catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
}
