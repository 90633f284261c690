/**
 * Drives a TeeRelay inside the simulator: actions become simulated sends; `computePlan` runs the coordinator
 * program's `plan` ecall in-process (no isolation; the key and quote are the simulated backend's, as in a node) and
 * hands the plan back after `planDelayMs`. The relay is woken at its own deadlines (`nextTimeout()`), put on the
 * network's event queue: no ticks.
 * Blocks (with a chain, chain.ts): a proposer publishes its block as the node does, a compact block item (header +
 * short ids); receivers run the relay's own rebuild (compact-blocks.ts: short ids looked up in the relay's store, the
 * missing txs asked of the sender with GetBlockTxs), and `importBlock` checks the rebuilt txs against the header's tx
 * root before the block is imported. An abandoned block is fetched whole over eth/68 (block-sync.ts), as the node
 * leaves it to eth/68 sync.
 */
import { TeeRelay, type TeeAction } from '../propagation/tee/relay.ts'
import { runActions, type ActionHandlers } from '../propagation/core.ts'
import { encodeTeeMessage } from '../propagation/tee/codec.ts'
import type { SignedPlan, SignedReport, TeeMessage, WireItem } from '../propagation/tee/messages.ts'
import type { TeeParams } from '../propagation/tee/params.ts'
import { computeSignedPlanNow, type PlanningEnclave } from '../tee/plan-auth.ts'
import { inProcessPlanningEnclave } from '../tee/sim/in-process-planner.ts'
import type { RelayAuthority } from '../propagation/tee/relay.ts'
import { syntheticItemVerifier, syntheticPayload } from './synthetic-items.ts'
import type { ItemTracker } from './items.ts'
import { rlpxFrameBytes, type SimNetwork, type SimPeerNode } from './network.ts'
import { headerTxRoot, NodeChain, simTxRoot, type SimBlock } from './chain.ts'
import { BlockSync, isBlockSyncMsg } from './block-sync.ts'
import type { SimBlocks } from './eth-node.ts'
import { ethItemVerifier } from '../propagation/tee/item-verifier.ts'
import type { ItemVerifier } from '../propagation/tee/interface.ts'
import type { Policy } from '../tee/policy.ts'

export interface SimEnclaveHost {
  /** Quote binding a 64-byte key and a challenge, from the simulated QE. */
  quote(key64: Uint8Array, challenge: Uint8Array): Uint8Array
  /** The network's attestation policy: the coordinator's enclave checks the quotes in reports against it. */
  readonly policy?: Policy
}

const sizeCache = new WeakMap<object, number>()

/** RLP size of a string of `len` bytes whose first byte is `first`. */
const rlpStringBytes = (len: number, first: number): number => (len === 1 && first < 0x80 ? 1 : rlpHeaderBytes(len) + len)
/** RLP header of a string or list of `len` bytes. */
const rlpHeaderBytes = (len: number): number => (len < 56 ? 1 : 1 + (len < 256 ? 1 : len < 65536 ? 2 : len < 16777216 ? 3 : 4))
/** RLP size of a canonical integer (codec.ts `int`: big-endian, no leading zeros, 0 as the empty string). */
const rlpIntBytes = (n: number): number => (n === 0 ? 1 : n < 0x80 ? 1 : 1 + Math.ceil(Math.log2(n + 1) / 8))
/** RLP size of one row [mode, origin, payload] of an items message (the mode's index is < 4: one byte). */
const itemRowBytes = (it: WireItem): number => {
  const body = 1 + rlpIntBytes(it.origin) + rlpStringBytes(it.payload.length, it.payload[0] ?? 0)
  return rlpHeaderBytes(body) + body
}

/**
 * Wire size of a tee/1 message, framed. Items messages, the bulk of the traffic, are sized by arithmetic (encoding
 * each one cost more than the relay's own work; test/sim/tee-wire-bytes.test.ts holds it to the codec). Reports and
 * plans are flooded as one shared object: encode them once.
 */
export function teeWireBytes(msg: TeeMessage): number {
  if (msg.t === 'items') {
    let rows = 0
    for (const it of msg.items) rows += itemRowBytes(it)
    const body = rlpIntBytes(msg.epoch) + rlpHeaderBytes(rows) + rows
    return rlpxFrameBytes(rlpHeaderBytes(body) + body)
  }
  if (msg.t === 'report') {
    // RLP list of [body, signature] rows; each row's size is cached on the shared report object.
    let payload = 0
    for (const r of msg.reports) {
      let b = sizeCache.get(r)
      if (b === undefined) {
        b = encodeTeeMessage({ t: 'report', reports: [r] }).payload.length - 3
        sizeCache.set(r, b)
      }
      payload += b
    }
    return rlpxFrameBytes(payload + (payload < 56 ? 1 : payload < 256 ? 2 : payload < 65536 ? 3 : 4))
  }
  const shared = msg.t === 'plan' ? msg.plan : msg.t === 'planDelta' ? msg.delta : undefined
  if (shared !== undefined) {
    const hit = sizeCache.get(shared)
    if (hit !== undefined) return hit
  }
  const bytes = rlpxFrameBytes(encodeTeeMessage(msg).payload.length)
  if (shared !== undefined) sizeCache.set(shared, bytes)
  return bytes
}

/** Counter names per message type, built once (a template string per send was a cost of its own). */
const wireTypes = new Map<string, string>()
/** Counter name of a message: items messages hold one kind, and the node's codec gives blocks their own code. */
const teeWireType = (m: TeeMessage): string => wireType(m.t === 'items' && m.items[0]?.kind === 'block' ? 'blockItems' : m.t)
const wireType = (t: string): string => {
  let w = wireTypes.get(t)
  if (w === undefined) wireTypes.set(t, (w = `tee/${t}`))
  return w
}

export class SimTeeNode implements SimPeerNode {
  readonly relay: TeeRelay
  private enclave: PlanningEnclave | undefined
  /** Drops every item it should forward (a host omitting), still receiving: the omission fault. */
  omitting = false
  /** With checkInvariants: run after every event this node handles (experiment.ts: the whole network's checks). */
  afterEvent: (() => void) | undefined
  refused: { peer: string; reason: string }[] = []
  /** Every plan this node adopted, in order. */
  readonly adopted: SignedPlan[] = []
  /** Blocks: txs of received compact blocks that the relay's store lacked at first receipt (the rebuild's gap). */
  missingAtRebuild = 0
  /** Blocks: txs received in BlockTxs answers. */
  blockTxsReceived = 0
  /** Blocks: compact blocks the relay abandoned (then fetched whole over eth/68). */
  blocksAbandoned = 0
  /** Blocks: reasons of peers refused over getBlockTxs / blockTxs. */
  readonly refusedOverBlocks: string[] = []
  /** Blocks: rebuilds whose tx root did not match. */
  rootMismatches = 0
  /** With blocks: the tx ids the node's pool holds, in arrival order (what it seals as proposer). */
  private readonly pool = new Set<string>()
  private readonly held: NodeChain | undefined
  private readonly sync: BlockSync | undefined
  /** The first peer that sent each block item (hex id): where an abandoned block is fetched from. */
  private readonly blockFrom = new Map<string, number>()

  constructor(
    readonly index: number,
    readonly ids: readonly string[],
    readonly attested: boolean,
    authority: RelayAuthority,
    params: Partial<TeeParams>,
    private readonly net: SimNetwork,
    private readonly tracker: ItemTracker,
    private readonly host: SimEnclaveHost,
    private readonly planDelayMs: number,
    private readonly indexOf: Map<string, number>,
    private readonly checkInvariants = false,
    private readonly blocks?: SimBlocks,
  ) {
    this.relay = new TeeRelay(ids[index]!, attested, { authority, verifier: blocks === undefined ? syntheticItemVerifier : simBlockVerifier(blocks) }, params)
    if (blocks !== undefined) {
      const held = (this.held = new NodeChain(blocks.chain))
      this.sync = new BlockSync(index, net, (b) => held.has(b), (_from, b) => this.importChainBlock(b))
    }
  }

  /** Tx ids in the pool, in arrival order. */
  poolKeys(): Iterable<string> {
    return this.pool
  }

  /** A block sealed here: imported, then published as a compact block item. */
  propose(b: SimBlock): void {
    this.importChainBlock(b)
    this.run(this.relay.onLocal({ kind: 'block', id: b.id, payload: b.compact }, this.net.now))
  }

  /** Blocks this node fetched whole over eth/68. */
  get blocksFetched(): number {
    return this.sync?.fetched ?? 0
  }

  private importChainBlock(b: SimBlock): void {
    if (!this.held!.import(b)) return
    const now = this.net.now
    this.blocks!.tracker.seen(b.key, this.index, now)
    for (const t of b.txs) {
      this.pool.delete(t)
      this.tracker.seen(t, this.index, now)
    }
  }

  private rtt: (p: number) => number = () => 0
  private peerAttested: (p: number) => boolean = () => false

  start(peers: Iterable<number>, rtt: (p: number) => number, attested: (p: number) => boolean): void {
    this.rtt = rtt
    this.peerAttested = attested
    for (const p of peers) this.peerUp(p)
    this.schedule()
  }

  peerUp(peer: number): void {
    this.run(this.relay.onPeerUp(this.ids[peer]!, { attested: this.peerAttested(peer), rttMs: this.rtt(peer) }, this.net.now))
  }

  publish(kind: 'tx' | 'block', id: Uint8Array, payload: Uint8Array): void {
    if (kind === 'tx' && this.held !== undefined) this.pool.add(Buffer.from(id).toString('hex'))
    this.run(this.relay.onLocal({ kind, id, payload }, this.net.now))
  }

  peerDown(peer: number): void {
    this.run(this.relay.onPeerDown(this.ids[peer]!, this.net.now))
  }

  receive(from: number, msg: unknown): void {
    if (isBlockSyncMsg(msg)) return this.sync?.handle(from, msg, (k) => this.blocks!.chain.byKey.get(k))
    const m = msg as TeeMessage
    if (m.t === 'items') {
      if (m.items[0]?.kind === 'block') this.sawBlockItems(from, m.items)
      else {
        this.tracker.receipt(this.index, m.items.length)
        if (this.tracker.perItem) for (const it of m.items) this.tracker.receiptOf(Buffer.from(it.id).toString('hex'))
      }
    } else if (m.t === 'blockTxs') this.blockTxsReceived += m.txs.length
    this.run(this.relay.onMessage(this.ids[from]!, m, this.net.now))
  }

  /** Counts, at the first copy of a block, how many of its txs the relay's store lacks (the rebuild must fetch). */
  private sawBlockItems(from: number, items: readonly WireItem[]): void {
    for (const it of items) {
      const key = Buffer.from(it.id).toString('hex')
      if (this.blockFrom.has(key) || this.relay.has(it.id)) continue
      this.blockFrom.set(key, from)
      const b = this.blocks?.chain.byKey.get(key)
      if (b !== undefined) for (const t of txIdsOf(b)) if (!this.relay.has(t)) this.missingAtRebuild++
    }
  }

  /** When the wake-up event on the queue is due (Infinity: none). Earlier deadlines supersede later events. */
  private wakeAt = Infinity

  /** Puts a wake-up on the event queue at the relay's next deadline, unless an earlier one is there already. */
  private schedule(): void {
    const t = this.relay.nextTimeout()
    if (t === undefined || t >= this.wakeAt) return
    const at = Math.max(t, this.net.now)
    this.wakeAt = at
    this.net.q.at(at, () => {
      if (this.wakeAt !== at) return
      this.wakeAt = Infinity
      if (this.net.alive[this.index]) this.run(this.relay.onTimeout(this.net.now))
    })
  }

  /** One handler per action tag, built once (fresh closures per event cost more than the simulator's own work). */
  private readonly handlers: ActionHandlers<TeeAction> = {
    send: (a) => {
      if (this.omitting && a.msg.t === 'items' && a.msg.items.every((i) => i.mode !== 'repair')) return
      const to = this.indexOf.get(a.to)!
      this.net.send(this.index, to, teeWireType(a.msg), teeWireBytes(a.msg), a.msg)
    },
    deliver: (a) => {
      const key = Buffer.from(a.item.id).toString('hex')
      this.tracker.seen(key, this.index, this.net.now)
      // The pool takes it unless a block this node imported holds it already.
      if (this.held !== undefined && !this.held.holdsTx(key)) this.pool.add(key)
    },
    importBlock: (a) => {
      const key = Buffer.from(a.id).toString('hex')
      const b = this.blocks?.chain.byKey.get(key)
      if (b === undefined) {
        // No chain (a tx-only run, or a block from a test): the tx root check passes.
        this.tracker.seen(key, this.index, this.net.now)
        return this.run(this.relay.onBlockRebuilt(a.id, true, this.net.now))
      }
      // The node's check: the rebuilt txs (each synthetic payload starts with its id) against the header's tx root.
      const ok = Buffer.compare(simTxRoot(a.txs.map((p) => p.subarray(0, 32))), headerTxRoot(a.block.header)) === 0
      if (ok) this.importChainBlock(b)
      else this.rootMismatches++
      this.run(this.relay.onBlockRebuilt(a.id, ok, this.net.now))
    },
    serveBlockTxsFromChain: (a) => {
      const b = this.blocks?.chain.byKey.get(Buffer.from(a.block).toString('hex'))
      if (b === undefined || !this.held!.has(b) || a.indexes.some((i) => b.txs[i] === undefined)) return
      const txs = a.indexes.map((i) => syntheticPayload(Buffer.from(b.txs[i]!, 'hex'), this.blocks!.chain.txBytes))
      const msg: TeeMessage = { t: 'blockTxs', block: a.block, txs }
      this.net.send(this.index, this.indexOf.get(a.peer)!, teeWireType(msg), teeWireBytes(msg), msg)
    },
    blockAbandoned: (a) => {
      this.blocksAbandoned++
      const key = Buffer.from(a.id).toString('hex')
      const b = this.blocks?.chain.byKey.get(key)
      const from = this.blockFrom.get(key)
      if (b !== undefined && from !== undefined) this.sync!.fetch(from, b)
    },
    computePlan: (a) => this.computePlan(a.epoch, a.reports, a.running),
    refused: (a) => {
      this.refused.push({ peer: a.peer, reason: a.reason })
      if (/^(getBlockTxs|blockTxs) /.test(a.what)) this.refusedOverBlocks.push(a.reason.replace(/\d+/g, 'N'))
    },
    // The relay judged the peer gone (silent): the link closes, as a node's driver closes the session; a peer that
    // was alive after all sees the disconnect. After this event, not inside it.
    disconnect: (a) => {
      const to = this.indexOf.get(a.peer)!
      this.net.q.after(0, () => this.net.linkDown(this.index, to))
    },
    planAccepted: () => {
      if (this.relay.currentPlan !== undefined) this.adopted.push(this.relay.currentPlan)
    },
  }

  private run(actions: TeeAction[]): void {
    if (actions.length > 0) runActions(actions, this.handlers)
    if (this.checkInvariants) {
      const bad = this.relay.invariants()
      if (bad.length > 0) throw new Error(`sim: node ${this.index} at t=${this.net.now}: ${bad.join('; ')}`)
      this.afterEvent?.()
    }
    if (this.net.alive[this.index]) this.schedule()
  }

  private computePlan(epoch: number, reports: SignedReport[], running: SignedPlan | undefined): void {
    this.enclave ??= inProcessPlanningEnclave((key64, challenge) => this.host.quote(key64, challenge))
    const plan = computeSignedPlanNow(this.enclave, epoch, this.relay.self, reports, this.relay.params, running, this.host.policy === undefined ? undefined : { policy: this.host.policy, now: this.net.now })
    this.net.q.after(this.planDelayMs, () => {
      if (this.net.alive[this.index]) this.run(this.relay.planComputed(plan, this.net.now))
    })
  }
}

/**
 * The simulator's item check with blocks: synthetic txs as before, blocks by the node's own check (ethItemVerifier:
 * the compact block decodes, its header passes the client's format checks, its hash is the id). A block's payload is
 * one object passed from node to node, so its verdict is kept per object: each node would repeat the same work.
 */
function simBlockVerifier(blocks: SimBlocks): ItemVerifier {
  const eth = ethItemVerifier(blocks.chain.common)
  const verdicts = new WeakMap<Uint8Array, { id: string; check: ReturnType<ItemVerifier['check']> }>()
  return {
    check(kind, id, payload) {
      if (kind === 'tx') return syntheticItemVerifier.check(kind, id, payload)
      const key = Buffer.from(id).toString('hex')
      const hit = verdicts.get(payload)
      if (hit !== undefined && hit.id === key) return hit.check
      const check = eth.check(kind, id, payload)
      verdicts.set(payload, { id: key, check })
      return check
    },
  }
}

/** A block's tx ids as bytes, made once per block for every node (so their short ids are hashed once, too). */
const blockTxIds = new WeakMap<SimBlock, Uint8Array[]>()
function txIdsOf(b: SimBlock): Uint8Array[] {
  let ids = blockTxIds.get(b)
  if (ids === undefined) blockTxIds.set(b, (ids = b.txs.map((t) => Buffer.from(t, 'hex'))))
  return ids
}
