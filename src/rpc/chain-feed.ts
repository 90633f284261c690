/**
 * Tells filters and subscriptions what changed on the node: each newly executed canonical block with its logs,
 * the logs of blocks that a reorg took off the canonical chain (as `removed: true`, newest first, as geth sends
 * them), and each tx that entered the pool. The client has no such events, so the feed looks, every `everyMs`
 * while anyone listens: the executed head (the VM iterator head, whose receipts are saved before it moves) and the
 * pool's contents. A tx that entered the pool and was sealed between two looks is never in the pool at a look: it is
 * reported from the block that holds it, if the pool took it after the feed started (the pool's `handled` record).
 *
 * State: `recent` holds the last RECENT_BLOCKS blocks it announced (number -> hash and logs), to find the common
 * ancestor after a reorg and to say which logs were removed. `pendingSeen` is the set of pool hashes at the last
 * look. Invariant: `recent` holds one canonical branch, consecutive numbers ending at `head`.
 */
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import { blockLogs, type JsonLog, type RawLog } from './json.ts'

/** Reorgs deeper than this are reported from the fork point within this window only (Clique reorgs are 1-2 deep). */
export const RECENT_BLOCKS = 128
/** At most this many new blocks are announced per look (a node catching up announces the newest ones). */
export const MAX_BLOCKS_PER_LOOK = 256

export type FeedEvent = { kind: 'block'; block: Block; logs: JsonLog[] } | { kind: 'removed'; logs: JsonLog[] } | { kind: 'pendingTx'; hash: string }

export type FeedListener = (e: FeedEvent) => void

export class ChainFeed {
  private readonly listeners = new Set<FeedListener>()
  private readonly recent = new Map<bigint, { hash: string; logs: JsonLog[] }>()
  private head: bigint | undefined
  private pendingSeen = new Set<string>()
  /** When the first look of this listening began (ms, the pool's clock): pool entries before it are not news. */
  private since = 0
  private timer: NodeJS.Timeout | undefined
  private looking: Promise<void> | undefined

  constructor(
    private readonly service: FullEthereumService,
    private readonly onError: (err: Error) => void,
    private readonly everyMs = 200,
  ) {}

  /** Starts looking with the first listener; the returned function removes it (and stops with the last). */
  listen(l: FeedListener): () => void {
    this.listeners.add(l)
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.look(), this.everyMs)
      this.timer.unref()
      void this.look()
    }
    return () => {
      this.listeners.delete(l)
      if (this.listeners.size === 0) this.stop()
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    // A later listener starts from the head of its time, not from where this one stopped.
    this.head = undefined
    this.recent.clear()
    this.pendingSeen.clear()
  }

  /** One look at the head and the pool; concurrent calls share one look. */
  look(): Promise<void> {
    this.looking ??= this.lookOnce()
      .catch((err: Error) => this.onError(err))
      .finally(() => {
        this.looking = undefined
      })
    return this.looking
  }

  private emit(e: FeedEvent): void {
    for (const l of this.listeners) {
      try {
        l(e)
      } catch (err) {
        this.onError(err as Error)
      }
    }
  }

  private async lookOnce(): Promise<void> {
    // The first look only notes what is there: listeners hear of what comes after they started.
    const first = this.head === undefined
    if (first) this.since = Date.now()
    await this.lookAtHead()
    this.lookAtPool(first)
  }

  private async receiptsOf(block: Block): Promise<{ logs: RawLog[] }[] | undefined> {
    const rm = this.service.execution.receiptsManager
    if (rm === undefined || block.transactions.length === 0) return []
    const r = (await rm.getReceipts(block.hash())) as unknown as { logs: RawLog[] }[]
    return r.length === block.transactions.length ? r : undefined
  }

  private async lookAtHead(): Promise<void> {
    const chain = this.service.chain
    const top = await chain.blockchain.getIteratorHead('vm')
    const topHash = bytesToHex(top.hash())
    if (this.head === undefined) {
      this.head = top.header.number
      this.recent.set(top.header.number, { hash: topHash, logs: [] })
      return
    }
    if (this.recent.get(top.header.number)?.hash === topHash) return
    // Walk back from the new head to a block we announced (the common ancestor), collecting the new branch.
    const branch: Block[] = []
    let b: Block = top
    while (this.recent.get(b.header.number)?.hash !== bytesToHex(b.hash())) {
      branch.push(b)
      if (b.header.number === 0n || branch.length > MAX_BLOCKS_PER_LOOK + RECENT_BLOCKS) break
      b = await chain.getBlock(b.header.parentHash)
    }
    const ancestor = this.recent.get(b.header.number)?.hash === bytesToHex(b.hash()) ? b.header.number : b.header.number - 1n
    // Blocks past the ancestor are no longer canonical: their logs are removed, newest first.
    for (let n = this.head; n > ancestor; n--) {
      const gone = this.recent.get(n)
      this.recent.delete(n)
      if (gone !== undefined && gone.logs.length > 0) this.emit({ kind: 'removed', logs: gone.logs.map((l) => ({ ...l, removed: true })).reverse() })
    }
    branch.reverse()
    for (const blk of branch.slice(-MAX_BLOCKS_PER_LOOK)) {
      const receipts = await this.receiptsOf(blk)
      // Receipts not saved yet: announce this block and the rest at the next look.
      if (receipts === undefined) break
      const logs = blockLogs(blk, receipts)
      this.recent.set(blk.header.number, { hash: bytesToHex(blk.hash()), logs })
      this.head = blk.header.number
      this.reportSealedBeforeSeen(blk)
      this.emit({ kind: 'block', block: blk, logs })
    }
    for (const n of this.recent.keys()) if (this.head - n >= BigInt(RECENT_BLOCKS)) this.recent.delete(n)
  }

  /** The block's txs that the pool took since the feed started but no look saw pending: they are reported now. */
  private reportSealedBeforeSeen(blk: Block): void {
    const handled = (this.service.txPool as unknown as { handled: Map<string, { added: number; error?: Error }> }).handled
    for (const tx of blk.transactions) {
      const hash = bytesToHex(tx.hash())
      if (this.pendingSeen.has(hash)) continue
      const h = handled.get(hash.slice(2))
      if (h === undefined || h.error !== undefined || h.added < this.since) continue
      this.pendingSeen.add(hash)
      this.emit({ kind: 'pendingTx', hash })
    }
  }

  private lookAtPool(quiet: boolean): void {
    const now = new Set<string>()
    for (const objs of this.service.txPool.pool.values()) {
      for (const o of objs) {
        const hash = `0x${o.hash}`
        now.add(hash)
        if (!quiet && !this.pendingSeen.has(hash)) this.emit({ kind: 'pendingTx', hash })
      }
    }
    this.pendingSeen = now
  }
}
