/**
 * A small transfer workload for a local testnet: signed EIP-1559 transfers from the prefunded accounts, sent
 * round-robin over the nodes' eth_sendRawTransaction at a fixed rate, then followed until every tx is in a block on
 * every node. Reused by `teecast testnet send`, the e2e tests and the bench.
 */
import { createFeeMarket1559Tx, type FeeMarket1559Tx } from '@ethereumjs/tx'
import { createCommonFromGethGenesis } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { readFileSync } from 'node:fs'
import { keccak256 } from 'ethereum-cryptography/keccak.js'
import { rpcCall } from '../src/rpc/client.ts'
import type { TestnetDescription, TestnetNode } from './description.ts'

export interface WorkloadOptions {
  count: number
  /** Offered txs per second. */
  rate: number
  /** Give up waiting for inclusion after this long once the last tx was sent. */
  inclusionTimeoutMs?: number
  onProgress?: (msg: string) => void
  /** Nodes to send to (default: all). */
  targets?: TestnetNode[]
}

export interface SentTx {
  hash: string
  node: string
  sentAt: number
  acceptedAt: number
  /** Block number it was included in, when it was. */
  block?: number
  includedSeenAt?: number
}

export interface WorkloadResult {
  sent: SentTx[]
  rejected: { node: string; error: string }[]
  committed: number
  startedAt: number
  lastSentAt: number
  /** When the last tx was seen in a block. */
  finishedAt: number
  /** Committed txs per second, from the first send to the last inclusion seen. */
  txPerSecond: number
}

// 1 gwei tip: above the pool's 0.1 gwei minimum for txs relayed from peers.
const TIP = 1_000_000_000n
const MAX_FEE = 20_000_000_000n
const TRANSFER_GAS = 21_000n
const SINK = '0x000000000000000000000000000000000000dEaD'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Attempts per tx: a rejected tx leaves a nonce gap that stalls every later tx of its sender. */
export const SEND_ATTEMPTS = 4
const RETRY_DELAY_MS = 500

/**
 * A node briefly refuses txs while it is catching up ("not aware of the current chain height"); retry those.
 * "already in the TxPool" after a retry means an earlier attempt got through.
 */
async function sendWithRetry(url: string, raw: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rpcCall<string>(url, 'eth_sendRawTransaction', [raw])
    } catch (err) {
      const msg = (err as Error).message
      if (/already in the TxPool|already known/i.test(msg)) return bytesToHex(keccakOfRaw(raw))
      if (attempt >= SEND_ATTEMPTS || /nonce too low|insufficient|invalid|could not be parsed/i.test(msg)) throw err
      await sleep(RETRY_DELAY_MS * attempt)
    }
  }
}

const keccakOfRaw = (raw: string): Uint8Array => keccak256(hexToBytes(raw as `0x${string}`))

export async function buildTransfers(d: TestnetDescription, count: number, rpcUrl: string): Promise<FeeMarket1559Tx[]> {
  const common = createCommonFromGethGenesis(JSON.parse(readFileSync(d.genesisPath, 'utf8')), { chain: 'teecast' })
  const accounts = d.accounts.map((a) => ({ ...a, key: hexToBytes(a.privateKey as `0x${string}`) }))
  const nonces = await Promise.all(accounts.map(async (a) => BigInt(await rpcCall<string>(rpcUrl, 'eth_getTransactionCount', [a.address, 'pending']))))
  const txs: FeeMarket1559Tx[] = []
  for (let i = 0; i < count; i++) {
    const k = i % accounts.length
    const a = accounts[k]!
    const nonce = nonces[k]!
    nonces[k] = nonce + 1n
    txs.push(
      createFeeMarket1559Tx(
        { chainId: BigInt(d.chainId), nonce, maxPriorityFeePerGas: TIP, maxFeePerGas: MAX_FEE, gasLimit: TRANSFER_GAS, to: SINK, value: BigInt(i + 1) },
        { common },
      ).sign(a.key),
    )
  }
  return txs
}

export async function runTransferWorkload(d: TestnetDescription, o: WorkloadOptions): Promise<WorkloadResult> {
  const targets = o.targets ?? d.nodes
  if (targets.length === 0) throw new Error('no nodes to send to')
  if (!(o.rate > 0)) throw new Error(`rate must be > 0 tx/s, got ${o.rate}`)
  const txs = await buildTransfers(d, o.count, targets[0]!.rpcUrl)
  const fromBlock = Number(await rpcCall<string>(targets[0]!.rpcUrl, 'eth_blockNumber')) + 1
  const sent: SentTx[] = []
  const rejected: WorkloadResult['rejected'] = []
  const startedAt = Date.now()
  const inflight: Promise<void>[] = []
  for (let i = 0; i < txs.length; i++) {
    const due = startedAt + (i * 1000) / o.rate
    const wait = due - Date.now()
    if (wait > 0) await sleep(wait)
    const node = targets[i % targets.length]!
    const raw = bytesToHex(txs[i]!.serialize())
    const sentAt = Date.now()
    inflight.push(
      sendWithRetry(node.rpcUrl, raw)
        .then((hash) => void sent.push({ hash: hash.toLowerCase(), node: node.name, sentAt, acceptedAt: Date.now() }))
        .catch((err: Error) => void rejected.push({ node: node.name, error: err.message })),
    )
    if (i > 0 && i % 100 === 0) o.onProgress?.(`sent ${i}/${txs.length}`)
  }
  await Promise.all(inflight)
  const lastSentAt = Date.now()
  o.onProgress?.(`sent ${sent.length} (${rejected.length} rejected); waiting for inclusion`)
  const finishedAt = await followInclusion(targets[0]!, sent, fromBlock, o.inclusionTimeoutMs ?? 60_000, o.onProgress)
  const committed = sent.filter((s) => s.block !== undefined).length
  const spanS = Math.max(1e-3, (finishedAt - startedAt) / 1000)
  return { sent, rejected, committed, startedAt, lastSentAt, finishedAt, txPerSecond: committed / spanS }
}

/** Reads new blocks on one node and marks the txs they include; returns when all are in or at the timeout. */
async function followInclusion(node: TestnetNode, sent: SentTx[], fromBlock: number, timeoutMs: number, onProgress?: (m: string) => void): Promise<number> {
  const byHash = new Map(sent.map((s) => [s.hash, s]))
  let pending = sent.length
  let next = fromBlock
  const deadline = Date.now() + timeoutMs
  let lastInclusion = Date.now()
  let lastMsg = ''
  while (pending > 0 && Date.now() < deadline) {
    let head: number
    try {
      head = Number(await rpcCall<string>(node.rpcUrl, 'eth_blockNumber'))
    } catch (err) {
      // A loaded node can miss an RPC deadline; the next poll picks up where this one stopped.
      onProgress?.(`polling ${node.name}: ${(err as Error).message}`)
      await sleep(500)
      continue
    }
    for (; next <= head; next++) {
      const b = await rpcCall<{ transactions: string[] } | null>(node.rpcUrl, 'eth_getBlockByNumber', [`0x${next.toString(16)}`, false]).catch(() => undefined)
      if (b === undefined) break
      for (const h of b?.transactions ?? []) {
        const s = byHash.get(h.toLowerCase())
        if (s !== undefined && s.block === undefined) {
          s.block = next
          s.includedSeenAt = Date.now()
          lastInclusion = s.includedSeenAt
          pending--
        }
      }
    }
    if (pending > 0) {
      const msg = `${sent.length - pending}/${sent.length} included by block ${head}`
      if (msg !== lastMsg) onProgress?.(msg)
      lastMsg = msg
      await sleep(300)
    }
  }
  return lastInclusion
}
