/**
 * An eth/68 node in the simulator: a driver of the node's own core (src/propagation/eth/core.ts), so the simulated
 * stock, geth and flood nodes run the real rules, not a copy. The driver only translates: it carries the core's
 * messages over the simulated network with eth/68 wire sizes, keeps the node's tx pool (a set: a tx is accepted the
 * first time it arrives, unless a block it imported holds it), and wakes the core at its `nextTimeout()` deadline on
 * the virtual clock. Blocks (with a chain, chain.ts): the core's NewBlock / NewBlockHashes sends carry the block at its
 * eth/68 size; `fetch-block` fetches an announced block from the announcer (block-sync.ts), and the fetched block is
 * handled as a NewBlock from that peer, as the client does; `deliver-block` imports it (its txs leave the pool).
 *
 * Pool add time (`poolAddMs`, 0: none). The client adds a received message's txs one after another (`await
 * this.add(tx)`: sender recovery, state reads), its event loop free meanwhile, and the node's seam hands the core the
 * message and its verdicts only once every tx is judged (src/p2p/install.ts relayTxs). So a fetched hash stays pending
 * in the core through the adds: announcements of it from other peers meanwhile mark those peers as knowing it and are
 * not fetched again, and the relay that follows skips them. The driver does the same: a Transactions /
 * PooledTransactions message reaches the core txs.length * poolAddMs after it arrived. Stages of such a message:
 * arrived (counted as received) -> being added (the core has not seen it) -> handed to the core (once).
 * Invariant: the core sees each tx message exactly once, txs.length * poolAddMs after it arrived, unless the node
 * crashed meanwhile; messages that do not carry txs reach the core on arrival.
 */
import { runActions, type ActionHandlers } from '../propagation/core.ts'
import type { EthCore } from '../propagation/eth/core.ts'
import type { EthAction, EthBlock, EthMsg, EthTx } from '../propagation/eth/messages.ts'
import type { Hex } from '../propagation/interface.ts'
import type { ItemTracker } from './items.ts'
import { rlpxFrameBytes, type SimNetwork, type SimPeerNode } from './network.ts'
import { NodeChain, type SimBlock, type SimChain } from './chain.ts'
import { BlockSync, isBlockSyncMsg, newBlockHashesWireBytes, newBlockWireBytes } from './block-sync.ts'

/** The chain a node follows, and the tracker of when each node first held each block. */
export interface SimBlocks {
  chain: SimChain
  tracker: ItemTracker
}

/** eth/68 sizes: full txs at their size; an announcement entry is type (1) + size (~3) + hash (33); a request entry 33. */
function ethWireBytes(m: EthMsg): number {
  let body: number
  let reqId = 0
  switch (m.t) {
    case 'Transactions':
      body = m.txs.reduce((a, t) => a + t.size, 0)
      break
    case 'PooledTransactions':
      body = m.txs.reduce((a, t) => a + t.size, 0)
      reqId = 9
      break
    case 'NewPooledTransactionHashes':
      body = m.txs.length * 37 + 6
      break
    case 'GetPooledTransactions':
      body = m.hashes.length * 33
      reqId = 9
      break
    case 'NewBlock':
    case 'NewBlockHashes':
      throw new Error(`eth wire bytes: ${m.t} is sized by its block (newBlockWireBytes)`)
  }
  return rlpxFrameBytes(body + reqId + 3)
}

/** Counter names, built once: a template string per send cost a string and its hash in every counter lookup. */
const ETH_WIRE_TYPE: Record<EthMsg['t'], string> = {
  Transactions: 'eth/Transactions',
  PooledTransactions: 'eth/PooledTransactions',
  NewPooledTransactionHashes: 'eth/NewPooledTransactionHashes',
  GetPooledTransactions: 'eth/GetPooledTransactions',
  NewBlock: 'eth/NewBlock',
  NewBlockHashes: 'eth/NewBlockHashes',
}

export class SimEthNode implements SimPeerNode {
  /** The node's tx pool. */
  private readonly pool = new Map<Hex, EthTx>()
  /** The virtual time of the earliest wake-up queued for the core. */
  private wakeAt: number | undefined
  private readonly held: NodeChain | undefined
  private readonly sync: BlockSync | undefined

  constructor(
    readonly index: number,
    readonly core: EthCore,
    private readonly net: SimNetwork,
    private readonly tracker: ItemTracker,
    private readonly txBytes: number,
    private readonly blocks?: SimBlocks,
    /** How long the pool takes to add one received tx, ms (0: at once); see the header. */
    private readonly poolAddMs = 0,
  ) {
    if (!(poolAddMs >= 0 && Number.isFinite(poolAddMs))) throw new Error(`sim eth node ${index}: pool add time must be a finite number of ms >= 0, got ${poolAddMs}`)
    if (blocks !== undefined) {
      const held = (this.held = new NodeChain(blocks.chain))
      // A fetched block is handled as a NewBlock from the peer that served it (the client's handleNewBlock).
      this.sync = new BlockSync(index, net, (b) => held.has(b), (from, b) => this.run(this.core.onMessage(peerId(from), { t: 'NewBlock', block: ethBlock(b) }, this.net.now)))
    }
  }

  /** Tx ids in the pool, in arrival order (what a proposer seals). */
  poolKeys(): IterableIterator<string> {
    return mapIter(this.pool.keys(), (h) => h.slice(2))
  }

  /** A block sealed here: imported, then routed as the client routes a block its miner sealed. */
  propose(b: SimBlock): void {
    this.importBlock(b)
    this.run(this.core.onLocal({ kind: 'block', block: ethBlock(b) }, this.net.now))
  }

  start(peers: Iterable<number>): void {
    for (const p of peers) this.run(this.core.onPeerUp(peerId(p), { pool: [...this.pool.values()] }, this.net.now))
  }

  peerDown(peer: number): void {
    this.run(this.core.onPeerDown(peerId(peer), this.net.now))
  }

  peerUp(peer: number): void {
    this.run(this.core.onPeerUp(peerId(peer), { pool: [...this.pool.values()] }, this.net.now))
  }

  /** A tx submitted here (RPC): pooled, then published at its origin. */
  publish(hash: string): void {
    const tx: KeyedTx = { hash: `0x${hash}`, type: 2, size: this.txBytes, key: hash }
    this.pool.set(tx.hash, tx)
    this.run(this.core.onLocal({ kind: 'tx', tx }, this.net.now))
  }

  receive(from: number, msg: unknown): void {
    if (isBlockSyncMsg(msg)) return this.sync?.handle(from, msg, (k) => this.blocks!.chain.byKey.get(k))
    const m = msg as EthMsg
    if (m.t === 'Transactions' || m.t === 'PooledTransactions') {
      this.tracker.receipt(this.index, m.txs.length)
      if (this.tracker.perItem) for (const tx of m.txs) this.tracker.receiptOf(keyOf(tx))
      if (this.poolAddMs > 0 && m.txs.length > 0) {
        // The core sees the message once the pool has judged its txs (the node's seam order; see the header).
        this.addsInFlight++
        this.net.q.after(m.txs.length * this.poolAddMs, () => {
          this.addsInFlight--
          if (this.net.alive[this.index]) this.run(this.core.onMessage(peerId(from), m, this.net.now))
        })
        return
      }
    }
    this.run(this.core.onMessage(peerId(from), m, this.net.now))
  }

  /** Tx messages received and still being added to the pool (not yet seen by the core). */
  addsInFlight = 0

  /** One handler per action tag, built once (a fresh set of closures per event cost more than the rules). */
  private readonly handlers: ActionHandlers<EthAction> = {
    'send-Transactions': (a) => this.send(a.to, { t: 'Transactions', txs: a.txs }),
    'send-NewPooledTransactionHashes': (a) => this.send(a.to, { t: 'NewPooledTransactionHashes', txs: a.txs }),
    'send-GetPooledTransactions': (a) => this.send(a.to, { t: 'GetPooledTransactions', reqId: a.reqId, hashes: a.hashes }),
    'serve-PooledTransactions': (a) => {
      const txs = a.hashes.map((h) => this.pool.get(h)).filter((t): t is EthTx => t !== undefined)
      this.send(a.to, { t: 'PooledTransactions', reqId: a.reqId, txs })
    },
    'deliver-txs': (a) => {
      for (const tx of a.txs) {
        const accepted = !this.pool.has(tx.hash) && this.held?.holdsTx(keyOf(tx)) !== true
        if (accepted) {
          this.pool.set(tx.hash, tx)
          this.tracker.seen(keyOf(tx), this.index, this.net.now)
        }
        this.run(this.core.onPoolResult(tx.hash, accepted, a.from, this.net.now))
      }
    },
    'send-NewBlock': (a) => {
      const b = this.block(a.block)
      this.net.send(this.index, Number(a.to), ETH_WIRE_TYPE.NewBlock, newBlockWireBytes(this.blocks!.chain.blockBytes(b), b.number), { t: 'NewBlock', block: a.block } satisfies EthMsg)
    },
    'send-NewBlockHashes': (a) => {
      for (const eb of a.blocks) {
        const b = this.block(eb)
        this.net.send(this.index, Number(a.to), ETH_WIRE_TYPE.NewBlockHashes, newBlockHashesWireBytes(b.number), { t: 'NewBlockHashes', blocks: [eb] } satisfies EthMsg)
      }
    },
    'deliver-block': (a) => this.importBlock(this.block(a.block)),
    'fetch-block': (a) => {
      for (const eb of a.blocks) this.sync!.fetch(Number(a.from), this.block(eb))
    },
  }

  private block(eb: EthBlock): SimBlock {
    const b = this.blocks?.chain.byKey.get(eb.hash.slice(2))
    if (b === undefined) throw new Error(`sim eth node ${this.index}: block ${eb.hash.slice(0, 10)} is not on the chain`)
    return b
  }

  /** The chain takes the block (once): its txs are held now, and leave the pool (the client's removeNewBlockTxs). */
  private importBlock(b: SimBlock): void {
    if (!this.held!.import(b)) return
    const now = this.net.now
    this.blocks!.tracker.seen(b.key, this.index, now)
    const hashes = prefixedTxs(b)
    for (let i = 0; i < b.txs.length; i++) {
      this.pool.delete(hashes[i]!)
      this.tracker.seen(b.txs[i]!, this.index, now)
    }
  }

  private run(actions: EthAction[]): void {
    if (actions.length > 0) runActions(actions, this.handlers)
    this.arm()
  }

  /** Queues a wake-up at the core's next deadline, unless an earlier one is queued already. */
  private arm(): void {
    const at = this.core.nextTimeout()
    if (at === undefined || (this.wakeAt !== undefined && this.wakeAt <= at)) return
    this.wakeAt = at
    this.net.q.at(Math.max(at, this.net.now), () => {
      if (this.wakeAt === at) this.wakeAt = undefined
      if (!this.net.alive[this.index]) return
      const next = this.core.nextTimeout()
      if (next !== undefined && next <= this.net.now) this.run(this.core.onTimeout(this.net.now))
      else this.arm()
    })
  }

  /** Blocks this node fetched whole after an announcement. */
  get blocksFetched(): number {
    return this.sync?.fetched ?? 0
  }

  private send(to: string, m: EthMsg): void {
    this.net.send(this.index, Number(to), ETH_WIRE_TYPE[m.t], ethWireBytes(m), m)
  }
}

const ethBlock = (b: SimBlock): EthBlock => ({ hash: `0x${b.key}`, number: BigInt(b.number) })

/*
 * The tracker's key of a tx (its hash without 0x), and a block's tx hashes with it, made once per tx or block rather
 * than once per node: a fresh string per node and event was a string to allocate and to hash at every map lookup. A
 * simulated tx carries its key from its origin (every node is handed the same object).
 */
interface KeyedTx extends EthTx {
  readonly key: string
}
const keyOf = (tx: EthTx): string => (tx as Partial<KeyedTx>).key ?? tx.hash.slice(2)
/** Peer ids as the core names them, one string per node index (a fresh string per event was one more to hash). */
const peerIds: string[] = []
const peerId = (i: number): string => (peerIds[i] ??= String(i))
const blockTxHashes = new WeakMap<SimBlock, Hex[]>()
const prefixedTxs = (b: SimBlock): Hex[] => {
  let h = blockTxHashes.get(b)
  if (h === undefined) blockTxHashes.set(b, (h = b.txs.map((t): Hex => `0x${t}`)))
  return h
}

function* mapIter<A, B>(xs: IterableIterator<A>, f: (a: A) => B): IterableIterator<B> {
  for (const x of xs) yield f(x)
}
