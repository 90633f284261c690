/** JSON-RPC shapes of headers and logs, as eth_getBlockByNumber and eth_getLogs give them (execution-apis). */
import type { Block } from '@ethereumjs/block'
import { bigIntToHex, bytesToHex, intToHex } from '@ethereumjs/util'

export interface JsonLog {
  removed: boolean
  logIndex: string
  transactionIndex: string
  transactionHash: string
  blockHash: string
  blockNumber: string
  address: string
  topics: string[]
  data: string
}

/** A receipt's log as the client stores it: [address, topics, data]. */
export type RawLog = [Uint8Array, Uint8Array[], Uint8Array]

export function blockLogs(block: Block, receipts: { logs: RawLog[] }[], removed = false): JsonLog[] {
  const out: JsonLog[] = []
  const blockHash = bytesToHex(block.hash())
  const blockNumber = bigIntToHex(block.header.number)
  let logIndex = 0
  receipts.forEach((r, txIndex) => {
    const tx = block.transactions[txIndex]
    for (const [address, topics, data] of r.logs) {
      out.push({
        removed,
        logIndex: intToHex(logIndex++),
        transactionIndex: intToHex(txIndex),
        transactionHash: tx !== undefined ? bytesToHex(tx.hash()) : '0x',
        blockHash,
        blockNumber,
        address: bytesToHex(address),
        topics: topics.map(bytesToHex),
        data: bytesToHex(data),
      })
    }
  })
  return out
}

/** The header fields of a JSON-RPC block, as geth sends them in a `newHeads` notification. */
export function jsonHeader(block: Block): Record<string, string | undefined> {
  const h = block.header.toJSON()
  return {
    number: h.number,
    hash: bytesToHex(block.hash()),
    parentHash: h.parentHash,
    mixHash: h.mixHash,
    nonce: h.nonce,
    sha3Uncles: h.uncleHash,
    logsBloom: h.logsBloom,
    transactionsRoot: h.transactionsTrie,
    stateRoot: h.stateRoot,
    receiptsRoot: h.receiptTrie,
    miner: h.coinbase,
    difficulty: h.difficulty,
    extraData: h.extraData,
    gasLimit: h.gasLimit,
    gasUsed: h.gasUsed,
    timestamp: h.timestamp,
    baseFeePerGas: h.baseFeePerGas,
    withdrawalsRoot: h.withdrawalsRoot,
    blobGasUsed: h.blobGasUsed,
    excessBlobGas: h.excessBlobGas,
    parentBeaconBlockRoot: h.parentBeaconBlockRoot,
    requestsHash: h.requestsHash,
  }
}
