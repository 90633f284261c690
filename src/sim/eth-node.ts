/**
 * An eth/68 node in the simulator, relaying txs with a `Propagation` (stock, geth, flood) exactly as the devp2p
 * adapter does: Transactions pushes, NewPooledTransactionHashes announcements, GetPooledTransactions fetches, and
 * the per-peer known filter. A fetch that gets no answer within `fetchTimeoutMs` is retried from another announcer
 * (go-ethereum's fetcher does this; it favours stock in a crash experiment). Message sizes follow eth/68's RLP.
 */
import type { Hex, Propagation, TxArrival, TxMeta } from '../propagation/interface.ts'
import type { ItemTracker } from './items.ts'
import { rlpxFrameBytes, type SimNetwork, type SimPeerNode } from './network.ts'

type EthMsg =
  | { t: 'Transactions'; txs: string[] }
  | { t: 'NewPooledTransactionHashes'; txs: string[] }
  | { t: 'GetPooledTransactions'; txs: string[] }
  | { t: 'PooledTransactions'; txs: string[] }

/** eth/68 sizes: a tx is `txBytes`; an announcement entry is type (1) + size (~3) + hash (33); a request entry 33. */
function ethWireBytes(m: EthMsg, txBytes: number): number {
  const n = m.txs.length
  const body = m.t === 'Transactions' || m.t === 'PooledTransactions' ? n * txBytes : m.t === 'NewPooledTransactionHashes' ? n * 37 + 6 : n * 33
  const reqId = m.t === 'GetPooledTransactions' || m.t === 'PooledTransactions' ? 9 : 0
  return rlpxFrameBytes(body + reqId + 3)
}

export class SimEthNode implements SimPeerNode {
  private readonly have = new Set<string>()
  private readonly known = new Map<number, Set<string>>()
  private readonly inFlight = new Map<string, { since: number; from: number; alternates: number[] }>()

  constructor(
    readonly index: number,
    private readonly propagation: Propagation,
    private readonly net: SimNetwork,
    private readonly tracker: ItemTracker,
    private readonly txBytes: number,
    private readonly fetchTimeoutMs = 1_000,
  ) {}

  private peers(): number[] {
    return [...this.net.adj[this.index]!].filter((p) => this.known.has(p))
  }

  start(peers: Iterable<number>): void {
    for (const p of peers) this.known.set(p, new Set())
  }

  peerDown(peer: number): void {
    this.known.delete(peer)
  }

  peerUp(peer: number): void {
    if (!this.known.has(peer)) this.known.set(peer, new Set())
  }

  publish(hash: string): void {
    this.have.add(hash)
    this.relay([hash], 'rpc', undefined)
  }

  tick(): void {
    const now = this.net.now
    const retry = new Map<number, string[]>()
    for (const [h, f] of this.inFlight) {
      if (now - f.since < this.fetchTimeoutMs) continue
      const next = f.alternates.find((p) => this.known.has(p))
      if (next === undefined) {
        this.inFlight.delete(h)
        continue
      }
      f.alternates = f.alternates.filter((p) => p !== next)
      f.from = next
      f.since = now
      retry.set(next, [...(retry.get(next) ?? []), h])
    }
    for (const [p, hs] of retry) this.send(p, { t: 'GetPooledTransactions', txs: hs })
  }

  receive(from: number, msg: unknown): void {
    const m = msg as EthMsg
    const known = this.known.get(from)
    if (known === undefined) return
    switch (m.t) {
      case 'Transactions':
      case 'PooledTransactions': {
        this.tracker.receipt(this.index, m.txs.length)
        for (const h of m.txs) known.add(h)
        const fresh = m.txs.filter((h) => !this.have.has(h))
        for (const h of fresh) {
          this.have.add(h)
          this.inFlight.delete(h)
          this.tracker.seen(h, this.index, this.net.now)
        }
        // The client relays every received tx of a push (accepted or not), only accepted ones after a fetch.
        if (m.t === 'Transactions') this.relay(m.txs, 'push', from, new Set(fresh))
        else if (fresh.length > 0) this.relay(fresh, 'fetch', from)
        break
      }
      case 'NewPooledTransactionHashes': {
        for (const h of m.txs) known.add(h)
        const unknown: string[] = []
        for (const h of m.txs) {
          if (this.have.has(h)) continue
          const f = this.inFlight.get(h)
          if (f !== undefined) {
            if (f.from !== from && !f.alternates.includes(from)) f.alternates.push(from)
            continue
          }
          unknown.push(h)
        }
        const want = this.propagation.selectFetch(unknown.map((h) => `0x${h}` as Hex), String(from)).map((h) => h.slice(2))
        for (const h of want) this.inFlight.set(h, { since: this.net.now, from, alternates: [] })
        if (want.length > 0) this.send(from, { t: 'GetPooledTransactions', txs: want })
        break
      }
      case 'GetPooledTransactions': {
        const txs = m.txs.filter((h) => this.have.has(h))
        for (const h of txs) known.add(h)
        if (txs.length > 0) this.send(from, { t: 'PooledTransactions', txs })
        break
      }
    }
  }

  private relay(hashes: string[], via: TxArrival, from: number | undefined, accepted?: Set<string>): void {
    const peers = this.peers()
    const metas: TxMeta[] = hashes.map((h) => ({ hash: `0x${h}` as Hex, type: 2, size: this.txBytes, accepted: accepted === undefined || accepted.has(h) }))
    const actions = this.propagation.routeTxs(metas, { peers: peers.map(String), origin: from === undefined ? 'local' : String(from), via })
    for (const a of actions) for (const to of a.to) {
      const p = Number(to)
      const known = this.known.get(p)
      if (known === undefined) continue
      const txs = a.txs.map((t) => t.hash.slice(2)).filter((h) => !known.has(h))
      if (txs.length === 0) continue
      for (const h of txs) known.add(h)
      this.send(p, { t: a.kind === 'push' ? 'Transactions' : 'NewPooledTransactionHashes', txs })
    }
  }

  private send(to: number, m: EthMsg): void {
    this.net.send(this.index, to, `eth/${m.t}`, ethWireBytes(m, this.txBytes), m)
  }
}
