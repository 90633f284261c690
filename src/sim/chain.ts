/**
 * The simulator's chain: one block per slot, sealed by one proposer per slot (Clique-like: the in-turn signer, drawn
 * from the seed), holding the txs the proposer's pool has at that moment, up to the block's gas limit. Headers are
 * real Clique/London headers built by @ethereumjs/block (so their size and hash are the node's), with a synthetic tx
 * root (SHA-256 of the block's tx ids: the simulator's txs are not real txs) that the receivers check after a
 * rebuild, as a node checks the trie root. Bodies are sized as the node encodes them (eth/68: each typed tx as an RLP
 * string). The chain is linear: a proposer that has not yet got the previous block still builds on it (no forks),
 * and it leaves out txs that an earlier block holds (as if it had synced before sealing).
 */
import { createHash } from 'node:crypto'
import { RLP } from '@ethereumjs/rlp'
import { createBlockHeader, type BlockHeaderBytes } from '@ethereumjs/block'
import { createCommonFromGethGenesis, type Common } from '@ethereumjs/common'
import { shortId } from '../propagation/tee/short-id.ts'
import { SHORT_ID_BYTES } from '../propagation/tee/constants.ts'

/** Gas of one simulated tx: a plain transfer. */
export const SIM_TX_GAS = 21_000
/** Index of the tx root in a header's field list. */
const TX_ROOT_FIELD = 4

export interface SimBlock {
  number: number
  /** Header hash, hex without 0x (the tracker's key) and as bytes (the tee item id). */
  key: string
  id: Uint8Array
  proposer: number
  sealedAt: number
  /** Tx ids (hex, no 0x), in block order. */
  txs: string[]
  header: BlockHeaderBytes
  /** RLP bytes of the header. */
  headerBytes: number
  /** RLP bytes of the body's tx list ([tx, tx, ...], each typed tx an RLP string). */
  txListBytes: number
  /** The tee/1 item payload: RLP [header fields, short ids]. */
  compact: Uint8Array
}

const rlpHeaderBytes = (len: number): number => (len < 56 ? 1 : 1 + (len < 256 ? 1 : len < 65536 ? 2 : len < 16777216 ? 3 : 4))
/** RLP size of a string of `len` (> 1) bytes, or of a list whose items take `len` bytes. */
export const rlpWrapped = (len: number): number => rlpHeaderBytes(len) + len
/** RLP size of a canonical non-negative integer. */
export const rlpIntBytes = (n: number): number => (n < 0x80 ? 1 : 1 + Math.ceil(Math.log2(n + 1) / 8))

/** The synthetic tx root: SHA-256 over the tx ids (32 bytes each) in block order. */
export function simTxRoot(ids: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const id of ids) h.update(id)
  return new Uint8Array(h.digest())
}

/** The tx root a header carries. */
export const headerTxRoot = (header: BlockHeaderBytes): Uint8Array => header[TX_ROOT_FIELD]!

function simCommon(gasLimit: number): Common {
  const z32 = '00'.repeat(32)
  return createCommonFromGethGenesis(
    {
      config: { chainId: 777001, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0, constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0, clique: { period: 12, epoch: 30000 } },
      nonce: '0x0',
      timestamp: '0x0',
      extraData: `0x${z32}${'11'.repeat(20)}${'00'.repeat(65)}`,
      gasLimit: `0x${gasLimit.toString(16)}`,
      difficulty: '0x1',
      mixHash: `0x${z32}`,
      coinbase: `0x${'00'.repeat(20)}`,
      number: '0x0',
      gasUsed: '0x0',
      parentHash: `0x${z32}`,
      baseFeePerGas: '0x7',
      alloc: {},
    } as never,
    { chain: 'teecast-sim' },
  )
}

export class SimChain {
  readonly common: Common
  readonly blocks: SimBlock[] = []
  readonly byKey = new Map<string, SimBlock>()
  /** tx id (hex) -> the number of the block that holds it. */
  readonly blockOfTx = new Map<string, number>()
  private parentHash: Uint8Array = new Uint8Array(32)

  constructor(
    readonly gasLimit: number,
    /** Encoded size of every simulated tx, bytes. */
    readonly txBytes: number,
  ) {
    this.common = simCommon(gasLimit)
  }

  get maxTxsPerBlock(): number {
    return Math.floor(this.gasLimit / SIM_TX_GAS)
  }

  /** Seals the next block from the proposer's pool (tx ids in arrival order), skipping txs an earlier block holds. */
  seal(proposer: number, pool: Iterable<string>, now: number): SimBlock {
    const txs: string[] = []
    const max = this.maxTxsPerBlock
    for (const t of pool) {
      if (txs.length >= max) break
      if (!this.blockOfTx.has(t)) txs.push(t)
    }
    const number = this.blocks.length + 1
    const ids = txs.map((t) => Buffer.from(t, 'hex'))
    const header = createBlockHeader(
      {
        number: BigInt(number),
        parentHash: this.parentHash,
        timestamp: BigInt(Math.floor(now / 1000)),
        gasLimit: BigInt(this.gasLimit),
        gasUsed: BigInt(txs.length * SIM_TX_GAS),
        difficulty: 2n,
        extraData: new Uint8Array(97),
        transactionsTrie: simTxRoot(ids),
        stateRoot: createHash('sha256').update(`state/${number}`).digest(),
        receiptTrie: createHash('sha256').update(`receipts/${number}`).digest(),
        baseFeePerGas: 7n,
      },
      { common: this.common, setHardfork: true },
    )
    const raw = header.raw()
    const id = header.hash()
    const short = new Uint8Array(ids.length * SHORT_ID_BYTES)
    ids.forEach((x, i) => short.set(shortId(x), i * SHORT_ID_BYTES))
    const b: SimBlock = {
      number,
      key: Buffer.from(id).toString('hex'),
      id,
      proposer,
      sealedAt: now,
      txs,
      header: raw,
      headerBytes: RLP.encode(raw).length,
      txListBytes: rlpWrapped(txs.length * rlpWrapped(this.txBytes)),
      compact: RLP.encode([raw, short]),
    }
    this.parentHash = id
    this.blocks.push(b)
    this.byKey.set(b.key, b)
    for (const t of txs) this.blockOfTx.set(t, number)
    return b
  }

  /** RLP bytes of the full block [header, txs, uncles]. */
  blockBytes(b: SimBlock): number {
    return rlpWrapped(b.headerBytes + b.txListBytes + 1)
  }
}

/** What one node holds of the chain: the numbers of the blocks it imported. */
export class NodeChain {
  private readonly imported = new Set<number>()

  constructor(private readonly chain: SimChain) {}

  has(b: SimBlock): boolean {
    return this.imported.has(b.number)
  }

  /** Imports a block; false if it was imported already. */
  import(b: SimBlock): boolean {
    if (this.imported.has(b.number)) return false
    this.imported.add(b.number)
    return true
  }

  /** True if a block this node imported holds tx `key` (a pool refuses a mined tx, as a nonce too low). */
  holdsTx(key: string): boolean {
    const n = this.chain.blockOfTx.get(key)
    return n !== undefined && this.imported.has(n)
  }
}
