/**
 * The tx workload for a local testnet: signed EIP-1559 txs from the prefunded accounts (`tx-factory.ts`), sent
 * round-robin over the nodes' eth_sendRawTransaction (`session.ts`) and followed until each is in a block
 * (`follower.ts`). Reused by `teecast testnet send`, the e2e tests and the bench. Load shapes:
 * - open loop (`open-loop.ts`): steps of `count` txs at `rate` tx/s, send times fixed in advance;
 * - closed loop (`closed-loop.ts`, fixed-load): `inFlight` txs outstanding, a new one sent when one is committed.
 * A warm-up (`warmupSec`) sends first (open loop: at the first step's rate); its txs are flagged and left out of the
 * result's counts.
 */
import { rpcCall } from '../../src/rpc/client.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { runClosedLoop, type ClosedShape } from './closed-loop.ts'
import { deployCounter } from './counter-contract.ts'
import type { SentTx } from './follower.ts'
import { runOpenLoop, type OpenStep, type StepWindow } from './open-loop.ts'
import { WorkloadSession, type Rejection } from './session.ts'
import { accountsOf, commonOf, estimateGas, kindChooser, pendingNonces, seededCalldata, SINK, TRANSFER_GAS, TX_KINDS, TxFactory, type TxKind, type TxMix } from './tx-factory.ts'

export type LoadShape = { kind: 'open'; steps: OpenStep[] } | ({ kind: 'closed' } & ClosedShape)

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

export interface LiveCounts {
  phase: string
  /** Sent so far, warm-up included. */
  sent: number
  committed: number
  /** Txs the run will send, when known in advance (open loop), warm-up included. */
  total?: number
}

export interface RunWorkloadOptions {
  shape: LoadShape
  warmupSec?: number
  /** Weights; default: transfers only. */
  mix?: Partial<TxMix>
  /** Calldata of a largeCalldata tx (default 4096). */
  calldataBytes?: number
  /** Seeds the mix and the calldata (default "workload"). */
  seed?: string
  inclusionTimeoutMs?: number
  targets?: TestnetNode[]
  onProgress?: (msg: string) => void
  /** Called once when the warm-up ends, as the first measured tx goes out (runs alongside the sending). */
  onWarmupEnd?: () => Promise<void> | void
  /** Called about 4 times a second with live counters. */
  onCounts?: (c: LiveCounts) => void
}

export interface WorkloadResult {
  /** Every tx accepted by RPC, warm-up included (see `warmup`). */
  sent: SentTx[]
  rejected: Rejection[]
  /** Measured (non-warm-up) txs in blocks. */
  committed: number
  /** First measured send. */
  startedAt: number
  lastSentAt: number
  /** When the last tx was seen in a block. */
  finishedAt: number
  /** Committed measured txs per second, from the first measured send to the last inclusion seen. */
  txPerSecond: number
  /** Open loop: each step's planned window, ms since epoch. */
  steps?: StepWindow[]
  /** The counter contract, when the mix has contract calls. */
  contract?: string
  /** Gas limit used per kind. */
  gasLimits?: Partial<Record<TxKind, number>>
}

/** The fixed-rate transfer workload (`teecast testnet send`, e2e tests). */
export async function runTransferWorkload(d: TestnetDescription, o: WorkloadOptions): Promise<WorkloadResult> {
  if (!(o.rate > 0)) throw new Error(`rate must be > 0 tx/s, got ${o.rate}`)
  return runWorkload(d, { shape: { kind: 'open', steps: [{ rate: o.rate, count: o.count }] }, inclusionTimeoutMs: o.inclusionTimeoutMs, onProgress: o.onProgress, targets: o.targets })
}

export async function runWorkload(d: TestnetDescription, o: RunWorkloadOptions): Promise<WorkloadResult> {
  const targets = o.targets ?? d.nodes
  if (targets.length === 0) throw new Error('no nodes to send to')
  const shape = o.shape
  if (shape.kind === 'open' && !shape.steps.every((s) => s.rate > 0)) throw new Error('every step rate must be > 0 tx/s')
  const url = targets[0]!.rpcUrl
  const accounts = accountsOf(d)
  const mix: TxMix = { transfer: o.mix?.transfer ?? 0, contractCall: o.mix?.contractCall ?? 0, largeCalldata: o.mix?.largeCalldata ?? 0 }
  if (o.mix === undefined) mix.transfer = 1
  const seed = o.seed ?? 'workload'
  const calldata = seededCalldata(o.calldataBytes ?? 4096, seed)
  let contract: string | undefined
  const gas: Record<TxKind, bigint> = { transfer: TRANSFER_GAS, contractCall: 0n, largeCalldata: 0n }
  if (mix.contractCall > 0) {
    o.onProgress?.('deploying the counter contract')
    contract = await deployCounter(d, url, accounts[0]!)
    gas.contractCall = await estimateGas(url, accounts[0]!.address, contract, undefined, 100_000n)
  }
  if (mix.largeCalldata > 0) gas.largeCalldata = await estimateGas(url, accounts[0]!.address, SINK, calldata, 21_000n + 16n * BigInt(calldata.length) + 10_000n)
  const factory = new TxFactory(d, commonOf(d), accounts, await pendingNonces(url, accounts), kindChooser(mix, seed), gas, calldata, contract)
  const fromBlock = Number(await rpcCall<string>(url, 'eth_blockNumber')) + 1

  const session = new WorkloadSession(targets, fromBlock, o.onProgress)
  const follower = session.follower
  follower.start()
  const counts = (): LiveCounts => ({ phase: session.phase, sent: session.sentCount, committed: follower.committed, ...(session.total !== undefined ? { total: session.total } : {}) })
  const ticker = o.onCounts !== undefined ? setInterval(() => o.onCounts!(counts()), 250) : undefined
  let warmupHook: Promise<void> | undefined
  const onWarmupEnd = (): void => {
    warmupHook ??= Promise.resolve(o.onWarmupEnd?.())
  }
  const timeoutMs = o.inclusionTimeoutMs ?? 60_000
  const loop = { warmupSec: o.warmupSec ?? 0, onWarmupEnd, onProgress: o.onProgress }
  try {
    const { startedAt, windows } = shape.kind === 'open' ? await runOpenLoop(session, factory, shape.steps, loop) : { ...(await runClosedLoop(session, factory, shape, { ...loop, timeoutMs })), windows: undefined }
    await session.answered()
    await warmupHook
    const lastSentAt = Date.now()
    session.phase = 'waiting for inclusion'
    const { sent, rejected } = session
    o.onProgress?.(`sent ${sent.length} (${rejected.length} rejected); waiting for inclusion`)
    await follower.waitAll(timeoutMs)
    const measuredSent = sent.filter((s) => s.warmup !== true)
    const committed = measuredSent.filter((s) => s.block !== undefined).length
    const finishedAt = Math.max(startedAt, ...measuredSent.map((s) => s.includedSeenAt ?? 0))
    const spanS = Math.max(1e-3, (finishedAt - startedAt) / 1000)
    return {
      sent,
      rejected,
      committed,
      startedAt,
      lastSentAt,
      finishedAt,
      txPerSecond: committed / spanS,
      ...(windows !== undefined ? { steps: windows } : {}),
      ...(contract !== undefined ? { contract } : {}),
      gasLimits: Object.fromEntries(TX_KINDS.filter((k) => mix[k] > 0).map((k) => [k, Number(gas[k])])),
    }
  } finally {
    if (ticker !== undefined) clearInterval(ticker)
    o.onCounts?.(counts())
    await follower.stop()
    await session.settled()
  }
}
