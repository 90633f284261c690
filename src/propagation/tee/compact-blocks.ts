/**
 * Compact block rebuilding, at a receiver of a block item (payload: header + short tx ids, compact-block.ts), and
 * serving the txs of held blocks to peers that lack some.
 *
 * Stages of a block id at a receiver (after the relay checked its header against the id and stored it):
 * 1. rebuild: each short id is looked up among the txs the store holds.
 * 2. waiting (`pending`, phase 'missing'): the missing indexes were asked from the block's sender (GetBlockTxs);
 *    a missing tx that arrives by any other path (its tree, a repair) fills its slot too; abandoned at its deadline
 *    (eth/68 sync fetches it then): since + BLOCK_TXS_TIMEOUT_MS, plus the sender link's backlog wait (repair.ts:
 *    TREE_WAIT_FACTOR x its queueing delay, within the same cap), as the answer and the missing txs queue behind
 *    what the sender already sends us. On a 32 kbit/s testnet at its limit, 3 s sent blocks to eth/68 sync, whose
 *    full bodies then queued on the same links, and the signers stalled. The answer's round trip is a sample of
 *    that delay too. A peer that asks us for txs of a block we are still
 *    rebuilding (we forward a compact block before rebuilding it) is answered once we have them, not left to time
 *    out: that timeout, on a loaded machine, sent nodes to eth/68 sync for the block and every block after it.
 * 3. rebuilt: every tx is known: action `importBlock`. The driver assembles the block, checks the tx root and
 *    imports it, and reports a tx root mismatch back with `onBlockRebuilt(id, false)`.
 * 4. refetch (`pending`, phase 'all'): a tx root mismatch means a short-id collision picked a wrong tx: every tx is
 *    asked from the sender once. A second mismatch abandons the block (the sender sent wrong txs).
 * 5. done or abandoned: `pending` no longer holds it (`blockAbandoned` says why). A block abandoned at its
 *    deadline stays in `late` until MAX_BACKLOG_WAIT_MS past that deadline: an answer or the missing txs that come after all
 *    still rebuild and import it (on a backlogged link they do come, while eth/68 sync over the same links took
 *    minutes to fetch the block, and a Clique signer waiting for it could not seal meanwhile).
 *
 * Invariants:
 * - Every pending block has at least one missing index while waiting, and its sender is a live peer or the wait
 *   ends at its deadline; the deadline is at most BLOCK_TXS_TIMEOUT_MS + MAX_BACKLOG_WAIT_MS after `since`.
 * - `pending` holds at most MAX_PENDING_BLOCKS blocks (the oldest is abandoned beyond that); `late` as many, none
 *   of them also pending.
 */
import { BLOCK_TXS_TIMEOUT_MS, MAX_BACKLOG_WAIT_MS } from './constants.ts'
import { decodeCompactBlock, type CompactBlock } from './compact-block.ts'
import type { ItemStore } from './item-store.ts'
import { shortKey } from './short-id.ts'
import type { InvariantViolations, RelayContext, TeeAction } from './interface.ts'

/** Blocks rebuilt at once; a block period brings one block, so more means a flood: the oldest goes. */
const MAX_PENDING_BLOCKS = 64
/** Peers waiting for txs of one block we are still rebuilding (tree degree is at most a few; beyond: from the chain). */
const MAX_WAITERS = 16

interface PendingBlock {
  id: Uint8Array
  cb: CompactBlock
  txs: (Uint8Array | undefined)[]
  from: string
  since: number
  /** When the wait is given up (stage 2). */
  deadline: number
  phase: 'missing' | 'all'
  /** A rebuild was handed to the driver and its tx root came back wrong once. */
  collided: boolean
  /** Peers that asked us for txs of this block while we lacked them: answered when it is rebuilt. */
  waiters: { peer: string; indexes: number[] }[]
  /** The indexes last asked of the sender: its answer holds these, though some may have come by their tree since. */
  asked: number[]
}

const hex = (id: Uint8Array): string => Buffer.from(id).toString('hex')

/** How backlogged a peer's link to us is, and what we learn from a round trip on it (repair.ts keeps the measure). */
export interface LinkBacklog {
  /** Extra time (ms) an answer from `peer` may take now, behind what it already sends us. */
  backlogWait(peer: string, now: number): number
  /** `peer` answered a request of ours `rttMs` after we sent it. */
  pullAnswered(peer: string, rttMs: number, now: number): void
}

export class CompactBlocks {
  // Stages 2 and 4, by block hash (hex).
  private readonly pending = new Map<string, PendingBlock>()
  /** Blocks handed to the driver for import (stage 3), kept until it reports the tx root, for a refetch. */
  private readonly importing = new Map<string, PendingBlock>()
  /** Stage 5: blocks abandoned at their deadline, still rebuilt if what they lack comes within MAX_BACKLOG_WAIT_MS. */
  private readonly late = new Map<string, PendingBlock>()

  constructor(
    private readonly ctx: RelayContext,
    private readonly store: ItemStore,
    private readonly links: LinkBacklog,
  ) {}

  /** A block item was stored (checked). `from`: its sender. */
  onBlockItem(out: TeeAction[], id: Uint8Array, payload: Uint8Array, from: string, now: number): void {
    let cb: CompactBlock
    try {
      cb = decodeCompactBlock(payload)
    } catch (e) {
      // The verifier decodes blocks first; one that lets a bad payload through is the driver's bug, not the peer's.
      return void out.push({ t: 'blockAbandoned', id, reason: `not a compact block: ${(e as Error).message}` })
    }
    const txs = cb.ids.map((s) => this.store.heldTx(s))
    const p: PendingBlock = { id, cb, txs, from, since: now, deadline: now, phase: 'missing', collided: false, waiters: [], asked: [] }
    this.advance(out, p, now)
  }

  /** The driver's tx root check of a rebuilt block: false means a short-id collision (or wrong txs). */
  onBlockRebuilt(out: TeeAction[], id: Uint8Array, rootOk: boolean, now: number): void {
    const key = hex(id)
    const p = this.importing.get(key)
    this.importing.delete(key)
    if (p === undefined || rootOk) return
    if (p.collided) return void out.push({ t: 'blockAbandoned', id, reason: 'tx root still wrong after fetching every tx from the sender' })
    p.collided = true
    p.phase = 'all'
    p.txs = p.cb.ids.map(() => undefined)
    p.since = now
    this.advance(out, p, now)
  }

  onGetBlockTxs(out: TeeAction[], from: string, block: Uint8Array, indexes: number[]): void {
    if (new Set(indexes).size !== indexes.length) return void out.push({ t: 'refused', peer: from, what: `getBlockTxs for ${hex(block).slice(0, 10)}`, reason: 'repeated tx indexes', disconnect: true })
    const compact = this.store.byId(block)
    if (compact !== undefined && compact.kind === 'block') {
      const cb = decodeCompactBlock(compact.payload)
      const txs = indexes.map((i) => (cb.ids[i] === undefined ? undefined : this.store.heldTx(cb.ids[i]!)))
      if (txs.length > 0 && txs.every((t): t is Uint8Array => t !== undefined)) return void out.push({ t: 'send', to: from, msg: { t: 'blockTxs', block, txs } })
    }
    // We are rebuilding it ourselves: answer when we have the txs (bounded; beyond, the chain may have it later).
    const p = this.pending.get(hex(block))
    if (p !== undefined && p.phase === 'missing' && p.waiters.length < MAX_WAITERS && indexes.every((i) => i < p.cb.ids.length)) return void p.waiters.push({ peer: from, indexes })
    // Not all here (evicted, or the block came by sync): the chain may have it.
    out.push({ t: 'serveBlockTxsFromChain', peer: from, block, indexes })
  }

  onBlockTxs(out: TeeAction[], from: string, block: Uint8Array, txs: Uint8Array[], now: number): void {
    const key = hex(block)
    this.expireLate(now)
    const p = this.pending.get(key) ?? this.late.get(key)
    // Unsolicited, or from another peer than asked: ignored.
    if (p === undefined || p.from !== from) return
    this.late.delete(key)
    // Matched against what was asked, not what is still missing: a tx that came by its tree meanwhile (onTxHeld) made
    // an honest answer look one tx too long, and the sender was disconnected (found by the simulator with blocks).
    const asked = p.asked
    this.links.pullAnswered(from, now - p.since, now)
    if (txs.length !== asked.length) return void out.push({ t: 'refused', peer: from, what: `blockTxs for ${key.slice(0, 10)}`, reason: `${txs.length} txs for ${asked.length} requested`, disconnect: true })
    asked.forEach((idx, k) => (p.txs[idx] ??= txs[k]))
    this.pending.delete(key)
    this.advance(out, p, now)
  }

  /** A tx is now held (any path): it fills its slot in the blocks waiting for it. */
  onTxHeld(out: TeeAction[], short: string, payload: Uint8Array, now: number): void {
    this.expireLate(now)
    for (const waiting of [this.pending, this.late]) for (const [key, p] of waiting) {
      if (p.phase !== 'missing') continue
      let filled = false
      p.cb.ids.forEach((id, i) => {
        if (p.txs[i] === undefined && shortKey(id) === short) {
          p.txs[i] = payload
          filled = true
        }
      })
      if (filled && missingIndexes(p).length === 0) {
        this.pending.delete(key)
        this.late.delete(key)
        this.advance(out, p, now)
      }
    }
  }

  nextTimeout(): number | undefined {
    let t = Infinity
    for (const p of this.pending.values()) t = Math.min(t, p.deadline)
    return t === Infinity ? undefined : t
  }

  onTimeout(out: TeeAction[], now: number): void {
    this.expireLate(now)
    for (const [key, p] of this.pending) if (now >= p.deadline) {
      this.pending.delete(key)
      this.late.set(key, p)
      if (this.late.size > MAX_PENDING_BLOCKS) this.late.delete(this.late.keys().next().value!)
      out.push({ t: 'blockAbandoned', id: p.id, reason: `missing txs did not come within ${Math.round(p.deadline - p.since)} ms: left to eth/68 sync` })
    }
  }

  /** Late blocks past their time are forgotten (no timer of their own: checked whenever the blocks are touched). */
  private expireLate(now: number): void {
    for (const [key, p] of this.late) if (now >= p.deadline + MAX_BACKLOG_WAIT_MS) this.late.delete(key)
  }

  /** Rebuilt: hand it to the driver. Txs missing: ask the sender and wait. */
  private advance(out: TeeAction[], p: PendingBlock, now: number): void {
    const key = hex(p.id)
    const missing = missingIndexes(p)
    if (missing.length === 0) {
      for (const w of p.waiters.splice(0)) if (this.ctx.peers.has(w.peer)) out.push({ t: 'send', to: w.peer, msg: { t: 'blockTxs', block: p.id, txs: w.indexes.map((i) => p.txs[i]!) } })
      this.importing.set(key, p)
      if (this.importing.size > MAX_PENDING_BLOCKS) this.importing.delete(this.importing.keys().next().value!)
      return void out.push({ t: 'importBlock', id: p.id, block: p.cb, txs: p.txs as Uint8Array[], from: p.from })
    }
    p.since = now
    p.deadline = now + BLOCK_TXS_TIMEOUT_MS + this.links.backlogWait(p.from, now)
    this.pending.set(key, p)
    if (this.pending.size > MAX_PENDING_BLOCKS) {
      const [oldKey, old] = this.pending.entries().next().value!
      this.pending.delete(oldKey)
      out.push({ t: 'blockAbandoned', id: old.id, reason: `more than ${MAX_PENDING_BLOCKS} blocks rebuilding` })
    }
    p.asked = missing
    if (this.ctx.peers.has(p.from)) out.push({ t: 'send', to: p.from, msg: { t: 'getBlockTxs', block: p.id, indexes: missing } })
  }


  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    if (this.pending.size > MAX_PENDING_BLOCKS) bad.push(`blocks: ${this.pending.size} pending, above ${MAX_PENDING_BLOCKS}`)
    if (this.late.size > MAX_PENDING_BLOCKS) bad.push(`blocks: ${this.late.size} late, above ${MAX_PENDING_BLOCKS}`)
    for (const key of this.late.keys()) if (this.pending.has(key)) bad.push(`blocks: ${key.slice(0, 10)} both late and pending`)
    for (const [key, p] of this.pending) {
      if (missingIndexes(p).length === 0) bad.push(`blocks: ${key.slice(0, 10)} waits with no tx missing`)
      if (!(p.deadline >= p.since + BLOCK_TXS_TIMEOUT_MS && p.deadline <= p.since + BLOCK_TXS_TIMEOUT_MS + MAX_BACKLOG_WAIT_MS)) bad.push(`blocks: ${key.slice(0, 10)} waits until ${p.deadline}, outside since + BLOCK_TXS_TIMEOUT_MS (+ MAX_BACKLOG_WAIT_MS)`)
      if (p.waiters.length > MAX_WAITERS) bad.push(`blocks: ${key.slice(0, 10)} has ${p.waiters.length} waiters, above ${MAX_WAITERS}`)
    }
    return bad
  }
}

const missingIndexes = (p: PendingBlock): number[] => p.txs.flatMap((t, i) => (t === undefined ? [i] : []))
