/**
 * The inclusion poller: follows the chain on one node over JSON-RPC and marks tracked txs as they appear in blocks.
 * Every block tx seen is remembered, so a tx tracked after its block was read is still matched.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { rpcCall } from '../../src/rpc/client.ts'
import type { TestnetNode } from '../../testnets/description.ts'
import type { TxKind } from './tx-factory.ts'

/** A tx that RPC accepted, and when it was seen in a block. */
export interface SentTx {
  hash: string
  node: string
  sentAt: number
  acceptedAt: number
  /** Block number it was included in, when it was. */
  block?: number
  includedSeenAt?: number
  kind?: TxKind
  /** Open-loop step index; -1 for warm-up. */
  step?: number
  warmup?: boolean
}

export class InclusionFollower {
  private readonly inBlock = new Map<string, { block: number; at: number }>()
  private readonly tracked = new Map<string, SentTx>()
  private next: number
  private stopped = false
  private loop: Promise<void> | undefined
  pending = 0
  committed = 0
  lastInclusion = Date.now()

  constructor(
    private readonly node: TestnetNode,
    fromBlock: number,
    private readonly onIncluded: (s: SentTx) => void,
    private readonly onProgress?: (m: string) => void,
  ) {
    this.next = fromBlock
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll()
        await sleep(300)
      }
    })()
  }

  track(s: SentTx): void {
    const seen = this.inBlock.get(s.hash)
    this.tracked.set(s.hash, s)
    this.pending++
    if (seen !== undefined) this.mark(s, seen.block, seen.at)
  }

  private mark(s: SentTx, block: number, at: number): void {
    if (s.block !== undefined) return
    s.block = block
    s.includedSeenAt = at
    this.lastInclusion = at
    this.pending--
    this.committed++
    this.onIncluded(s)
  }

  private async poll(): Promise<void> {
    let head: number
    try {
      head = Number(await rpcCall<string>(this.node.rpcUrl, 'eth_blockNumber'))
    } catch (err) {
      // A loaded node can miss an RPC deadline; the next poll picks up where this one stopped.
      this.onProgress?.(`polling ${this.node.name}: ${(err as Error).message}`)
      return
    }
    for (; this.next <= head && !this.stopped; this.next++) {
      const b = await rpcCall<{ transactions: string[] } | null>(this.node.rpcUrl, 'eth_getBlockByNumber', [`0x${this.next.toString(16)}`, false]).catch(() => undefined)
      if (b === undefined) break
      const at = Date.now()
      for (const raw of b?.transactions ?? []) {
        const h = raw.toLowerCase()
        this.inBlock.set(h, { block: this.next, at })
        const s = this.tracked.get(h)
        if (s !== undefined) this.mark(s, this.next, at)
      }
    }
  }

  /** Resolves when nothing tracked is pending, or after `timeoutMs`. */
  async waitAll(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let lastMsg = ''
    while (this.pending > 0 && Date.now() < deadline) {
      const msg = `${this.tracked.size - this.pending}/${this.tracked.size} included by block ${this.next - 1}`
      if (msg !== lastMsg) this.onProgress?.(msg)
      lastMsg = msg
      await sleep(300)
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
  }
}
