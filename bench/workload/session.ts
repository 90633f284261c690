/**
 * What the open and the closed loop share: sending one signed tx to the next target node (round-robin), the record
 * of what RPC accepted and rejected, and the inclusion follower that the accepted ones are handed to.
 */
import { bytesToHex } from '@ethereumjs/util'
import type { TestnetNode } from '../../testnets/description.ts'
import { InclusionFollower, type SentTx } from './follower.ts'
import { sendWithRetry } from './send.ts'
import type { SignedTx } from './tx-factory.ts'

export interface Rejection {
  node: string
  error: string
  step?: number
  warmup?: boolean
}

export class WorkloadSession {
  /** Every tx accepted by RPC, warm-up included. */
  readonly sent: SentTx[] = []
  readonly rejected: Rejection[] = []
  /** Sends started so far, warm-up included. */
  sentCount = 0
  /** What the run is doing, for live progress. */
  phase = 'starting'
  /** Txs the run will send, when the loop knows it in advance (open loop), warm-up included. */
  total: number | undefined
  /** The closed loop's wake-up: called when a tx is committed or rejected. */
  onSlotFree: (() => void) | undefined
  readonly follower: InclusionFollower
  private readonly inflight: Promise<void>[] = []

  constructor(
    private readonly targets: readonly TestnetNode[],
    fromBlock: number,
    onProgress?: (m: string) => void,
  ) {
    this.follower = new InclusionFollower(targets[0]!, fromBlock, () => this.onSlotFree?.(), onProgress)
  }

  /** Sends the `i`th tx of the run to target `i mod targets`; does not wait for the answer. */
  send(i: number, { tx, kind }: SignedTx, step: number | undefined, warmup: boolean): void {
    const node = this.targets[i % this.targets.length]!
    const raw = bytesToHex(tx.serialize())
    const sentAt = Date.now()
    this.sentCount++
    this.inflight.push(
      sendWithRetry(node.rpcUrl, raw)
        .then((hash) => {
          const s: SentTx = { hash: hash.toLowerCase(), node: node.name, sentAt, acceptedAt: Date.now(), kind, ...(step !== undefined ? { step } : {}), ...(warmup ? { warmup } : {}) }
          this.sent.push(s)
          this.follower.track(s)
        })
        .catch((err: Error) => {
          this.rejected.push({ node: node.name, error: err.message, ...(step !== undefined ? { step } : {}), ...(warmup ? { warmup } : {}) })
          this.onSlotFree?.()
        }),
    )
  }

  /** Txs sent and neither committed nor rejected yet. */
  outstanding(): number {
    return this.sentCount - this.follower.committed - this.rejected.length
  }

  /** Resolves when RPC has answered every send; rejects if the bookkeeping of one threw. */
  answered(): Promise<unknown> {
    return Promise.all(this.inflight)
  }

  /** Resolves when every send has settled, whatever happened to it (for cleanup). */
  settled(): Promise<unknown> {
    return Promise.allSettled(this.inflight)
  }
}
