/**
 * An eth/68 node in the simulator: a driver of the node's own core (src/propagation/eth/core.ts), so the simulated
 * stock, geth and flood nodes run the real rules, not a copy. The driver only translates: it carries the core's
 * messages over the simulated network with eth/68 wire sizes, keeps the node's tx pool (a set: a tx is accepted the
 * first time it arrives), and wakes the core at its `nextTimeout()` deadline on the virtual clock.
 * The simulator carries txs only; block actions never arise.
 */
import { runActions, type ActionHandlers } from '../propagation/core.ts'
import type { EthCore } from '../propagation/eth/core.ts'
import type { EthAction, EthMsg, EthTx } from '../propagation/eth/messages.ts'
import type { Hex } from '../propagation/interface.ts'
import type { ItemTracker } from './items.ts'
import { rlpxFrameBytes, type SimNetwork, type SimPeerNode } from './network.ts'

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
      throw new Error(`the simulator carries no blocks (${m.t})`)
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

  constructor(
    readonly index: number,
    readonly core: EthCore,
    private readonly net: SimNetwork,
    private readonly tracker: ItemTracker,
    private readonly txBytes: number,
  ) {}

  start(peers: Iterable<number>): void {
    for (const p of peers) this.run(this.core.onPeerUp(String(p), { pool: [...this.pool.values()] }, this.net.now))
  }

  peerDown(peer: number): void {
    this.run(this.core.onPeerDown(String(peer), this.net.now))
  }

  peerUp(peer: number): void {
    this.run(this.core.onPeerUp(String(peer), { pool: [...this.pool.values()] }, this.net.now))
  }

  /** A tx submitted here (RPC): pooled, then published at its origin. */
  publish(hash: string): void {
    const tx: EthTx = { hash: `0x${hash}`, type: 2, size: this.txBytes }
    this.pool.set(tx.hash, tx)
    this.run(this.core.onLocal({ kind: 'tx', tx }, this.net.now))
  }

  receive(from: number, msg: unknown): void {
    const m = msg as EthMsg
    if (m.t === 'Transactions' || m.t === 'PooledTransactions') {
      this.tracker.receipt(this.index, m.txs.length)
      if (this.tracker.perItem) for (const tx of m.txs) this.tracker.receiptOf(tx.hash.slice(2))
    }
    this.run(this.core.onMessage(String(from), m, this.net.now))
  }

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
        const accepted = !this.pool.has(tx.hash)
        if (accepted) {
          this.pool.set(tx.hash, tx)
          this.tracker.seen(tx.hash.slice(2), this.index, this.net.now)
        }
        this.run(this.core.onPoolResult(tx.hash, accepted, a.from, this.net.now))
      }
    },
    'send-NewBlock': () => this.noBlocks(),
    'send-NewBlockHashes': () => this.noBlocks(),
    'deliver-block': () => this.noBlocks(),
    'fetch-block': () => this.noBlocks(),
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

  private noBlocks(): never {
    throw new Error('the simulator carries no blocks')
  }

  private send(to: string, m: EthMsg): void {
    this.net.send(this.index, Number(to), ETH_WIRE_TYPE[m.t], ethWireBytes(m), m)
  }
}
