/**
 * The adapter between the patched EthereumJS client and a `Propagation`. The patches in patches/ call the methods of
 * `ClientSeam` (installed as `config.teecast`) wherever the client used to decide on its own whom to send a tx or a
 * block; this file turns those calls into `Propagation` decisions over peer ids and executes the resulting actions
 * with the client's own senders (which keep their per-peer "known" filters). It also taps the wire counters,
 * records first-seen times and duplicates, and keeps static peers dialled.
 */
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { Config } from '@ethereumjs/client/dist/esm/src/config.js'
import type { Peer } from '@ethereumjs/client/dist/esm/src/net/peer/peer.js'
import type { FullEthereumService } from '@ethereumjs/client/dist/esm/src/service/fullethereumservice.js'
import { Event } from '@ethereumjs/client/dist/esm/src/types.js'
import type { Hex, Propagation, PropagationMode, TxArrival, TxMeta } from '../propagation/interface.ts'
import { createPropagation } from '../propagation/registry.ts'
import { TeePropagation } from '../propagation/tee/propagation.ts'
import { TeeAdapter, type TeeNodeEnclave } from './tee-adapter.ts'
import { TEE_CAPABILITY, Tee } from './tee-capability.ts'
import type { Policy } from '../tee/policy.ts'
import type { TeeParams } from '../propagation/tee/params.ts'
import type { EnodeAddress } from './enode.ts'
import { messageKey, type NamedProtocol } from './message-names.ts'
import { StaticDialer } from './static-peers.ts'
import { WireStats } from './wire-stats.ts'
import { nodeIdOf } from '../../testnets/keys.ts'

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
}

export function installPropagation(config: Config, o: InstallOptions): InstalledPropagation {
  const now = o.now ?? Date.now
  const stats = new WireStats()
  const selfId = nodeIdOf(config.key)
  const tee = o.mode === 'tee' ? new TeeAdapter(config, { selfId, nodeKey: config.key, policy: o.tee?.policy, enclave: o.tee?.enclave, params: o.tee?.params ?? {}, now, onDuplicate: (kind, hash) => stats.sawItem(kind, hash, now(), true) }) : undefined
  const propagation: Propagation = tee !== undefined ? new TeePropagation((id) => tee.isTeePeer(id)) : createPropagation(o.mode)
  const dialer = new StaticDialer(selfId, o.staticPeers, now())
  let service: FullEthereumService | undefined
  let dialTimer: NodeJS.Timeout | undefined

  const peersById = (): Map<string, Peer> => new Map((service?.pool.peers ?? []).map((p) => [p.id, p]))
  const txMeta = (tx: TypedTransaction, accepted: Set<string>): TxMeta => {
    const hash = bytesToHex(tx.hash()) as Hex
    return { hash, type: tx.type, size: tx.serialize().byteLength, accepted: accepted.has(hash.slice(2)) }
  }

  const seam: ClientSeam = {
    sawTx(tx, from) {
      stats.sawItem('tx', bytesToHex(tx.hash()), now(), from !== undefined)
    },
    relayTxs(txs, accepted, via, from) {
      if (service === undefined || txs.length === 0) return
      const txPool = service.txPool
      const byHash = new Map(txs.map((tx) => [bytesToHex(tx.hash()), tx]))
      if (via === 'rpc') for (const tx of txs) stats.sawItem('tx', bytesToHex(tx.hash()), now(), false)
      // tee: accepted txs enter the broadcast here (from RPC, or from an eth-only peer); ones it has are no-ops.
      tee?.publishTxs(txs.filter((tx) => accepted.has(unprefixed(tx.hash()))))
      const peers = service.pool.peers
      const byId = new Map(peers.map((p) => [p.id, p]))
      const actions = propagation.routeTxs(
        txs.map((tx) => txMeta(tx, accepted)),
        { peers: peers.map((p) => p.id), origin: from?.id ?? 'local', via },
      )
      for (const a of actions) {
        const to = a.to.map((id) => byId.get(id)).filter((p): p is Peer => p !== undefined)
        const list = a.txs.map((m) => byHash.get(m.hash)).filter((t): t is TypedTransaction => t !== undefined)
        if (to.length === 0 || list.length === 0) continue
        if (a.kind === 'push') txPool.sendTransactions(list, to)
        else txPool.sendNewTxHashes([list.map((t) => t.type), list.map((t) => t.serialize().byteLength), list.map((t) => t.hash())], to)
      }
    },
    poolToNewPeer(peer) {
      if (service === undefined) return
      const txs: TypedTransaction[] = []
      for (const entries of service.txPool.pool.values()) for (const e of entries) txs.push(e.tx)
      const all = new Set(txs.map((t) => unprefixed(t.hash())))
      const byHash = new Map(txs.map((tx) => [bytesToHex(tx.hash()), tx]))
      for (const a of propagation.routePoolToNewPeer(txs.map((t) => txMeta(t, all)), peer.id)) {
        const list = a.txs.map((m) => byHash.get(m.hash)).filter((t): t is TypedTransaction => t !== undefined)
        if (list.length === 0) continue
        if (a.kind === 'push') service.txPool.sendTransactions(list, [peer])
        else service.txPool.sendNewTxHashes([list.map((t) => t.type), list.map((t) => t.serialize().byteLength), list.map((t) => t.hash())], [peer])
      }
    },
    selectFetch(hashes, from) {
      const byHex = new Map(hashes.map((h) => [bytesToHex(h), h]))
      return propagation
        .selectFetch([...byHex.keys()] as Hex[], from.id)
        .map((h) => byHex.get(h))
        .filter((h): h is Uint8Array => h !== undefined)
    },
    sawBlock(block, from) {
      stats.sawItem('block', bytesToHex(block.hash()), now(), from !== undefined, blockDetail(block))
    },
    routeBlock(block, from) {
      tee?.publishBlock(block)
      const peers = service?.pool.peers ?? []
      const byId = new Map(peers.map((p) => [p.id, p]))
      const out = { push: [] as Peer[], announce: [] as Peer[] }
      const actions = propagation.routeBlock(
        { hash: bytesToHex(block.hash()) as Hex, number: block.header.number },
        { peers: peers.map((p) => p.id), origin: from?.id ?? 'local' },
      )
      for (const a of actions) for (const id of a.to) {
        const p = byId.get(id)
        if (p !== undefined) out[a.kind === 'push' ? 'push' : 'announce'].push(p)
      }
      return out
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
    },
  }
  return installed
}
