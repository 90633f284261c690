/**
 * The adapter between the patched EthereumJS client and the node's eth/68 core. The patches in patches/ call the
 * methods of `ClientSeam` (installed as `config.teecast`) wherever the client used to decide on its own whom to send
 * a tx or a block; this file turns those calls into events of the `EthCore` (src/propagation/eth/core.ts, with the
 * mode's `Propagation` as its policy) and executes the actions it returns with the client's own senders (which keep
 * their per-peer "known" filters). It also taps the wire counters,
 * records first-seen times and duplicates, and keeps static peers dialled.
 */
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { Config } from '@ethereumjs/client/dist/esm/src/config.js'
import type { Peer } from '@ethereumjs/client/dist/esm/src/net/peer/peer.js'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import { Event } from '@ethereumjs/client/dist/esm/src/types.js'
import type { Hex, Propagation, PropagationMode, TxArrival } from '../propagation/interface.ts'
import { createPropagation } from '../propagation/registry.ts'
import { runActions, type ActionHandlers } from '../propagation/core.ts'
import { EthCore } from '../propagation/eth/core.ts'
import type { EthAction, EthTx } from '../propagation/eth/messages.ts'
import { TeePropagation } from '../propagation/tee/propagation.ts'
import { TeeAdapter, type TeeNodeEnclave } from './tee-adapter.ts'
import { TEE_CAPABILITY, Tee } from './tee-capability.ts'
import type { Policy } from '../tee/policy.ts'
import type { TeeParams } from '../propagation/tee/params.ts'
import type { EnodeAddress } from '../shared/enode.ts'
import { messageKey, type NamedProtocol } from './message-names.ts'
import { StaticDialer } from './static-peers.ts'
import { WireStats } from './wire-stats.ts'
import { nodeIdOf } from '../shared/keys.ts'

/** What the patched client calls. Peers are the client's Peer objects; everything else is plain data. */
export interface ClientSeam {
  /** A full tx arrived from a peer (Transactions or PooledTransactions), before the pool sees it. */
  sawTx(tx: TypedTransaction, from: Peer | undefined): void
  /** Txs were handled by the pool: relay them. `accepted` holds the unprefixed hex hashes the pool took. */
  relayTxs(txs: TypedTransaction[], accepted: Set<string>, via: TxArrival, from: Peer | undefined): void
  /** A peer joined the pool: offer it our pool. */
  poolToNewPeer(peer: Peer): void
  /** Announced hashes the pool lacks: which to fetch from `from`. */
  selectFetch(hashes: Uint8Array[], from: Peer): Uint8Array[]
  /** Extra devp2p capabilities (tee/1 in tee mode); read by patch client 008. */
  capabilities?: unknown[]
  /** Binds an extra capability's per-connection object; true = handled here (patch client 008). */
  bindCapability?(peer: Peer, protocol: unknown): boolean
  /** A full block arrived (NewBlock) or was mined here (from undefined). */
  sawBlock(block: Block, from: Peer | undefined): void
  /** Which peers get NewBlock and which NewBlockHashes. */
  routeBlock(block: Block, from: Peer | undefined): { push: Peer[]; announce: Peer[] }
}

export interface InstalledPropagation {
  readonly selfId: string
  readonly name: string
  readonly mode: PropagationMode
  readonly stats: WireStats
  readonly startedAt: number
  /** The tee/1 adapter, in tee mode. */
  readonly tee: TeeAdapter | undefined
  peerCount(): number
  attach(service: FullEthereumService): void
  detach(): void
}

interface RlpxPeerLike {
  getId(): Uint8Array
  events: { on(ev: string, fn: (...args: never[]) => void): void }
  _protocols: { protocol: NamedProtocol & { constructor: { name: string } }; offset: number; length: number }[]
}

const unprefixed = (h: Uint8Array): string => bytesToHex(h).slice(2)
const blockDetail = (b: Block) => ({ timestampSec: Number(b.header.timestamp), txHashes: () => b.transactions.map((t) => bytesToHex(t.hash())) })

export interface InstallOptions {
  name: string
  mode: PropagationMode
  staticPeers: EnodeAddress[]
  /** Injected for tests. */
  now?: () => number
  /** Where to dial a static peer; default its enode address. The link emulator returns a shaping proxy here. */
  dialTarget?: (peer: EnodeAddress) => Promise<{ host: string; port: number }>
  /** tee mode: the network's attestation policy, this node's enclave (if any) and tunables. */
  tee?: { policy: Policy | undefined; enclave: TeeNodeEnclave | undefined; params: Partial<TeeParams> }
  /**
   * Bench adversary (an omission fault): drop every tx and block relay the core decides on, in the driver's send step
   * (tee: TxItems / BlockItems not sent as repairs); requests are still served.
   */
  omitForwards?: boolean
}

export function installPropagation(config: Config, o: InstallOptions): InstalledPropagation {
  const now = o.now ?? Date.now
  const stats = new WireStats()
  const selfId = nodeIdOf(config.key)
  const tee = o.mode === 'tee' ? new TeeAdapter(config, { selfId, nodeKey: config.key, policy: o.tee?.policy, enclave: o.tee?.enclave, params: o.tee?.params ?? {}, now, onDuplicate: (kind, hash) => stats.sawItem(kind, hash, now(), true), omitForwards: o.omitForwards === true }) : undefined
  const policy: Propagation = tee !== undefined ? new TeePropagation(tee) : createPropagation(o.mode)
  // The eth/68 rules of this node: a sans-IO core (src/propagation/eth/core.ts) that the seam below drives. The
  // client still adds to its pool, sends, requests and serves; the core decides whom and what.
  const core = new EthCore(policy)
  const dialer = new StaticDialer(selfId, o.staticPeers, now())
  let service: FullEthereumService | undefined
  let dialTimer: NodeJS.Timeout | undefined
  let wake: { timer: NodeJS.Timeout; at: number } | undefined
  let lastCoreNow = -Infinity
  // The core refuses a clock that runs backwards; the wall clock can (NTP steps).
  const coreNow = (): number => (lastCoreNow = Math.max(lastCoreNow, now()))

  const peersById = (): Map<string, Peer> => new Map((service?.pool.peers ?? []).map((p) => [p.id, p]))
  const ethTx = (tx: TypedTransaction): EthTx => ({ hash: bytesToHex(tx.hash()) as Hex, type: tx.type, size: tx.serialize().byteLength })

  /** Wakes the core at its next deadline (fetch timeouts, cleanup). */
  const arm = (): void => {
    const at = core.nextTimeout()
    if (at === undefined || wake?.at === at) return
    if (wake !== undefined) clearTimeout(wake.timer)
    wake = {
      at,
      timer: setTimeout(() => {
        wake = undefined
        run(core.onTimeout(coreNow()), new Map())
      }, Math.max(0, at - now())),
    }
    wake.timer.unref()
  }

  /** What a run of actions produced for the client call that caused it. */
  interface Outcome {
    fetch: Uint8Array[]
    push: Peer[]
    announce: Peer[]
  }
  /** The client-side context of one run of actions: what it collects for the seam call, and how to find things. */
  interface RunContext {
    out: Outcome
    byId: ReadonlyMap<string, Peer>
    byHash: ReadonlyMap<string, TypedTransaction>
  }
  let ctx: RunContext = { out: { fetch: [], push: [], announce: [] }, byId: new Map(), byHash: new Map() }
  const txsOf = (list: readonly EthTx[]): TypedTransaction[] => list.map((t) => ctx.byHash.get(t.hash)).filter((t): t is TypedTransaction => t !== undefined)
  // Built once: one handler per action tag, executing with the client's own senders (which apply its known filters again).
  const omit = o.omitForwards === true
  const handlers: ActionHandlers<EthAction> = {
    'send-Transactions': (a) => {
      if (omit) return
      const peer = ctx.byId.get(a.to)
      const list = txsOf(a.txs)
      if (peer !== undefined && list.length > 0) service?.txPool.sendTransactions(list, [peer])
    },
    'send-NewPooledTransactionHashes': (a) => {
      if (omit) return
      const peer = ctx.byId.get(a.to)
      if (peer !== undefined) service?.txPool.sendNewTxHashes([a.txs.map((t) => t.type), a.txs.map((t) => t.size), a.txs.map((t) => hexToBytes(t.hash))], [peer])
    },
    // The client sends the request itself when the seam returns: hand it every hash the request keeps pending
    // (it asks for the first TX_RETRIEVAL_LIMIT, as the core does).
    'send-GetPooledTransactions': (a) => {
      const r = core.openRequests().find((x) => x.reqId === a.reqId)
      for (const h of r?.hashes ?? a.hashes) ctx.out.fetch.push(hexToBytes(h))
    },
    // The client answers GetPooledTransactions itself; the node never feeds the core one.
    'serve-PooledTransactions': () => {},
    'send-NewBlock': (a) => {
      if (omit) return
      const peer = ctx.byId.get(a.to)
      if (peer !== undefined) ctx.out.push.push(peer)
    },
    'send-NewBlockHashes': (a) => {
      if (omit) return
      const peer = ctx.byId.get(a.to)
      if (peer !== undefined) ctx.out.announce.push(peer)
    },
    // The client's handler has already added these txs; their verdicts follow in the same seam call.
    'deliver-txs': () => {},
    // The client imports the block right after routing it.
    'deliver-block': () => {},
    // The client fetches announced blocks itself (patch client 012); the node never feeds the core NewBlockHashes.
    'fetch-block': () => {},
  }
  /** Executes the core's actions; returns what they produced for the client call that caused them. */
  const run = (actions: EthAction[], byHash: ReadonlyMap<string, TypedTransaction>): Outcome => {
    const outer = ctx
    ctx = { out: { fetch: [], push: [], announce: [] }, byId: actions.length > 0 ? peersById() : new Map(), byHash }
    try {
      runActions(actions, handlers)
      return ctx.out
    } finally {
      ctx = outer
      arm()
    }
  }

  /** Keeps the core's peers equal to the client's pool: removals, and any peer whose POOL_PEER_ADDED it missed. */
  const syncPeers = (): void => {
    if (service === undefined) return
    const pool = peersById()
    const t = coreNow()
    for (const id of core.connected()) if (!pool.has(id)) core.onPeerDown(id, t)
    for (const id of pool.keys()) if (!core.connected().includes(id)) run(core.onPeerUp(id, { pool: [] }, t), new Map())
  }

  // The core's peers follow the client's pool as it changes, so that its order (which the split rules use) stays
  // the pool's: a peer that drops and comes back goes to the end of both.
  const onPoolPeerRemoved = (peer: Peer): void => {
    run(core.onPeerDown(peer.id, coreNow()), new Map())
  }
  config.events.on(Event.POOL_PEER_REMOVED, onPoolPeerRemoved)

  const seam: ClientSeam = {
    sawTx(tx, from) {
      stats.sawItem('tx', bytesToHex(tx.hash()), now(), from !== undefined)
    },
    relayTxs(txs, accepted, via, from) {
      if (service === undefined) return
      if (via === 'rpc') for (const tx of txs) stats.sawItem('tx', bytesToHex(tx.hash()), now(), false)
      // tee: a tx enters the broadcast at its origin: RPC, or an eth-only peer. One that came over tee/1 is in it.
      if (tee !== undefined && (from === undefined || !tee.isTeePeer(from.id))) tee.publishLocalTxs(txs.filter((tx) => accepted.has(unprefixed(tx.hash()))))
      syncPeers()
      const t = coreNow()
      const byHash = new Map(txs.map((tx) => [bytesToHex(tx.hash()), tx]))
      const list = txs.map(ethTx)
      if (via === 'rpc' || from === undefined) {
        for (const x of list) if (accepted.has(x.hash.slice(2))) run(core.onLocal({ kind: 'tx', tx: x }, t), byHash)
        return
      }
      // The client calls this after its pool has judged every tx of the message: feed the message, then the
      // verdicts. A fetch answer is fed even when empty, so that it ends its request.
      run(core.onMessage(from.id, via === 'push' ? { t: 'Transactions', txs: list } : { t: 'PooledTransactions', txs: list }, t), byHash)
      for (const x of list) run(core.onPoolResult(x.hash, accepted.has(x.hash.slice(2)), from.id, t), byHash)
    },
    poolToNewPeer(peer) {
      const txs: TypedTransaction[] = []
      for (const entries of service?.txPool.pool.values() ?? []) for (const e of entries) txs.push(e.tx)
      run(core.onPeerUp(peer.id, { pool: txs.map(ethTx) }, coreNow()), new Map(txs.map((tx) => [bytesToHex(tx.hash()), tx])))
    },
    selectFetch(hashes, from) {
      syncPeers()
      return run(core.onMessage(from.id, { t: 'NewPooledTransactionHashes', txs: hashes.map((h) => ({ hash: bytesToHex(h) as Hex })) }, coreNow()), new Map()).fetch
    },
    sawBlock(block, from) {
      stats.sawItem('block', bytesToHex(block.hash()), now(), from !== undefined, blockDetail(block))
    },
    routeBlock(block, from) {
      // tee: a block enters the broadcast where it was sealed, or from an eth-only peer; not one that came over tee/1.
      if (tee !== undefined && (from === undefined || !tee.isTeePeer(from.id))) tee.publishLocalBlock(block)
      syncPeers()
      const b = { hash: bytesToHex(block.hash()) as Hex, number: block.header.number }
      const t = coreNow()
      const out = run(from === undefined ? core.onLocal({ kind: 'block', block: b }, t) : core.onMessage(from.id, { t: 'NewBlock', block: b }, t), new Map())
      return { push: out.push, announce: out.announce }
    },
  }
  if (tee !== undefined) {
    seam.capabilities = [TEE_CAPABILITY]
    seam.bindCapability = (peer, protocol) => {
      if (!(protocol instanceof Tee)) return false
      tee.bind(peer.id, protocol)
      return true
    }
  }
  ;(config as Config & { teecast?: ClientSeam }).teecast = seam

  const tapWire = (rlpxPeer: RlpxPeerLike): void => {
    const peer = unprefixed(rlpxPeer.getId()).slice(0, 8)
    const count = (direction: 'in' | 'out') => (code: number, bytes: number) => {
      let key: string
      if (code < 16) key = messageKey('p2p', code)
      else {
        const p = rlpxPeer._protocols.find((x) => code >= x.offset && code < x.offset + x.length)
        key = p === undefined ? `unknown/code${code}` : messageKey(p.protocol.constructor.name.toLowerCase(), code - p.offset, p.protocol)
      }
      stats.count(key, direction, bytes)
      stats.countPeer(peer, direction, bytes)
    }
    rlpxPeer.events.on('wire:in', count('in'))
    rlpxPeer.events.on('wire:out', count('out'))
  }

  // Blocks a sync fetcher stored never pass handleNewBlock: record them here too, so first-seen covers every block
  // that came over the wire, whichever path brought it.
  config.events.on(Event.SYNC_FETCHED_BLOCKS, (blocks: Block[]) => {
    for (const b of blocks) stats.sawItem('block', bytesToHex(b.hash()), now(), true, blockDetail(b))
  })

  // The RLPx instance exists once the server listens, before it can accept a connection: tap every peer from there.
  config.events.on(Event.SERVER_LISTENING, () => {
    const rlpx = (config.server as unknown as { rlpx: { events: { on(ev: 'peer:added', fn: (p: RlpxPeerLike) => void): void } } | null })?.rlpx
    rlpx?.events.on('peer:added', tapWire)
  })

  const dialDue = (): void => {
    const rlpx = (config.server as unknown as { rlpx: { connect(p: { id: Uint8Array; address: string; tcpPort: number }): Promise<void> } | null })?.rlpx
    if (rlpx === null || rlpx === undefined) return
    const connected = new Set(peersById().keys())
    for (const p of dialer.due(now(), connected)) {
      const target = o.dialTarget?.(p) ?? Promise.resolve({ host: p.host, port: p.port })
      target
        .then((t) => rlpx.connect({ id: hexToBytes(`0x${p.id}`), address: t.host, tcpPort: t.port }))
        .then(() => dialer.dialed(p.id, true, now()))
        .catch((err: Error) => {
          config.logger?.debug(`static dial to ${p.id.slice(0, 8)}@${p.host}:${p.port} failed: ${err.message}`)
          dialer.dialed(p.id, false, now())
        })
    }
  }
  // A failed GetPooledTransactions (timeout, bad answer) ends without a seam call, after the client released its
  // hashes: end the core's oldest open request to that peer too. Ending one early is harmless here, because the
  // client drops hashes it still has pending before the core sees them.
  const onProtocolError = (_err: unknown, peer: Peer | undefined): void => {
    if (peer !== undefined) run(core.onMessage(peer.id, { t: 'PooledTransactions', txs: [] }, coreNow()), new Map())
  }
  const onDisconnect = (peer: Peer): void => {
    dialer.disconnected(peer.id, now())
    tee?.peerGone(peer.id)
  }

  const installed: InstalledPropagation = {
    selfId,
    name: o.name,
    mode: o.mode,
    stats,
    startedAt: now(),
    tee,
    peerCount: () => service?.pool.peers.length ?? 0,
    attach(s) {
      service = s
      tee?.attach(s)
      config.events.on(Event.PEER_DISCONNECTED, onDisconnect)
      config.events.on(Event.PROTOCOL_ERROR, onProtocolError)
      if (dialer.dialTargets > 0) {
        dialDue()
        dialTimer = setInterval(dialDue, 250)
      }
    },
    detach() {
      tee?.detach()
      if (dialTimer !== undefined) clearInterval(dialTimer)
      dialTimer = undefined
      config.events.off(Event.PEER_DISCONNECTED, onDisconnect)
      config.events.off(Event.PROTOCOL_ERROR, onProtocolError)
      config.events.off(Event.POOL_PEER_REMOVED, onPoolPeerRemoved)
      if (wake !== undefined) clearTimeout(wake.timer)
      wake = undefined
    },
  }
  return installed
}
