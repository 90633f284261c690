/**
 * Drives a TeeRelay inside the simulator: actions become simulated sends; `computePlan` runs the coordinator
 * program's `plan` ecall in-process (no isolation; the key and quote are the simulated backend's, as in a node) and
 * hands the plan back after `planDelayMs`. The relay is woken at its own deadlines (`nextTimeout()`), put on the
 * network's event queue: no ticks.
 */
import { TeeRelay, type TeeAction } from '../propagation/tee/relay.ts'
import { runActions, type ActionHandlers } from '../propagation/core.ts'
import { encodeTeeMessage } from '../propagation/tee/codec.ts'
import type { SignedPlan, SignedReport, TeeMessage, WireItem } from '../propagation/tee/messages.ts'
import type { TeeParams } from '../propagation/tee/params.ts'
import { computeSignedPlanNow, type PlanningEnclave } from '../tee/plan-auth.ts'
import { inProcessPlanningEnclave } from '../tee/sim/in-process-planner.ts'
import type { RelayAuthority } from '../propagation/tee/relay.ts'
import { syntheticItemVerifier } from './synthetic-items.ts'
import type { ItemTracker } from './items.ts'
import { rlpxFrameBytes, type SimNetwork, type SimPeerNode } from './network.ts'

export interface SimEnclaveHost {
  /** Quote binding a 64-byte key and a challenge, from the simulated QE. */
  quote(key64: Uint8Array, challenge: Uint8Array): Uint8Array
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
  refused: { peer: string; reason: string }[] = []
  /** Every plan this node adopted, in order. */
  readonly adopted: SignedPlan[] = []

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
  ) {
    this.relay = new TeeRelay(ids[index]!, attested, { authority, verifier: syntheticItemVerifier }, params)
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
    this.run(this.relay.onLocal({ kind, id, payload }, this.net.now))
  }

  peerDown(peer: number): void {
    this.run(this.relay.onPeerDown(this.ids[peer]!, this.net.now))
  }

  receive(from: number, msg: unknown): void {
    const m = msg as TeeMessage
    if (m.t === 'items') {
      this.tracker.receipt(this.index, m.items.length)
      if (this.tracker.perItem) for (const it of m.items) this.tracker.receiptOf(Buffer.from(it.id).toString('hex'))
    }
    this.run(this.relay.onMessage(this.ids[from]!, m, this.net.now))
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
      this.net.send(this.index, to, wireType(a.msg.t), teeWireBytes(a.msg), a.msg)
    },
    deliver: (a) => this.tracker.seen(Buffer.from(a.item.id).toString('hex'), this.index, this.net.now),
    importBlock: (a) => {
      this.tracker.seen(Buffer.from(a.id).toString('hex'), this.index, this.net.now)
      // Simulated blocks carry no real txs: the tx root check passes.
      this.run(this.relay.onBlockRebuilt(a.id, true, this.net.now))
    },
    serveBlockTxsFromChain: () => undefined,
    blockAbandoned: () => undefined,
    computePlan: (a) => this.computePlan(a.epoch, a.reports, a.running),
    refused: (a) => void this.refused.push({ peer: a.peer, reason: a.reason }),
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
    }
    if (this.net.alive[this.index]) this.schedule()
  }

  private computePlan(epoch: number, reports: SignedReport[], running: SignedPlan | undefined): void {
    this.enclave ??= inProcessPlanningEnclave((key64, challenge) => this.host.quote(key64, challenge))
    const plan = computeSignedPlanNow(this.enclave, epoch, this.relay.self, reports, this.relay.params, running)
    this.net.q.after(this.planDelayMs, () => {
      if (this.net.alive[this.index]) this.run(this.relay.planComputed(plan, this.net.now))
    })
  }
}
