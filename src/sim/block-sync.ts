/**
 * Fetching one block over eth/68 in the simulator, as the client's announced-block fetch does (patch client 012): one
 * GetBlockHeaders and one GetBlockBodies to the announcing peer, then the block is handled as a NewBlock from it. A
 * peer answers from the blocks it imported (an empty answer otherwise). One fetch per block at a time; a fetch that
 * gets no answer ends at the request timeout, with no retry (a later announcement starts a new one). tee nodes use it
 * for a compact block they abandoned (the node leaves those to eth/68 sync).
 */
import type { SimBlock } from './chain.ts'
import { rlpIntBytes, rlpWrapped } from './chain.ts'
import { rlpxFrameBytes, type SimNetwork } from './network.ts'

export type BlockSyncMsg =
  | { t: 'GetBlockHeaders'; reqId: number; key: string }
  | { t: 'BlockHeaders'; reqId: number; block: SimBlock | undefined }
  | { t: 'GetBlockBodies'; reqId: number; key: string }
  | { t: 'BlockBodies'; reqId: number; block: SimBlock | undefined }

const SYNC_TYPES = new Set(['GetBlockHeaders', 'BlockHeaders', 'GetBlockBodies', 'BlockBodies'])
export const isBlockSyncMsg = (m: unknown): m is BlockSyncMsg => SYNC_TYPES.has((m as { t?: string }).t ?? '')

/** A request id as the client sends it: a 64-bit random (8 bytes, 9 with its RLP header). */
const REQ_ID_BYTES = 9
/** The client's request timeout for one eth/68 request, ms. */
export const BLOCK_FETCH_TIMEOUT_MS = 6_000

/** eth/68 wire bytes of a block message, framed. */
export function blockSyncWireBytes(m: BlockSyncMsg): number {
  switch (m.t) {
    case 'GetBlockHeaders':
      // [reqId, [hash, amount 1, skip 0, reverse 0]]
      return rlpxFrameBytes(rlpWrapped(REQ_ID_BYTES + rlpWrapped(33 + 3)))
    case 'GetBlockBodies':
      return rlpxFrameBytes(rlpWrapped(REQ_ID_BYTES + rlpWrapped(33)))
    case 'BlockHeaders':
      return rlpxFrameBytes(rlpWrapped(REQ_ID_BYTES + rlpWrapped(m.block?.headerBytes ?? 0)))
    case 'BlockBodies':
      // [reqId, [[txs, uncles]]]
      return rlpxFrameBytes(rlpWrapped(REQ_ID_BYTES + rlpWrapped(m.block === undefined ? 0 : rlpWrapped(m.block.txListBytes + 1))))
  }
}

/** eth/68 NewBlock [block, td] (Clique: td grows by 2 per in-turn block) and NewBlockHashes [[hash, number]], framed. */
export const newBlockWireBytes = (blockBytes: number, number: number): number => rlpxFrameBytes(rlpWrapped(blockBytes + rlpIntBytes(2 * number + 1)))
export const newBlockHashesWireBytes = (number: number): number => rlpxFrameBytes(rlpWrapped(rlpWrapped(33 + rlpIntBytes(number))))

interface Inflight {
  reqId: number
  peer: number
  block: SimBlock
}

export class BlockSync {
  private readonly inflight = new Map<number, Inflight>()
  private lastReqId = 0
  /** Blocks fetched whole over eth/68 (tee: abandoned compact blocks). */
  fetched = 0

  constructor(
    private readonly index: number,
    private readonly net: SimNetwork,
    private readonly holds: (b: SimBlock) => boolean,
    private readonly onFetched: (from: number, b: SimBlock) => void,
  ) {}

  /** Asks `from` for block `b`, unless this node holds it or fetches it already. */
  fetch(from: number, b: SimBlock): void {
    if (this.holds(b) || this.inflight.has(b.number)) return
    const f: Inflight = { reqId: ++this.lastReqId, peer: from, block: b }
    this.inflight.set(b.number, f)
    this.send(from, { t: 'GetBlockHeaders', reqId: f.reqId, key: b.key })
    this.net.q.after(BLOCK_FETCH_TIMEOUT_MS, () => {
      if (this.inflight.get(b.number) === f) this.inflight.delete(b.number)
    })
  }

  isFetching(b: SimBlock): boolean {
    return this.inflight.has(b.number)
  }

  handle(from: number, m: BlockSyncMsg, lookup: (key: string) => SimBlock | undefined): void {
    switch (m.t) {
      case 'GetBlockHeaders':
      case 'GetBlockBodies': {
        const b = lookup(m.key)
        const have = b !== undefined && this.holds(b) ? b : undefined
        this.send(from, m.t === 'GetBlockHeaders' ? { t: 'BlockHeaders', reqId: m.reqId, block: have } : { t: 'BlockBodies', reqId: m.reqId, block: have })
        return
      }
      case 'BlockHeaders':
      case 'BlockBodies': {
        const f = [...this.inflight.values()].find((x) => x.reqId === m.reqId && x.peer === from)
        if (f === undefined) return
        if (m.block === undefined || this.holds(f.block)) return void this.inflight.delete(f.block.number)
        if (m.t === 'BlockHeaders') return void this.send(from, { t: 'GetBlockBodies', reqId: f.reqId, key: f.block.key })
        this.inflight.delete(f.block.number)
        this.fetched++
        this.onFetched(from, f.block)
      }
    }
  }

  private send(to: number, m: BlockSyncMsg): void {
    this.net.send(this.index, to, `eth/${m.t}`, blockSyncWireBytes(m), m)
  }
}
