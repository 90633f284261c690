/**
 * make bench-chain: chain-side throughput in one process, no network.
 * - produce: build one block of N simple transfers from N senders as the Clique miner does (BlockBuilder);
 * - import: the same block, decoded afresh (no cached senders), validated and executed on a second chain;
 * - pool: admission of M txs from M senders into a real node's tx pool (LevelDB, VM state checks).
 * Prints one JSON line. With --baseline it also runs with the speed patches off and the client's default crypto,
 * and prints the speed-up ratios from the same run.
 */
import { parseArgs } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBlock, runBlock } from '@ethereumjs/vm'
import { createBlockFromRLP } from '@ethereumjs/block'
import { createFeeMarket1559Tx, createTxFromRLP, type FeeMarket1559Tx } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import { createCommonFromGethGenesis } from '@ethereumjs/common'
import { cliqueFixture, inprocChain } from '../../testnets/inproc-chain.ts'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { cryptoFunctions, type CryptoKind } from '../../src/node/crypto.ts'
import { setSpeedPatches } from '../../src/node/speed-patches.ts'
import { startNode } from '../../src/node/start.ts'

interface ChainFigures {
  crypto: CryptoKind
  speedPatches: boolean
  produceTxPerS: number
  importTxPerS: number
  /** Pool admission, 8 adds in flight (several peers / RPC clients). */
  poolTxPerS: number
  /** Pool admission, one add at a time. */
  poolSequentialTxPerS: number
  /** RLP decode + tx construction, per tx, as the eth layer does before the pool. */
  decodeTxPerS: number
}

const log = (msg: string) => process.stderr.write(`bench-chain: ${msg}\n`)
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms)

function transfers(genesis: object, keys: Uint8Array[]): FeeMarket1559Tx[] {
  const common = createCommonFromGethGenesis(genesis as never, { chain: 'teecast' })
  return keys.map((k, i) =>
    createFeeMarket1559Tx(
      { chainId: 777001n, nonce: 0n, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 3_000_000_000n, gasLimit: 21_000n, to: `0x${'00'.repeat(18)}beef`, value: BigInt(i + 1) },
      { common },
    ).sign(k),
  )
}

async function produceAndImport(txCount: number, crypto: CryptoKind): Promise<{ produceTxPerS: number; importTxPerS: number }> {
  const fx = cliqueFixture(txCount, 'bench-chain')
  const cc = await cryptoFunctions(crypto)
  const producer = await inprocChain(fx.genesis, cc)
  const importer = await inprocChain(fx.genesis, cc)
  // Senders are recovered inside the timed part, as a miner does for txs arriving from peers.
  const raw = transfers(fx.genesis, fx.accountKeys).map((t) => t.serialize())
  const txs = raw.map((r) => createTxFromRLP(r, { common: producer.common }))
  const parent = producer.genesis
  const t0 = performance.now()
  const builder = await buildBlock(producer.vm, {
    parentBlock: parent,
    headerData: { number: 1n, difficulty: 2n, gasLimit: parent.header.gasLimit, timestamp: parent.header.timestamp + 1n, baseFeePerGas: parent.header.calcNextBaseFee() },
    blockOpts: { cliqueSigner: fx.signerKey, setHardfork: true, putBlockIntoBlockchain: false },
  })
  for (const tx of txs) await builder.addTransaction(tx)
  const { block } = await builder.build()
  const produceMs = performance.now() - t0
  if (block.transactions.length !== txCount) throw new Error(`built ${block.transactions.length} of ${txCount} txs`)

  const bytes = block.serialize()
  const t1 = performance.now()
  const imported = createBlockFromRLP(bytes, { common: importer.common, setHardfork: true })
  await importer.blockchain.putBlock(imported)
  const res = await runBlock(importer.vm, { block: imported, root: importer.genesis.header.stateRoot })
  const importMs = performance.now() - t1
  if (Buffer.compare(res.stateRoot, block.header.stateRoot) !== 0) throw new Error('import computed another state root')
  return { produceTxPerS: rate(txCount, produceMs), importTxPerS: rate(txCount, importMs) }
}

let decodeMs = 0

/** Adds in flight at once in the concurrent half of the pool measure. */
const POOL_CONCURRENCY = 8

async function poolAdmission(count: number, crypto: CryptoKind): Promise<{ sequential: number; concurrent: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-bench-pool-'))
  try {
    const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 1, signers: 1, degree: 1, accounts: count, seed: 'bench-pool', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
    const n = d.nodes[0]!
    const node = await startNode({
      name: 'bench', genesisPath: d.genesisPath, dataDir: n.dataDir, nodeKey: hexToBytes(n.nodeKey as `0x${string}`), host: '127.0.0.1',
      p2pPort: 0, rpcPort: 0, metricsPort: 0, staticPeers: [], maxPeers: 1, propagation: 'stock', logLevel: 'off', crypto,
    })
    try {
      node.client.config.synchronized = true
      node.service.txPool.start()
      const raw = transfers(JSON.parse((await import('node:fs')).readFileSync(d.genesisPath, 'utf8')), d.accounts.map((a) => hexToBytes(a.privateKey as `0x${string}`))).map((t) => t.serialize())
      const common = node.client.config.chainCommon
      // Decoding happens in the eth protocol layer before the pool sees a tx: timed apart.
      const t0 = performance.now()
      const txs = raw.map((r) => createTxFromRLP(r, { common }))
      decodeMs = performance.now() - t0
      // Half one at a time, half POOL_CONCURRENCY at a time (as txs from several peers and RPC clients arrive):
      // state reads are async LevelDB gets, so one-at-a-time admission mostly waits on the disk.
      const half = Math.floor(txs.length / 2)
      const t1 = performance.now()
      for (const tx of txs.slice(0, half)) await node.service.txPool.add(tx)
      const seqMs = performance.now() - t1
      const rest = txs.slice(half)
      const t2 = performance.now()
      for (let i = 0; i < rest.length; i += POOL_CONCURRENCY) await Promise.all(rest.slice(i, i + POOL_CONCURRENCY).map((tx) => node.service.txPool.add(tx)))
      const concMs = performance.now() - t2
      if (node.service.txPool.txsInPool !== count) throw new Error(`pool holds ${node.service.txPool.txsInPool} of ${count}`)
      return { sequential: rate(half, seqMs), concurrent: rate(rest.length, concMs) }
    } finally {
      await node.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function measure(speed: boolean, txs: number, pool: number): Promise<ChainFigures> {
  const crypto: CryptoKind = speed ? 'native' : 'wasm'
  setSpeedPatches(speed)
  log(`${speed ? 'patched' : 'baseline'} (crypto ${crypto}): produce + import ${txs} txs`)
  const pi = await produceAndImport(txs, crypto)
  log(`${speed ? 'patched' : 'baseline'}: pool admission of ${pool} txs`)
  const admission = await poolAdmission(pool, crypto)
  return { crypto, speedPatches: speed, ...pi, poolTxPerS: admission.concurrent, poolSequentialTxPerS: admission.sequential, decodeTxPerS: rate(pool, decodeMs) }
}

const { values } = parseArgs({
  options: { baseline: { type: 'boolean', default: false }, txs: { type: 'string', default: '1000' }, pool: { type: 'string', default: '5000' } },
})
const txs = Number(values.txs)
const pool = Number(values.pool)
if (!Number.isInteger(txs) || txs < 1 || !Number.isInteger(pool) || pool < 1 || pool > 5000) {
  process.stderr.write('usage: bench-chain [--baseline] [--txs N >= 1] [--pool M in 1..5000]\n')
  process.exit(2)
}
const patched = await measure(true, txs, pool)
const out: Record<string, unknown> = { bench: 'chain', txs, pool, ...patched }
if (values.baseline) {
  const base = await measure(false, txs, pool)
  setSpeedPatches(true)
  out.baseline = base
  out.speedup = {
    produce: +(patched.produceTxPerS / base.produceTxPerS).toFixed(2),
    import: +(patched.importTxPerS / base.importTxPerS).toFixed(2),
    pool: +(patched.poolTxPerS / base.poolTxPerS).toFixed(2),
    poolSequential: +(patched.poolSequentialTxPerS / base.poolSequentialTxPerS).toFixed(2),
    decode: +(patched.decodeTxPerS / base.decodeTxPerS).toFixed(2),
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`)
process.exit(0)
