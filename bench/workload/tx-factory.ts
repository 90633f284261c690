/**
 * The workload's txs: signed EIP-1559 txs from the testnet's prefunded accounts, round-robin, each with its sender's
 * next nonce. The tx mix draws each tx's kind from weights with a seeded generator: plain transfers, calls to a
 * storage counter deployed before the run (`counter-contract.ts`), and transfers carrying calldata.
 */
import { createFeeMarket1559Tx, type FeeMarket1559Tx, type FeeMarketEIP1559TxData } from '@ethereumjs/tx'
import { createCommonFromGethGenesis, type Common } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { readFileSync } from 'node:fs'
import { rpcCall } from '../../src/rpc/client.ts'
import { SeededRandom } from '../../src/shared/rng.ts'
import type { TestnetDescription } from '../../testnets/description.ts'

export type TxKind = 'transfer' | 'contractCall' | 'largeCalldata'
export const TX_KINDS: readonly TxKind[] = ['transfer', 'contractCall', 'largeCalldata']
export type TxMix = Record<TxKind, number>

// 1 gwei tip: above the pool's 0.1 gwei minimum for txs relayed from peers.
export const TIP = 1_000_000_000n
export const MAX_FEE = 20_000_000_000n
export const TRANSFER_GAS = 21_000n
export const SINK = '0x000000000000000000000000000000000000dEaD'
/** Headroom over eth_estimateGas (a counter's first increment costs more than later ones; estimates can be tight). */
const GAS_HEADROOM = 1.25

export interface Account {
  address: string
  key: Uint8Array
}

export const accountsOf = (d: TestnetDescription): Account[] => d.accounts.map((a) => ({ address: a.address, key: hexToBytes(a.privateKey as `0x${string}`) }))

export const commonOf = (d: TestnetDescription): Common => createCommonFromGethGenesis(JSON.parse(readFileSync(d.genesisPath, 'utf8')), { chain: 'teecast' })

/** Draws tx kinds in proportion to the weights, the same sequence for the same seed. */
export function kindChooser(mix: Partial<TxMix>, seed: string): () => TxKind {
  const w = TX_KINDS.map((k) => Math.max(0, mix[k] ?? 0))
  const total = w.reduce((a, b) => a + b, 0)
  if (!(total > 0)) throw new Error('tx mix: the weights must not all be 0')
  const only = w.filter((x) => x > 0).length === 1 ? TX_KINDS[w.findIndex((x) => x > 0)]! : undefined
  const rng = new SeededRandom(`mix/${seed}`)
  return () => {
    if (only !== undefined) return only
    let x = rng.next() * total
    for (const [i, k] of TX_KINDS.entries()) {
      x -= w[i]!
      if (x < 0) return k
    }
    return TX_KINDS[w.length - 1 - [...w].reverse().findIndex((v) => v > 0)]!
  }
}

/** `n` pseudo-random bytes from the seed, none zero (so the calldata cost is the same whatever the seed). */
export function seededCalldata(n: number, seed: string): Uint8Array {
  const rng = new SeededRandom(`calldata/${seed}`)
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = 1 + rng.int(255)
  return out
}

export interface SignedTx {
  tx: FeeMarket1559Tx
  kind: TxKind
}

/** Signs the workload's txs one at a time, accounts round-robin, each with its next nonce. */
export class TxFactory {
  private i = 0
  constructor(
    private readonly d: TestnetDescription,
    private readonly common: Common,
    private readonly accounts: Account[],
    private readonly nonces: bigint[],
    private readonly chooseKind: () => TxKind,
    private readonly gas: Record<TxKind, bigint>,
    private readonly calldata: Uint8Array,
    private readonly contract: string | undefined,
  ) {}

  next(): SignedTx {
    const i = this.i++
    const k = i % this.accounts.length
    const nonce = this.nonces[k]!
    this.nonces[k] = nonce + 1n
    const kind = this.chooseKind()
    const base = { chainId: BigInt(this.d.chainId), nonce, maxPriorityFeePerGas: TIP, maxFeePerGas: MAX_FEE, gasLimit: this.gas[kind] }
    const fields: FeeMarketEIP1559TxData =
      kind === 'contractCall'
        ? { ...base, to: this.contract as `0x${string}`, value: 0n }
        : kind === 'largeCalldata'
          ? { ...base, to: SINK, value: BigInt(i + 1), data: this.calldata }
          : { ...base, to: SINK, value: BigInt(i + 1) }
    return { tx: createFeeMarket1559Tx(fields, { common: this.common }).sign(this.accounts[k]!.key), kind }
  }
}

export async function pendingNonces(url: string, accounts: Account[]): Promise<bigint[]> {
  return Promise.all(accounts.map(async (a) => BigInt(await rpcCall<string>(url, 'eth_getTransactionCount', [a.address, 'pending']))))
}

/** eth_estimateGas with headroom; `fallback` when the node cannot estimate. */
export async function estimateGas(url: string, from: string, to: string, data: Uint8Array | undefined, fallback: bigint): Promise<bigint> {
  try {
    const g = Number(await rpcCall<string>(url, 'eth_estimateGas', [{ from, to, ...(data !== undefined ? { data: bytesToHex(data) } : {}) }]))
    return BigInt(Math.ceil(g * GAS_HEADROOM))
  } catch {
    return fallback
  }
}

/** `count` signed transfers from the testnet's accounts at their pending nonces (for tools that send a few by hand). */
export async function buildTransfers(d: TestnetDescription, count: number, rpcUrl: string): Promise<FeeMarket1559Tx[]> {
  const accounts = accountsOf(d)
  const f = new TxFactory(d, commonOf(d), accounts, await pendingNonces(rpcUrl, accounts), () => 'transfer', { transfer: TRANSFER_GAS, contractCall: 0n, largeCalldata: 0n }, new Uint8Array(), undefined)
  return Array.from({ length: count }, () => f.next().tx)
}
