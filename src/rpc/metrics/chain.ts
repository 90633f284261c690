/**
 * Chain and pool metrics of one node: head, block import / execution / seal times, sync state, pending and queued
 * txs. Times come from wrapping the client's own instances (chain.putBlocks, miner.assembleBlock) and the VM's
 * beforeBlock / afterBlock events: no patch, and nothing changes what the client does.
 */
import promClient from 'prom-client'
import { createAddressFromString } from '@ethereumjs/util'
import type { EthereumClient } from '@ethereumjs/client/dist/esm/src/client.js'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import type { WireStats } from '../../p2p/wire-stats.ts'
import { poolSplit } from './pool-split.ts'

/** Seconds; from a few ms (an empty block) to the client's "slow block" warning and beyond. */
const BLOCK_TIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

interface AccountReader {
  getAccount(a: ReturnType<typeof createAddressFromString>): Promise<{ nonce: bigint } | undefined>
}

/** Replaces `obj[name]` (an async method) by one that reports its duration. */
function timeMethod<T extends object>(obj: T, name: keyof T & string, onDone: (seconds: number, args: unknown[]) => void): void {
  const orig = obj[name] as unknown as (...a: unknown[]) => Promise<unknown>
  if (typeof orig !== 'function') return
  ;(obj as Record<string, unknown>)[name] = async function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now()
    try {
      return await orig.apply(obj, args)
    } finally {
      onDone((performance.now() - t0) / 1000, args)
    }
  }
}

export function createChainMetrics(register: promClient.Registry, client: EthereumClient, service: FullEthereumService, stats: WireStats): void {
  const chain = client.chain
  new promClient.Gauge({
    name: 'teecast_chain_head_block',
    help: 'Number of the canonical head block',
    registers: [register],
    collect() {
      this.set(Number(chain.blocks.height))
    },
  })
  new promClient.Gauge({
    name: 'teecast_sync_synchronized',
    help: '1 when the node considers itself synchronized with its peers, else 0',
    registers: [register],
    collect() {
      this.set(client.config.synchronized ? 1 : 0)
    },
  })
  const insert = new promClient.Histogram({
    name: 'teecast_chain_block_import_seconds',
    help: 'Validating and storing a block (chain.putBlocks, per block of the call): NewBlock, tee, sync and own blocks',
    buckets: BLOCK_TIME_BUCKETS,
    registers: [register],
  })
  timeMethod(chain, 'putBlocks', (s, args) => {
    const n = Array.isArray(args[0]) ? args[0].length : 0
    for (let i = 0; i < n; i++) insert.observe(s / n)
  })
  const exec = new promClient.Histogram({
    name: 'teecast_chain_block_execution_seconds',
    help: "Executing a block in the node's VM (runBlock, beforeBlock to afterBlock)",
    buckets: BLOCK_TIME_BUCKETS,
    registers: [register],
  })
  let execStart: number | undefined
  const vmEvents = service.execution.vm.events as unknown as { on(ev: string, fn: (...a: unknown[]) => void): void }
  vmEvents.on('beforeBlock', () => {
    execStart = performance.now()
  })
  vmEvents.on('afterBlock', () => {
    if (execStart !== undefined) exec.observe((performance.now() - execStart) / 1000)
    execStart = undefined
  })
  const seal = new promClient.Histogram({
    name: 'teecast_chain_block_seal_seconds',
    help: 'From the start of block assembly (tx selection, build, execution, Clique seal) until this node holds the sealed block',
    buckets: BLOCK_TIME_BUCKETS,
    registers: [register],
  })
  let sealStart: number | undefined
  const miner = (service as unknown as { miner?: object }).miner
  if (miner !== undefined) {
    const m = miner as { assembleBlock: () => Promise<void> }
    const orig = m.assembleBlock
    m.assembleBlock = async () => {
      sealStart = performance.now()
      try {
        await orig.call(miner)
      } finally {
        sealStart = undefined
      }
    }
  }
  stats.onFirstSeen((e) => {
    // A block first held here and not received while assembling: the one this node just sealed.
    if (e.kind === 'block' && !e.received && sealStart !== undefined) {
      seal.observe((performance.now() - sealStart) / 1000)
      sealStart = undefined
    }
  })
  const pool = new promClient.Gauge({
    name: 'teecast_txpool_transactions',
    help: "Txs in the pool: pending (nonces without a gap from the sender's account nonce) and queued (waiting for a missing nonce)",
    labelNames: ['state'],
    registers: [register],
    async collect() {
      const txPool = service.txPool
      const bySender: [string, bigint[]][] = [...txPool.pool.entries()].map(([s, objs]) => [s, objs.map((o) => o.tx.nonce)])
      // The pool's own read-only view of the head state (client patch 014), when it has one.
      const view = (txPool as unknown as { _teecastStateView?: { vm: { stateManager: AccountReader } } })._teecastStateView
      const nonces = new Map<string, bigint>()
      if (view !== undefined) {
        for (const [s] of bySender) {
          try {
            const acc = await view.vm.stateManager.getAccount(createAddressFromString(`0x${s}`))
            nonces.set(s, acc?.nonce ?? 0n)
          } catch {
            // The view's state root is gone (the head moved on): the lowest pooled nonce stands in for this sender.
          }
        }
      }
      const split = poolSplit(bySender, (s) => nonces.get(s))
      pool.set({ state: 'pending' }, split.pending)
      pool.set({ state: 'queued' }, split.queued)
    },
  })
}
