/**
 * The tx workload for a local testnet: signed EIP-1559 txs from the prefunded accounts, sent round-robin over the
 * nodes' eth_sendRawTransaction and followed until each is in a block. Reused by `teecast testnet send`, the e2e
 * tests and the bench. Load shapes:
 * - open loop: a list of steps, each `count` txs at `rate` tx/s, back to back (fixed-rate is one step; a ramp is
 *   several); the send times are fixed in advance (`openLoopPlan`), whatever the testnet does;
 * - closed loop (fixed-load, Caliper style): `inFlight` txs outstanding, a new one sent when one is committed.
 * A warm-up (`warmupSec`) sends first (open loop: at the first step's rate); its txs are flagged and left out of the
 * result's counts. The tx mix draws each tx's kind from weights with a seeded generator: plain transfers, calls to a
 * storage counter deployed before the run, and transfers carrying `calldataBytes` of calldata.
 */
import { createFeeMarket1559Tx, type FeeMarket1559Tx, type FeeMarketEIP1559TxData } from '@ethereumjs/tx'
import { createCommonFromGethGenesis, type Common } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { readFileSync } from 'node:fs'
import { keccak256 } from 'ethereum-cryptography/keccak.js'
import { rpcCall } from '../../src/rpc/client.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { SeededRandom } from '../../src/shared/rng.ts'
import { setTimeout as sleep } from 'node:timers/promises'

export type TxKind = 'transfer' | 'contractCall' | 'largeCalldata'
export const TX_KINDS: readonly TxKind[] = ['transfer', 'contractCall', 'largeCalldata']
export type TxMix = Record<TxKind, number>

export interface OpenStep {
  /** Offered tx/s. */
  rate: number
  count: number
}

export type LoadShape = { kind: 'open'; steps: OpenStep[] } | { kind: 'closed'; inFlight: number; count: number }

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

export interface WorkloadResult {
  /** Every tx accepted by RPC, warm-up included (see `warmup`). */
  sent: SentTx[]
  rejected: { node: string; error: string; step?: number; warmup?: boolean }[]
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
  steps?: (OpenStep & { startAt: number; endAt: number })[]
  /** The counter contract, when the mix has contract calls. */
  contract?: string
  /** Gas limit used per kind. */
  gasLimits?: Partial<Record<TxKind, number>>
}

// 1 gwei tip: above the pool's 0.1 gwei minimum for txs relayed from peers.
const TIP = 1_000_000_000n
const MAX_FEE = 20_000_000_000n
const TRANSFER_GAS = 21_000n
const SINK = '0x000000000000000000000000000000000000dEaD'
/**
 * A storage counter: runtime `PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE STOP` (every call adds 1 to slot 0), behind
 * init code that copies those 10 bytes and returns them.
 */
export const COUNTER_RUNTIME = '0x60005460010160005500'
export const COUNTER_INITCODE = `0x600a600c600039600a6000f3${COUNTER_RUNTIME.slice(2)}`
const DEPLOY_GAS = 200_000n
/** Headroom over eth_estimateGas (a counter's first increment costs more than later ones; estimates can be tight). */
const GAS_HEADROOM = 1.25

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

const commonOf = (d: TestnetDescription): Common => createCommonFromGethGenesis(JSON.parse(readFileSync(d.genesisPath, 'utf8')), { chain: 'teecast' })

/** Send offsets of an open-loop run: warm-up at the first step's rate (step -1), then each step back to back. */
export function openLoopPlan(steps: readonly OpenStep[], warmupSec = 0): { atMs: number; step: number; warmup: boolean }[] {
  const out: { atMs: number; step: number; warmup: boolean }[] = []
  let t = 0
  const first = steps[0]
  if (first !== undefined && warmupSec > 0) {
    const n = Math.round(first.rate * warmupSec)
    for (let i = 0; i < n; i++) out.push({ atMs: t + (i * 1000) / first.rate, step: -1, warmup: true })
    t += (n * 1000) / first.rate
  }
  for (const [k, s] of steps.entries()) {
    for (let i = 0; i < s.count; i++) out.push({ atMs: t + (i * 1000) / s.rate, step: k, warmup: false })
    t += (s.count * 1000) / s.rate
  }
  return out
}

/** Ramp steps: `steps` rates evenly from start to end, each lasting stepSec (count = rate x stepSec) or countPerStep txs. */
export function rampSteps(r: { start: number; end: number; steps: number; stepSec?: number; countPerStep?: number }): OpenStep[] {
  return Array.from({ length: r.steps }, (_, k) => {
    const rate = r.steps === 1 ? r.start : r.start + ((r.end - r.start) * k) / (r.steps - 1)
    return { rate, count: r.countPerStep ?? Math.max(1, Math.round(rate * r.stepSec!)) }
  })
}

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

interface Account {
  address: string
  key: Uint8Array
}

/** Signs the workload's txs one at a time, accounts round-robin, each with its next nonce. */
class TxFactory {
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

  next(): { tx: FeeMarket1559Tx; kind: TxKind } {
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

async function pendingNonces(url: string, accounts: Account[]): Promise<bigint[]> {
  return Promise.all(accounts.map(async (a) => BigInt(await rpcCall<string>(url, 'eth_getTransactionCount', [a.address, 'pending']))))
}

export async function buildTransfers(d: TestnetDescription, count: number, rpcUrl: string): Promise<FeeMarket1559Tx[]> {
  const accounts = d.accounts.map((a) => ({ address: a.address, key: hexToBytes(a.privateKey as `0x${string}`) }))
  const f = new TxFactory(d, commonOf(d), accounts, await pendingNonces(rpcUrl, accounts), () => 'transfer', { transfer: TRANSFER_GAS, contractCall: 0n, largeCalldata: 0n }, new Uint8Array(), undefined)
  return Array.from({ length: count }, () => f.next().tx)
}

async function waitForReceipt(url: string, hash: string, timeoutMs: number): Promise<{ status: string; contractAddress: string | null }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await rpcCall<{ status: string; contractAddress: string | null } | null>(url, 'eth_getTransactionReceipt', [hash]).catch(() => null)
    if (r !== null) return r
    if (Date.now() > deadline) throw new Error(`tx ${hash} not in a block after ${timeoutMs} ms`)
    await sleep(250)
  }
}

/** Deploys the storage counter from `from` and waits for its receipt; returns its address. */
export async function deployCounter(d: TestnetDescription, url: string, from: Account, timeoutMs = 60_000): Promise<string> {
  const [nonce] = await pendingNonces(url, [from])
  const tx = createFeeMarket1559Tx({ chainId: BigInt(d.chainId), nonce: nonce!, maxPriorityFeePerGas: TIP, maxFeePerGas: MAX_FEE, gasLimit: DEPLOY_GAS, data: hexToBytes(COUNTER_INITCODE as `0x${string}`) }, { common: commonOf(d) }).sign(from.key)
  const hash = await sendWithRetry(url, bytesToHex(tx.serialize()))
  const r = await waitForReceipt(url, hash, timeoutMs)
  if (r.status !== '0x1' || r.contractAddress === null) throw new Error(`counter deployment ${hash} failed (status ${r.status})`)
  return r.contractAddress
}

async function estimate(url: string, from: string, to: string, data: Uint8Array | undefined, fallback: bigint): Promise<bigint> {
  try {
    const g = Number(await rpcCall<string>(url, 'eth_estimateGas', [{ from, to, ...(data !== undefined ? { data: bytesToHex(data) } : {}) }]))
    return BigInt(Math.ceil(g * GAS_HEADROOM))
  } catch {
    return fallback
  }
}

/**
 * Follows the chain on one node and marks tracked txs as they appear in blocks. Every block tx seen is remembered,
 * so a tx tracked after its block was read is still matched.
 */
class InclusionFollower {
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
  const accounts = d.accounts.map((a) => ({ address: a.address, key: hexToBytes(a.privateKey as `0x${string}`) }))
  const mix: TxMix = { transfer: o.mix?.transfer ?? 0, contractCall: o.mix?.contractCall ?? 0, largeCalldata: o.mix?.largeCalldata ?? 0 }
  if (o.mix === undefined) mix.transfer = 1
  const seed = o.seed ?? 'workload'
  const calldata = seededCalldata(o.calldataBytes ?? 4096, seed)
  let contract: string | undefined
  const gas: Record<TxKind, bigint> = { transfer: TRANSFER_GAS, contractCall: 0n, largeCalldata: 0n }
  if (mix.contractCall > 0) {
    o.onProgress?.('deploying the counter contract')
    contract = await deployCounter(d, url, accounts[0]!)
    gas.contractCall = await estimate(url, accounts[0]!.address, contract, undefined, 100_000n)
  }
  if (mix.largeCalldata > 0) gas.largeCalldata = await estimate(url, accounts[0]!.address, SINK, calldata, 21_000n + 16n * BigInt(calldata.length) + 10_000n)
  const factory = new TxFactory(d, commonOf(d), accounts, await pendingNonces(url, accounts), kindChooser(mix, seed), gas, calldata, contract)
  const fromBlock = Number(await rpcCall<string>(url, 'eth_blockNumber')) + 1

  const sent: SentTx[] = []
  const rejected: WorkloadResult['rejected'] = []
  let sentCount = 0
  let phase = 'starting'
  let freeSlot: (() => void) | undefined
  const follower = new InclusionFollower(targets[0]!, fromBlock, () => freeSlot?.(), o.onProgress)
  follower.start()
  const counts = (): LiveCounts => ({ phase, sent: sentCount, committed: follower.committed, ...(plan !== undefined ? { total: plan.length } : {}) })
  const ticker = o.onCounts !== undefined ? setInterval(() => o.onCounts!(counts()), 250) : undefined
  let warmupHook: Promise<void> | undefined
  const warmupEnded = (): void => {
    warmupHook ??= Promise.resolve(o.onWarmupEnd?.())
  }
  const inflight: Promise<void>[] = []
  // Open loop: every tx is signed before the clock starts (signing is CPU the nodes would otherwise lose mid-run).
  const presigned: ReturnType<TxFactory['next']>[] = []
  const sendOne = (i: number, step: number | undefined, warmup: boolean, onDone?: (ok: boolean) => void): void => {
    const { tx, kind } = presigned[i] ?? factory.next()
    const node = targets[i % targets.length]!
    const raw = bytesToHex(tx.serialize())
    const sentAt = Date.now()
    sentCount++
    inflight.push(
      sendWithRetry(node.rpcUrl, raw)
        .then((hash) => {
          const s: SentTx = { hash: hash.toLowerCase(), node: node.name, sentAt, acceptedAt: Date.now(), kind, ...(step !== undefined ? { step } : {}), ...(warmup ? { warmup } : {}) }
          sent.push(s)
          follower.track(s)
          onDone?.(true)
        })
        .catch((err: Error) => {
          rejected.push({ node: node.name, error: err.message, ...(step !== undefined ? { step } : {}), ...(warmup ? { warmup } : {}) })
          onDone?.(false)
          freeSlot?.()
        }),
    )
  }

  let plan: ReturnType<typeof openLoopPlan> | undefined
  let steps: WorkloadResult['steps']
  let startedAt = Date.now()
  const timeoutMs = o.inclusionTimeoutMs ?? 60_000
  try {
    if (shape.kind === 'open') {
      plan = openLoopPlan(shape.steps, o.warmupSec ?? 0)
      phase = 'signing'
      for (let i = 0; i < plan.length; i++) presigned.push(factory.next())
      const t0 = Date.now()
      const firstMeasured = plan.findIndex((p) => !p.warmup)
      const offset0 = plan[firstMeasured]?.atMs ?? 0
      startedAt = t0 + offset0
      let t = offset0
      steps = shape.steps.map((s) => {
        const w = { ...s, startAt: t0 + t, endAt: t0 + t + (s.count * 1000) / s.rate }
        t += (s.count * 1000) / s.rate
        return w
      })
      for (let i = 0; i < plan.length; i++) {
        const p = plan[i]!
        const wait = t0 + p.atMs - Date.now()
        if (wait > 0) await sleep(wait)
        if (!p.warmup) warmupEnded()
        phase = p.warmup ? 'warm-up' : shape.steps.length > 1 ? `step ${p.step + 1}/${shape.steps.length} at ${+shape.steps[p.step]!.rate.toFixed(1)} tx/s` : `${+shape.steps[0]!.rate.toFixed(1)} tx/s`
        sendOne(i, shape.steps.length > 1 || p.warmup ? p.step : undefined, p.warmup)
        if (i > 0 && i % 100 === 0) o.onProgress?.(`sent ${i}/${plan.length}`)
      }
    } else {
      const t0 = Date.now()
      let outstanding: number
      let measured = 0
      let i = 0
      const warmupMs = (o.warmupSec ?? 0) * 1000
      while (measured < shape.count) {
        outstanding = sentCount - follower.committed - rejected.length
        while (outstanding >= shape.inFlight) {
          const before = follower.lastInclusion
          const freed = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs)
            freeSlot = () => {
              clearTimeout(timer)
              resolve(true)
            }
          })
          freeSlot = undefined
          if (!freed && follower.lastInclusion === before) throw new Error(`fixed-load: nothing committed for ${timeoutMs / 1000} s with ${outstanding} txs outstanding`)
          outstanding = sentCount - follower.committed - rejected.length
        }
        const warmup = Date.now() - t0 < warmupMs
        if (!warmup && measured === 0) {
          startedAt = Date.now()
          warmupEnded()
        }
        phase = warmup ? 'warm-up' : `${shape.inFlight} in flight`
        sendOne(i++, undefined, warmup)
        if (!warmup) measured++
        if (i % 100 === 0) o.onProgress?.(`sent ${i} (${measured}/${shape.count} measured)`)
      }
    }
    await Promise.all(inflight)
    await warmupHook
    const lastSentAt = Date.now()
    phase = 'waiting for inclusion'
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
      ...(steps !== undefined ? { steps } : {}),
      ...(contract !== undefined ? { contract } : {}),
      gasLimits: Object.fromEntries(TX_KINDS.filter((k) => mix[k] > 0).map((k) => [k, Number(gas[k])])),
    }
  } finally {
    if (ticker !== undefined) clearInterval(ticker)
    o.onCounts?.(counts())
    await follower.stop()
    await Promise.allSettled(inflight)
  }
}
