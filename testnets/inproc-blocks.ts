/**
 * Builds a Clique chain of many blocks in this process, on top of an `InprocChain`: each block sealed by the one
 * signer with the client's own block builder, timestamps one period apart from genesis (in the past, so a node
 * imports them at once). For RPC tests and benchmarks that need a long chain without waiting for a miner.
 */
import type { Block } from '@ethereumjs/block'
import { createFeeMarket1559Tx, type TypedTransaction } from '@ethereumjs/tx'
import { buildBlock } from '@ethereumjs/vm'
import { bytesToHex, createAddressFromPrivateKey, createAddressFromString, createContractAddress, hexToBytes } from '@ethereumjs/util'
import type { InprocChain } from './inproc-chain.ts'
import { EVENT_COUNTER_INITCODE, INCREMENT_SELECTOR } from './event-counter.ts'

export const TIP = 1_000_000_000n
export const MAX_FEE = 100_000_000_000n

export class TxSigner {
  private readonly nonces: bigint[]
  constructor(
    private readonly chain: InprocChain,
    readonly keys: Uint8Array[],
  ) {
    this.nonces = keys.map(() => 0n)
  }

  address(i: number): string {
    return createAddressFromPrivateKey(this.keys[i]!).toString()
  }

  /** A signed EIP-1559 tx from account `i` with its next nonce. */
  tx(i: number, fields: { to?: string; value?: bigint; data?: string; gasLimit: bigint }): TypedTransaction {
    const nonce = this.nonces[i]!
    this.nonces[i] = nonce + 1n
    return createFeeMarket1559Tx(
      {
        chainId: this.chain.common.chainId(),
        nonce,
        maxPriorityFeePerGas: TIP,
        maxFeePerGas: MAX_FEE,
        gasLimit: fields.gasLimit,
        ...(fields.to !== undefined ? { to: fields.to as `0x${string}` } : {}),
        value: fields.value ?? 0n,
        ...(fields.data !== undefined ? { data: hexToBytes(fields.data as `0x${string}`) } : {}),
      },
      { common: this.chain.common },
    ).sign(this.keys[i]!)
  }
}

/** Seals one block on `parent` with `txs` (all must be valid: one bad tx fails the block). */
export async function sealOn(chain: InprocChain, signerKey: Uint8Array, parent: Block, txs: TypedTransaction[], period: bigint, gasUsed: bigint[] = []): Promise<Block> {
  const builder = await buildBlock(chain.vm, {
    parentBlock: parent,
    headerData: {
      number: parent.header.number + 1n,
      difficulty: 2n,
      gasLimit: parent.header.gasLimit,
      timestamp: parent.header.timestamp + period,
      baseFeePerGas: parent.header.calcNextBaseFee(),
    },
    blockOpts: { cliqueSigner: signerKey, setHardfork: true, putBlockIntoBlockchain: false },
  })
  for (const tx of txs) gasUsed.push((await builder.addTransaction(tx)).totalGasSpent)
  return (await builder.build()).block
}

export interface BuiltChain {
  blocks: Block[]
  /** The event counter deployed in block 1 by account 0. */
  counter: string
  /** Every tx in the chain, by block. */
  txHashes: string[][]
  /** Gas each tx used when the block was built (the VM's own figure), by block. */
  gasUsed: bigint[][]
}

/**
 * Block 1 deploys the event counter; every later block holds `txsPerBlock` txs that alternate between a transfer
 * and an `increment()` (which logs), from accounts round-robin.
 */
export async function buildLoggingChain(chain: InprocChain, signerKey: Uint8Array, signer: TxSigner, o: { blocks: number; txsPerBlock: number; period: bigint }, onProgress?: (built: number) => void): Promise<BuiltChain> {
  const deploy = signer.tx(0, { data: EVENT_COUNTER_INITCODE, gasLimit: 200_000n })
  const counter = createContractAddressOf(signer.address(0), 0n)
  let parent = chain.genesis
  const blocks: Block[] = []
  const txHashes: string[][] = []
  const gasUsed: bigint[][] = []
  let next = 1
  for (let b = 1; b <= o.blocks; b++) {
    const txs: TypedTransaction[] = b === 1 ? [deploy] : []
    while (b > 1 && txs.length < o.txsPerBlock) {
      const i = next++ % signer.keys.length
      txs.push(txs.length % 2 === 0 ? signer.tx(i, { to: signer.address((i + 1) % signer.keys.length), value: 1n, gasLimit: 21_000n }) : signer.tx(i, { to: counter, data: INCREMENT_SELECTOR, gasLimit: 60_000n }))
    }
    const gas: bigint[] = []
    parent = await sealOn(chain, signerKey, parent, txs, o.period, gas)
    gasUsed.push(gas)
    blocks.push(parent)
    txHashes.push(txs.map((t) => bytesToHex(t.hash())))
    onProgress?.(b)
  }
  return { blocks, counter, txHashes, gasUsed }
}
const createContractAddressOf = (from: string, nonce: bigint): string => createContractAddress(createAddressFromString(from), nonce).toString()
