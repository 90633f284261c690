/**
 * A node with a long chain, at once: a 2-node testnet layout (n0 the signer, n1 a follower), a Clique chain of
 * `blocks` blocks built in this process with n0's key (block 1 deploys the event counter; later blocks hold
 * transfers and counter calls), imported into n1 started in this process with its HTTP and WebSocket JSON-RPC on
 * free ports. For RPC tests and the receipt benchmark; the caller must `close()` it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes } from '@ethereumjs/util'
import type { Block } from '@ethereumjs/block'
import { createTestnet, DEFAULT_TESTNET } from './create.ts'
import type { TestnetDescription } from './description.ts'
import { inprocChain, type InprocChain } from './inproc-chain.ts'
import { buildLoggingChain, TxSigner, type BuiltChain } from './inproc-blocks.ts'
import { startNode, type RunningNode } from '../src/node/start.ts'
import { DEFAULT_RPC_APIS } from '../src/rpc/apis.ts'
import { cryptoFunctions } from '../src/node/crypto.ts'

export interface RpcFixture {
  d: TestnetDescription
  node: RunningNode
  chain: InprocChain
  signer: TxSigner
  signerKey: Uint8Array
  built: BuiltChain
  /** Imports more blocks into the node and waits until they are executed. */
  importBlocks(blocks: Block[]): Promise<void>
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startRpcFixture(o: { blocks: number; txsPerBlock: number; accounts: number; seed?: string; onProgress?: (m: string) => void }): Promise<RpcFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-rpc-'))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 2, signers: 1, degree: 1, accounts: o.accounts, seed: o.seed ?? 'rpc-fixture', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
  const genesis = JSON.parse(readFileSync(d.genesisPath, 'utf8'))
  const signerKey = hexToBytes(d.nodes[0]!.signerKey! as `0x${string}`)
  const chain = await inprocChain(genesis, await cryptoFunctions('native'))
  const signer = new TxSigner(chain, d.accounts.map((a) => hexToBytes(a.privateKey as `0x${string}`)))
  const t0 = Date.now()
  const built = await buildLoggingChain(chain, signerKey, signer, { blocks: o.blocks, txsPerBlock: o.txsPerBlock, period: BigInt(d.period) }, (b) => {
    if (b % 100 === 0) o.onProgress?.(`built ${b}/${o.blocks} blocks (${Math.round((Date.now() - t0) / 1000)} s)`)
  })
  const n = d.nodes[1]!
  const node = await startNode({
    name: n.name, genesisPath: d.genesisPath, dataDir: n.dataDir, nodeKey: hexToBytes(n.nodeKey as `0x${string}`), host: '127.0.0.1',
    p2pPort: 0, rpcPort: 0, wsPort: 0, metricsPort: 0, staticPeers: [], maxPeers: 1, propagation: 'stock', logLevel: 'off',
    // debug_ too: the receipt tests trace a tx (served only when asked for, as on any node).
    rpc: { apis: [...DEFAULT_RPC_APIS, 'debug'] },
  })
  const importBlocks = async (blocks: Block[]): Promise<void> => {
    for (let i = 0; i < blocks.length; i += 50) await node.client.chain.putBlocks(blocks.slice(i, i + 50))
    const last = blocks.at(-1)!
    for (;;) {
      await node.service.execution.run()
      const head = await node.client.chain.blockchain.getIteratorHead('vm')
      if (head.header.number >= last.header.number) break
      await sleep(50)
    }
    // The tx index is written after the receipts, without waiting: wait for the last block's txs.
    const lastTx = last.transactions.at(-1)
    if (lastTx !== undefined) {
      while ((await node.service.execution.receiptsManager!.getReceiptByTxHash(lastTx.hash())) === null) await sleep(20)
    }
  }
  const t1 = Date.now()
  await importBlocks(built.blocks)
  o.onProgress?.(`imported and executed ${o.blocks} blocks in ${Math.round((Date.now() - t1) / 1000)} s`)
  return {
    d, node, chain, signer, signerKey, built, importBlocks,
    close: async () => {
      await node.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
