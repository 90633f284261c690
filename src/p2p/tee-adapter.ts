/**
 * The devp2p driver of the tee/1 relay: it translates, the core (relay.ts) decides. It holds a session per connection
 * (the hello: status with a fresh challenge, then the quote binding our node id and the peer's challenge, verified
 * against the network's policy), the codec binding (frames <-> relay messages; a malformed frame or a bad quote
 * disconnects that peer with the reason logged), one timer at the relay's next deadline, and the bridge into the
 * client: delivered txs enter the pool through the client's own Transactions handler (known-by-peer filter,
 * duplicate counters, eth relay to eth-only peers; parked until the pool runs), decoded and added a slice of the event
 * loop at a time (DELIVERY_SLICE_MS) so a frame of big txs does not hold RPC and the sealer, and blocks the core rebuilt are
 * assembled, checked against their tx root (the verdict goes back to the core) and handed to the client's NewBlock
 * handler, one at a time.
 */
import { randomBytes } from 'node:crypto'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { createTxFromRLP } from '@ethereumjs/tx'
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Config } from '@ethereumjs/client/dist/esm/src/config.js'
import type { Peer } from '@ethereumjs/client/dist/esm/src/net/peer/peer.js'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import { decodeTeeMessage, encodeTeeMessage, TEE_PROTOCOL_VERSION, type AnyTeeMessage } from '../propagation/tee/codec.ts'
import { TeeRelay, type TeeAction } from '../propagation/tee/relay.ts'
import { ethItemVerifier } from '../propagation/tee/item-verifier.ts'
import { runActions } from '../propagation/core.ts'
import type { TeeParams } from '../propagation/tee/params.ts'
import { NEW_PEER_BACKLOG_MS, UNATTESTED_LINK_AGE_MS } from '../propagation/tee/constants.ts'
import type { WireItem } from '../propagation/tee/messages.ts'
import { relayAuthority, computeSignedPlan } from '../tee/plan-auth.ts'
import type { Policy } from '../tee/policy.ts'
import type { TeeNodeEnclave } from '../tee/node-enclave.ts'
import { verifyQuote } from '../tee/verifier.ts'
import { assembleBlock, encodeCompactBlock, type CompactBlock } from '../propagation/tee/compact-block.ts'
import type { Tee } from './tee-capability.ts'

const DISCONNECT_SUBPROTOCOL_ERROR = 0x10
/** While txs wait for the pool to start, the adapter looks again this often (ms): the client has no start event. */
const PARKED_RECHECK_MS = 50
/** Txs kept for a pool that has not started yet; the oldest go first beyond this. */
const PARKED_TXS_LIMIT = 4_096
/**
 * Delivered txs are decoded and handed to the pool in turns of the event loop of at most this much time (ms): one
 * frame of 16 txs of 120 KB was one 0.5 s task (decode, hashes, sender recovery), which held back RPC and the sealer.
 */
const DELIVERY_SLICE_MS = 10

export type { TeeNodeEnclave } from '../tee/node-enclave.ts'

export interface TeeAdapterOptions {
  selfId: string
  nodeKey: Uint8Array
  /** The network's attestation policy; without one no peer can be attested (all tee/1 peers are leaves). */
  policy: Policy | undefined
  /** This node's enclave; without one it is an unattested tee/1 node. */
  enclave: TeeNodeEnclave | undefined
  params: Partial<TeeParams>
  now: () => number
  /** Counts full payloads the relay already held (they never reach the pool, whose handler counts the rest). */
  onDuplicate?: (kind: 'tx' | 'block', hash: string) => void
  /** Bench adversary: items are not forwarded (answers to pulls still go out), as the simulator's omitting host. */
  omitForwards?: boolean
}

interface Session {
  id: string
  proto: Tee
  challenge: Uint8Array
  statusSentAt: number
  up: boolean
  /** When bytes from the peer's socket were last reported to the relay as a sign of life (LINK_ACTIVE_EVERY_MS). */
  bytesSeenAt: number
  /** Stops the socket watch (peerGone). */
  unwatch: () => void
  /** A session with this peer had come up before this one was bound. */
  seenBefore: boolean
}

/**
 * A peer that agreed on tee/1 gets its txs there, not over eth/68, for this long before its hello completes (ms);
 * past it, until the hello is done, it counts as an eth peer again, so a peer whose tee/1 never comes up still gets
 * txs. It is the backlog a new link is digested once up, so nothing sent meanwhile misses a new peer either.
 */
export const HELLO_GRACE_MS = NEW_PEER_BACKLOG_MS

/** Peers remembered as having had a tee/1 session (hadSession); the oldest is forgotten first. */
const SEEN_PEERS_LIMIT = 1_024

/** Bytes arriving on a peer's socket are reported to the relay's liveness at most this often (ms). */
const LINK_ACTIVE_EVERY_MS = 250

/** The relay's check decodes a tx item into a tx object (item-verifier.ts); anything else is decoded here. */
const isDecodedTx = (d: unknown): d is TypedTransaction => typeof d === 'object' && d !== null && typeof (d as { serialize?: unknown }).serialize === 'function' && typeof (d as { hash?: unknown }).hash === 'function'

export class TeeAdapter {
  readonly relay: TeeRelay
  private readonly sessions = new Map<string, Session>()
  /** Peers whose tee/1 session came up, oldest first (bounded: junk leaves dial with a fresh key each time). */
  private readonly seenPeers = new Set<string>()
  /**
   * Txs delivered while the client's pool was not running (it starts once the node is in sync). The client drops
   * what reaches a stopped pool, and the relay, which holds them, never fetches them again: they wait here instead.
   */
  private readonly parkedTxs: { tx: TypedTransaction; from: string }[] = []
  /** Txs the relay delivered, not yet decoded and handed to the pool (drained DELIVERY_SLICE_MS at a time). */
  private deliveries: { item: WireItem; from: string; decoded?: unknown }[] = []
  private deliveriesAt = 0
  private draining: NodeJS.Immediate | undefined
  private service: FullEthereumService | undefined
  /** The one wake-up timer, set to the earliest deadline (the relay's nextTimeout, or a parked-tx recheck). */
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity

  constructor(
    private readonly config: Config,
    private readonly o: TeeAdapterOptions,
  ) {
    // The enclave's quote also rides in a report that must vouch for itself (an attested group no attested link joins).
    const enclave = o.enclave
    const authority = relayAuthority(o.policy, o.nodeKey, new Uint8Array(Buffer.from(o.selfId, 'hex')), enclave === undefined ? undefined : (id, challenge) => enclave.quote(id, challenge))
    // A node has a pool: txs from peers are forwarded only once it admitted them (admission before forward); and
    // unattested peers are reported once their link has lasted (junk leaves stay out of plans). The params may say
    // otherwise.
    this.relay = new TeeRelay(o.selfId, o.enclave !== undefined && o.policy !== undefined, { authority, verifier: ethItemVerifier(config.chainCommon) }, { admitTxs: 1, unattestedLinkAgeMs: UNATTESTED_LINK_AGE_MS, ...o.params })
  }

  /** The peer's tee/1 hello is done: what it sends over tee/1 is in the broadcast already. */
  isTeePeer(id: string): boolean {
    return this.sessions.get(id)?.up === true
  }

  /**
   * Txs to this peer go over tee/1, not eth/68: its hello is done, or it agreed on tee/1 less than HELLO_GRACE_MS ago
   * and the hello is under way. What the relay sends a peer once it is up covers the items of its hello (repair
   * digests from before it came up). Counted only once the hello was done, a peer on a backlogged link had its
   * hello take seconds, and every reconnect re-announced the whole pool to it over eth/68 and fetched it back.
   */
  carriesTxs(id: string): boolean {
    const s = this.sessions.get(id)
    return s !== undefined && (s.up || this.o.now() - s.statusSentAt < HELLO_GRACE_MS)
  }

  /** A tee/1 session with this peer came up before the current one (the last SEEN_PEERS_LIMIT peers are kept). */
  hadSession(id: string): boolean {
    return this.sessions.get(id)?.seenBefore === true
  }

  attach(service: FullEthereumService): void {
    this.service = service
    this.reschedule()
  }

  detach(): void {
    if (this.draining !== undefined) clearImmediate(this.draining)
    this.draining = undefined
    this.deliveries = []
    this.deliveriesAt = 0
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
    this.service = undefined
  }

  /** The earliest time something here is due: the relay's deadline, or a parked-tx recheck. */
  private nextDeadline(): number {
    let at = this.relay.nextTimeout() ?? Infinity
    if (this.parkedTxs.length > 0) at = Math.min(at, this.o.now() + PARKED_RECHECK_MS)
    return at
  }

  /** Sets the wake-up timer to the earliest deadline, unless it is set to an earlier one already (that wake re-arms it). */
  private reschedule(): void {
    if (this.service === undefined) return
    const at = this.nextDeadline()
    if (at === Infinity || (this.timer !== undefined && this.timerAt <= at)) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      this.tick()
      this.reschedule()
    }, Math.max(0, at - this.o.now()))
  }

  private log(level: 'debug' | 'info' | 'warn', msg: string): void {
    this.config.logger?.[level](`tee/1: ${msg}`)
  }

  /** A connection agreed on tee/1: start the hello. `peerId` is the remote devp2p id (hex, no 0x). */
  bind(peerId: string, proto: Tee): void {
    const s: Session = { id: peerId, proto, challenge: new Uint8Array(randomBytes(32)), statusSentAt: this.o.now(), up: false, bytesSeenAt: -Infinity, unwatch: () => {}, seenBefore: this.seenPeers.has(peerId) }
    // Any bytes on the link are a sign of life: a frame still arriving is not silence (relay.linkActive).
    const socket = proto.peer._socket
    if (socket !== undefined) {
      const onData = (): void => {
        const now = this.o.now()
        if (!s.up || now - s.bytesSeenAt < LINK_ACTIVE_EVERY_MS || this.sessions.get(s.id) !== s) return
        s.bytesSeenAt = now
        this.relay.linkActive(s.id, now)
      }
      socket.on('data', onData)
      s.unwatch = () => socket.off('data', onData)
    }
    this.sessions.set(peerId, s)
    // Our status goes first: frames that arrived before binding (the peer's status) are answered after it.
    this.send(s, { t: 'status', version: TEE_PROTOCOL_VERSION, challenge: s.challenge, hasEnclave: this.o.enclave !== undefined })
    proto.onFrame((code, payload) => this.onFrame(s, code, payload))
  }

  peerGone(peerId: string): void {
    const s = this.sessions.get(peerId)
    if (s === undefined) return
    this.sessions.delete(peerId)
    s.unwatch()
    if (s.up) this.run(this.relay.peerDown(peerId, this.o.now()))
  }

  /** Txs that start here (RPC) or come from an eth-only peer, admitted by the pool: they enter the broadcast. */
  publishLocalTxs(txs: readonly TypedTransaction[]): void {
    const now = this.o.now()
    for (const tx of txs) this.run(this.relay.onLocal({ kind: 'tx', id: tx.hash(), payload: tx.serialize() }, now))
  }

  /** A block sealed here (or from an eth-only peer): it enters the broadcast as a compact block. */
  publishLocalBlock(block: Block): void {
    if (this.relay.has(block.hash())) return
    this.run(this.relay.onLocal({ kind: 'block', id: block.hash(), payload: encodeCompactBlock(block) }, this.o.now()))
  }

  private tick(): void {
    this.run(this.relay.onTimeout(this.o.now()))
    if (this.parkedTxs.length > 0 && this.service?.txPool.running === true) this.unparkTxs(this.service)
  }

  private send(s: Session, m: AnyTeeMessage): void {
    const { code, payload } = encodeTeeMessage(m)
    s.proto.send(code, payload)
  }

  /** Stops reading the peer's socket for `ms`: its frames wait in its own TCP send buffer, costing this node nothing. */
  private pauseReading(s: Session, ms: number): void {
    const socket = s.proto.peer._socket
    if (socket === undefined || socket.destroyed) return
    socket.pause()
    setTimeout(() => {
      if (!socket.destroyed) socket.resume()
    }, ms).unref()
  }

  private drop(s: Session, reason: string): void {
    this.log('warn', `disconnecting ${s.id.slice(0, 8)}: ${reason}`)
    this.peerGone(s.id)
    s.proto.peer.disconnect(DISCONNECT_SUBPROTOCOL_ERROR)
  }

  private onFrame(s: Session, code: number, payload: Uint8Array): void {
    if (this.sessions.get(s.id) !== s) return
    let m: AnyTeeMessage
    try {
      m = decodeTeeMessage(code, payload)
    } catch (e) {
      return this.drop(s, `malformed message (code 0x${code.toString(16)}): ${(e as Error).message}`)
    }
    const now = this.o.now()
    switch (m.t) {
      case 'status': {
        if (m.version !== TEE_PROTOCOL_VERSION) return this.drop(s, `tee/1 version ${m.version} unsupported`)
        const quote = this.o.enclave?.quote(new Uint8Array(Buffer.from(this.o.selfId, 'hex')), m.challenge) ?? new Uint8Array()
        this.send(s, { t: 'attest', quote })
        return
      }
      case 'attest': {
        if (s.up) return this.drop(s, 'second attest')
        let attested = false
        if (m.quote.length > 0 && this.o.policy !== undefined) {
          const v = verifyQuote(m.quote, { policy: this.o.policy, nodePublicKey: new Uint8Array(Buffer.from(s.id, 'hex')), challenge: s.challenge, now })
          // A quote that does not verify is worse than none: the peer claims an enclave it cannot prove.
          if (!v.ok) return this.drop(s, `quote refused: ${v.reason} (${v.detail})`)
          attested = true
        }
        s.up = true
        this.seenPeers.delete(s.id)
        this.seenPeers.add(s.id)
        if (this.seenPeers.size > SEEN_PEERS_LIMIT) this.seenPeers.delete(this.seenPeers.values().next().value!)
        this.log('debug', `peer ${s.id.slice(0, 8)} up (${attested ? 'attested' : 'unattested'}), rtt ${now - s.statusSentAt} ms`)
        this.run(this.relay.peerUp(s.id, { attested, rttMs: now - s.statusSentAt }, now))
        return
      }
      default:
        if (!s.up) return this.drop(s, `${m.t} before the hello completed`)
        if (m.t === 'items' && this.o.onDuplicate !== undefined) for (const i of m.items) if (this.relay.has(i.id)) this.o.onDuplicate(i.kind, bytesToHex(i.id))
        this.run(this.relay.receive(s.id, m, now))
    }
  }

  private run(actions: TeeAction[]): void {
    runActions(actions, {
      send: (a) => {
        if (this.o.omitForwards === true && a.msg.t === 'items' && a.msg.items.every((i) => i.mode !== 'repair')) return
        const s = this.sessions.get(a.to)
        if (s?.up === true) this.send(s, a.msg)
      },
      deliver: (a) => this.queueDelivery(a.item, a.from, a.decoded),
      importBlock: (a) => void this.importBlock(a.block, a.txs, a.id, a.from),
      serveBlockTxsFromChain: (a) => void this.serveBlockTxsFromChain(a.peer, a.block, a.indexes),
      blockAbandoned: (a) => this.log('info', `gave up rebuilding block ${bytesToHex(a.id).slice(0, 10)}: ${a.reason}`),
      computePlan: (a) => {
        const enclave = this.o.enclave
        if (enclave === undefined) return
        this.log('info', `coordinating epoch ${a.epoch} from ${a.reports.length} reports`)
        computeSignedPlan(enclave.planner, a.epoch, this.o.selfId, a.reports, this.relay.params, a.running, this.o.policy === undefined ? undefined : { policy: this.o.policy, now: this.o.now() })
          .then((plan) => this.run(this.relay.planComputed(plan, this.o.now())))
          .catch((e: Error) => this.log('warn', `planning epoch ${a.epoch} failed: ${e.message}`))
      },
      planAccepted: (a) => this.log('info', `plan for epoch ${a.epoch} by ${a.coordinator.slice(0, 8)} accepted`),
      refused: (a) => {
        this.log('warn', `refused ${a.what} from ${a.peer.slice(0, 8)}: ${a.reason}`)
        const s = this.sessions.get(a.peer)
        if (a.disconnect && s !== undefined) this.drop(s, a.reason)
        else if (a.pauseMs !== undefined && s !== undefined) this.pauseReading(s, a.pauseMs)
      },
      disconnect: (a) => {
        const s = this.sessions.get(a.peer)
        if (s !== undefined) this.drop(s, a.reason)
      },
    })
    this.reschedule()
  }

  private clientPeer(id: string): Peer | undefined {
    return this.service?.pool.peers.find((p) => p.id === id)
  }

  private queueDelivery(item: WireItem, from: string, decoded: unknown): void {
    this.deliveries.push({ item, from, decoded })
    this.draining ??= setImmediate(() => this.drainDeliveries())
  }

  /** In arrival order, until the slice is used up; the rest waits for the next turn (after I/O and timers). */
  private drainDeliveries(): void {
    this.draining = undefined
    const until = performance.now() + DELIVERY_SLICE_MS
    while (this.deliveriesAt < this.deliveries.length) {
      const d = this.deliveries[this.deliveriesAt++]!
      this.deliverTx(d.item, d.from, d.decoded)
      if (performance.now() >= until) break
    }
    if (this.deliveriesAt < this.deliveries.length) {
      this.draining = setImmediate(() => this.drainDeliveries())
    } else {
      this.deliveries = []
      this.deliveriesAt = 0
    }
  }

  private deliverTx(item: WireItem, from: string, decoded: unknown): void {
    const service = this.service
    // A tee/1 session whose client peer is not (yet, or any more) in the pool: the tx enters through another peer.
    const peer = this.clientPeer(from) ?? service?.pool.peers[0]
    if (service === undefined || peer === undefined) return this.verdict(item.id, false, from, false)
    // The relay checked the item (payload decodes, hashes to its id) before delivering it, and its check hands over
    // the tx it decoded (item-verifier.ts), hash known: decoding and hashing a 120 KB tx again would cost ~1 ms.
    let tx: TypedTransaction
    try {
      tx = isDecodedTx(decoded) ? decoded : (createTxFromRLP(item.payload, { common: this.config.chainCommon }) as TypedTransaction)
    } catch (e) {
      this.log('warn', `tx ${bytesToHex(item.id).slice(0, 10)} passed the relay's check but does not decode: ${(e as Error).message}`)
      return this.verdict(item.id, false, from, false)
    }
    if (!service.txPool.running) {
      if (this.parkedTxs.length >= PARKED_TXS_LIMIT) this.parkedTxs.shift()
      this.parkedTxs.push({ tx, from })
      return
    }
    this.addToPool(service, tx, peer, from)
  }

  /**
   * The client's Transactions handler: known-by-peer, duplicate counters, pool add, and the eth relay (which the tee
   * Propagation limits to eth-only peers). Errors are the pool's (nonce, funds) and are logged there. Then the verdict
   * goes back to the relay, which forwards only what the pool holds (params.admitTxs).
   */
  private addToPool(service: FullEthereumService, tx: TypedTransaction, peer: Peer, from: string): void {
    service.txPool
      .handleAnnouncedTxs([tx], peer, service.pool)
      .catch((e: Error) => this.log('debug', `pool: ${e.message}`))
      .then(() => {
        const { admitted, hostile } = poolVerdict(service, tx)
        this.verdict(tx.hash(), admitted, from, hostile)
      })
      .catch((e: Error) => this.log('warn', `pool verdict: ${e.message}`))
  }

  private verdict(id: Uint8Array, admitted: boolean, from: string, hostile: boolean): void {
    this.run(this.relay.onPoolResult(bytesToHex(id), admitted, from, this.o.now(), hostile))
  }

  /** The pool runs now: hand it the txs that arrived before (from a peer that is gone: from any peer). */
  private unparkTxs(service: FullEthereumService): void {
    const parked = this.parkedTxs.splice(0)
    this.log('info', `pool started: adding ${parked.length} txs that arrived before`)
    for (const { tx, from } of parked) {
      const peer = this.clientPeer(from) ?? service.pool.peers[0]
      if (peer === undefined) {
        this.verdict(tx.hash(), false, from, false)
        continue
      }
      this.addToPool(service, tx, peer, from)
    }
  }

  /** Txs of a block the relay no longer holds: from the chain, if this node imported it. */
  private async serveBlockTxsFromChain(peer: string, blockHash: Uint8Array, indexes: number[]): Promise<void> {
    let txs: (Uint8Array | undefined)[]
    try {
      const block = await this.service?.chain.getBlock(blockHash)
      txs = indexes.map((i) => block?.transactions[i]?.serialize())
    } catch {
      return // unknown block: the requester falls back to eth sync
    }
    const s = this.sessions.get(peer)
    if (s?.up === true && txs.length > 0 && txs.every((t): t is Uint8Array => t !== undefined)) this.send(s, { t: 'blockTxs', block: blockHash, txs })
  }

  /** Imports run one at a time: block N+1 arriving while N is still importing would look "too far ahead" and drop. */
  private importQueue: Promise<void> = Promise.resolve()

  private importBlock(cb: CompactBlock, txs: Uint8Array[], id: Uint8Array, from: string): Promise<void> {
    this.importQueue = this.importQueue.then(() => this.importNow(cb, txs, id, from)).catch((e: Error) => this.log('warn', `import: ${e.message}`))
    return this.importQueue
  }

  private async importNow(cb: CompactBlock, txs: Uint8Array[], id: Uint8Array, from: string): Promise<void> {
    const service = this.service
    const peer = this.clientPeer(from)
    if (service === undefined) return
    let block: Block
    try {
      block = assembleBlock(cb, txs, this.config.chainCommon)
    } catch (e) {
      this.log('warn', `compact block ${bytesToHex(id).slice(0, 10)} did not assemble: ${(e as Error).message}`)
      // As a wrong tx root: a colliding short id may have picked a tx that does not fit; the relay refetches.
      return void this.run(this.relay.onBlockRebuilt(id, false, this.o.now()))
    }
    if (!equalsBytes(block.hash(), id)) {
      const s = this.sessions.get(from)
      if (s !== undefined) this.drop(s, `compact block id ${bytesToHex(id).slice(0, 10)} does not match its header`)
      return
    }
    const rootOk = await block.transactionsTrieIsValid()
    // A wrong root: a short-id collision picked a wrong tx; the relay fetches them all from the sender once.
    this.run(this.relay.onBlockRebuilt(id, rootOk, this.o.now()))
    if (!rootOk) return
    const height = service.chain.headers.height
    if (block.header.number <= height) {
      // A competing block at our height (two Clique signers sealed the same number): store it, so that the heavier
      // branch becomes canonical, as the client does for an announced sibling (patch client 017). Older: ignore.
      const latest = service.chain.headers.latest
      if (block.header.number === height && latest !== null && !equalsBytes(latest.hash(), block.hash())) {
        await service.chain.putBlocks([block]).catch((e: Error) => this.log('warn', `storing sibling ${bytesToHex(id).slice(0, 10)}: ${e.message}`))
        // As after any import (client handleNewBlock): the pool may start now that the node is in sync.
        service.txPool.checkRunState()
      }
      return
    }
    // The client ignores a block beyond height + 1 (it cannot validate it); the sync loop must fetch the gap.
    if (block.header.number > height + 1n) this.log('info', `block ${block.header.number} is ahead of our height ${height}: left to eth/68 sync`)
    const sync = service.synchronizer as { handleNewBlock?(b: Block, p?: Peer): Promise<void> } | undefined
    await sync?.handleNewBlock?.(block, peer).catch((e: Error) => this.log('warn', `import of ${bytesToHex(id).slice(0, 10)}: ${e.message}`))
    // Only a block we could not import tells the sync loop that this peer is ahead. Noting it before the import
    // (as the NewBlock handler does) let the 1 s sync tick and the 5 s head poll see a peer "ahead" while the import
    // ran: they fetched its head over eth/68, and a fetcher re-fetched the last blocks (headers and bodies) that
    // had just arrived as compact blocks: 146 B per node per tx in the 8-node bench, more than the compact blocks.
    if (block.header.number > service.chain.headers.height) noteBestHeaderOf(service, peer, block)
  }
}

/**
 * The pool's verdict on a tx it was just handed: admitted iff the pool holds it now (also when it held it already,
 * from an eth/68 peer: the add then fails as a duplicate, yet the tx is valid). Hostile iff its signature does not
 * recover (or it is unsigned): invalid whatever the chain state, so no honest node forwards it. Funds, nonce, fee and
 * pool-full refusals depend on this node's state and are not hostile.
 */
function poolVerdict(service: FullEthereumService, tx: TypedTransaction): { admitted: boolean; hostile: boolean } {
  let sender: string
  try {
    if (!tx.isSigned()) return { admitted: false, hostile: true }
    sender = tx.getSenderAddress().toString().slice(2)
  } catch {
    return { admitted: false, hostile: true }
  }
  const hash = bytesToHex(tx.hash()).slice(2)
  const pooled = service.txPool.pool.get(sender)
  return { admitted: pooled?.some((o) => o.hash === hash) === true, hostile: false }
}

/**
 * Tells the client's sync loop that `peer` holds `block` (what the eth NewBlock handler does, patch client 004): if
 * this node misses a block it falls behind, and without a fresher peer td the catch-up never starts. The td is a
 * lower bound (Clique difficulty >= 1 per block), as for NewBlockHashes.
 */
function noteBestHeaderOf(service: FullEthereumService, peer: Peer | undefined, block: Block): void {
  const eth = peer?.eth as { status?: { td: bigint; bestHash: Uint8Array }; updatedBestHeader?: unknown } | undefined
  if (eth?.status === undefined) return
  const ahead = block.header.number - service.chain.headers.height
  if (ahead <= 0n) return
  const td = service.chain.blocks.td + ahead
  if (td > eth.status.td) {
    eth.status = { ...eth.status, td, bestHash: block.hash() }
    eth.updatedBestHeader = block.header
  }
}


