/**
 * The eth/68 core (src/propagation/eth/core.ts) as step scripts on a virtual clock, in the style of go-ethereum's
 * tx_fetcher_test.go: every step feeds one event with its time, and the invariants are re-checked after every step:
 * - a hash is pending in at most one open fetch request, and a request asks only for hashes it holds;
 * - nothing is sent to a peer the core was told, or itself told, has the item; nothing goes to a peer that is down;
 * - every hash a batch waits on was handed to the pool (deliver-txs) and has had no verdict since;
 * - after onTimeout, nothing is due any more.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_ETH_CORE_PARAMS, EthCore } from '../../src/propagation/eth/core.ts'
import type { EthAction, EthBlock, EthMsg, EthTx } from '../../src/propagation/eth/messages.ts'
import type { Hex } from '../../src/propagation/interface.ts'
import { createEthCore, type EthMode } from '../../src/propagation/registry.ts'
import { GETH_MAX_BROADCAST_SIZE } from '../../src/propagation/geth.ts'

const KNOWN_TTL_MS = DEFAULT_ETH_CORE_PARAMS.knownTtlMs
const hash = (i: number): Hex => `0x${i.toString(16).padStart(64, '0')}`
const tx = (i: number, o: Partial<EthTx> = {}): EthTx => ({ hash: hash(i), type: 2, size: 110, ...o })
const block = (i: number): EthBlock => ({ hash: hash(1_000_000 + i), number: BigInt(i) })
const peers = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`)

/** The peer and the items of a send action; undefined for other actions. */
function sentItems(a: EthAction): { to: string; items: Hex[] } | undefined {
  switch (a.t) {
    case 'send-Transactions':
    case 'send-NewPooledTransactionHashes':
      return { to: a.to, items: a.txs.map((t) => t.hash) }
    case 'send-NewBlock':
      return { to: a.to, items: [a.block.hash] }
    case 'send-NewBlockHashes':
      return { to: a.to, items: a.blocks.map((b) => b.hash) }
    default:
      return undefined
  }
}

/** One core under a script, with a shadow of what it must know, checked after every step. */
class Script {
  now = 0
  readonly core: EthCore
  /** peer -> hash -> when the core was told (or told) the peer has it. Entries age out after KNOWN_TTL_MS. */
  private readonly shadow = new Map<string, Map<Hex, number>>()
  /** `${from} ${hash}` -> deliveries without a verdict yet. */
  private readonly unjudged = new Map<string, number>()
  private readonly up = new Set<string>()

  constructor(mode: EthMode) {
    this.core = createEthCore(mode)
  }

  peerUp(peer: string, pool: EthTx[] = []): EthAction[] {
    this.up.add(peer)
    return this.step(() => this.core.onPeerUp(peer, { pool }, this.now))
  }
  peerDown(peer: string): EthAction[] {
    this.up.delete(peer)
    return this.step(() => this.core.onPeerDown(peer, this.now))
  }
  local(t: EthTx): EthAction[] {
    return this.step(() => this.core.onLocal({ kind: 'tx', tx: t }, this.now))
  }
  localBlock(b: EthBlock): EthAction[] {
    return this.step(() => this.core.onLocal({ kind: 'block', block: b }, this.now))
  }
  msg(from: string, m: EthMsg): EthAction[] {
    if (m.t === 'Transactions' || m.t === 'NewPooledTransactionHashes') for (const t of m.txs) this.know(from, t.hash)
    if (m.t === 'NewBlock') this.know(from, m.block.hash)
    return this.step(() => this.core.onMessage(from, m, this.now))
  }
  verdict(h: Hex, accepted: boolean, from: string): EthAction[] {
    const k = `${from} ${h}`
    const n = this.unjudged.get(k) ?? 0
    if (n > 1) this.unjudged.set(k, n - 1)
    else this.unjudged.delete(k)
    return this.step(() => this.core.onPoolResult(h, accepted, from, this.now))
  }
  /** Moves the clock on by `ms`, waking the core at every deadline on the way (as a driver does). */
  wait(ms: number): EthAction[] {
    const until = this.now + ms
    const out: EthAction[] = []
    for (;;) {
      const at = this.core.nextTimeout()
      if (at === undefined || at > until) break
      this.now = Math.max(this.now, at)
      out.push(...this.step(() => this.core.onTimeout(this.now)))
      const next = this.core.nextTimeout()
      assert.ok(next === undefined || next > this.now, `after onTimeout(${this.now}) something is still due at ${next}`)
    }
    this.now = until
    return out
  }

  private know(peer: string, h: Hex): void {
    let s = this.shadow.get(peer)
    if (s === undefined) this.shadow.set(peer, (s = new Map()))
    if (!this.has(peer, h)) s.set(h, this.now)
  }

  /** Known and young enough that the core must still know it (older entries may have been cleaned up). */
  private has(peer: string, h: Hex): boolean {
    const at = this.shadow.get(peer)?.get(h)
    return at !== undefined && this.now - at < KNOWN_TTL_MS
  }

  private step(f: () => EthAction[]): EthAction[] {
    const actions = f()
    const sentNow = new Set<string>()
    for (const a of actions) {
      const sent = sentItems(a)
      if (sent !== undefined) {
        const { to, items } = sent
        assert.ok(this.up.has(to), `${a.t} to ${to}, which is down`)
        assert.ok(items.length > 0, `empty ${a.t} to ${to}`)
        for (const h of items) {
          assert.ok(!this.has(to, h), `${a.t} sends ${h.slice(0, 10)} to ${to}, known to have it`)
          // Within one step, a peer gets an item either in full or by hash, never both, and never twice.
          const key = `${to} ${h}`
          assert.ok(!sentNow.has(key), `${h.slice(0, 10)} sent twice to ${to} in one step`)
          sentNow.add(key)
        }
      }
      if (a.t === 'deliver-txs') for (const t of a.txs) this.unjudged.set(`${a.from} ${t.hash}`, (this.unjudged.get(`${a.from} ${t.hash}`) ?? 0) + 1)
    }
    for (const a of actions) {
      if (a.t === 'send-Transactions' || a.t === 'send-NewPooledTransactionHashes') for (const t of a.txs) this.know(a.to, t.hash)
      if (a.t === 'send-NewBlock') this.know(a.to, a.block.hash)
      if (a.t === 'send-NewBlockHashes') for (const b of a.blocks) this.know(a.to, b.hash)
    }
    this.checkInvariants(actions)
    return actions
  }

  private checkInvariants(actions: EthAction[]): void {
    const holder = new Map<Hex, number>()
    for (const r of this.core.openRequests()) {
      for (const h of r.hashes) {
        assert.ok(!holder.has(h), `${h.slice(0, 10)} pending in requests ${holder.get(h)} and ${r.reqId}`)
        holder.set(h, r.reqId)
        assert.equal(this.core.pendingRequestOf(h), r.reqId)
      }
      assert.ok(r.deadline > this.now || this.core.nextTimeout()! <= this.now, 'an open request past its deadline is due')
    }
    for (const a of actions) if (a.t === 'send-GetPooledTransactions') {
      const r = this.core.openRequests().find((x) => x.reqId === a.reqId)
      assert.ok(r !== undefined && r.peer === a.to, `request ${a.reqId} to ${a.to} is not open`)
      for (const h of a.hashes) assert.ok(r.hashes.includes(h), `request ${a.reqId} asks for ${h.slice(0, 10)} it does not hold`)
    }
    for (const b of this.core.awaitingVerdicts()) for (const h of b.waiting) {
      assert.ok((this.unjudged.get(`${b.from} ${h}`) ?? 0) > 0, `a batch from ${b.from} waits on ${h.slice(0, 10)}, never delivered or already judged`)
    }
    for (const [peer, hs] of this.shadow) for (const h of hs.keys()) if (this.has(peer, h)) assert.ok(this.core.knows(peer, h), `the core forgot that ${peer} has ${h.slice(0, 10)}`)
  }
}

const only = <T extends EthAction['t']>(actions: EthAction[], t: T): Extract<EthAction, { t: T }>[] => actions.filter((a): a is Extract<EthAction, { t: T }> => a.t === t)
const recipients = (actions: EthAction[], t: 'send-Transactions' | 'send-NewPooledTransactionHashes' | 'send-NewBlock' | 'send-NewBlockHashes'): string[] => only(actions, t).map((a) => a.to)
const hashesTo = (actions: EthAction[], t: 'send-Transactions' | 'send-NewPooledTransactionHashes', peer: string): Hex[] => only(actions, t).filter((a) => a.to === peer).flatMap((a) => a.txs.map((x) => x.hash))

function withPeers(mode: EthMode, n: number): Script {
  const s = new Script(mode)
  for (const p of peers(n)) assert.deepEqual(s.peerUp(p), [], 'an empty pool offers nothing')
  return s
}

test('stock: an RPC tx is announced to every peer and pushed to none (the known filter empties the push)', () => {
  const s = withPeers('stock', 5)
  const a = s.local(tx(1))
  assert.deepEqual(recipients(a, 'send-NewPooledTransactionHashes'), peers(5))
  assert.deepEqual(only(a, 'send-Transactions'), [])
  assert.equal(s.core.verdictOf(tx(1).hash), true, 'an RPC tx is pooled')
})

test('stock: a pushed message is relayed once all its verdicts are in: every tx in full to max(1, n/4) peers, accepted hashes to the rest', () => {
  const s = withPeers('stock', 8)
  const d = s.msg('p1', { t: 'Transactions', txs: [tx(1), tx(2)] })
  assert.deepEqual(d, [{ t: 'deliver-txs', from: 'p1', txs: [tx(1), tx(2)] }])
  assert.deepEqual(s.verdict(tx(1).hash, true, 'p1'), [], 'one verdict still missing')
  s.now += 3
  const a = s.verdict(tx(2).hash, false, 'p1')
  // floor(8/4) = 2 full peers: p0 and p1, and p1 is the sender.
  assert.deepEqual(recipients(a, 'send-Transactions'), ['p0'])
  assert.deepEqual(hashesTo(a, 'send-Transactions', 'p0'), [tx(1).hash, tx(2).hash], 'the rejected tx is re-pushed too (client quirk)')
  assert.deepEqual(recipients(a, 'send-NewPooledTransactionHashes'), peers(8).slice(2))
  for (const p of peers(8).slice(2)) assert.deepEqual(hashesTo(a, 'send-NewPooledTransactionHashes', p), [tx(1).hash])
  // The same message again: everyone knows both txs now.
  s.msg('p3', { t: 'Transactions', txs: [tx(1), tx(2)] })
  s.verdict(tx(1).hash, false, 'p3')
  assert.deepEqual(s.verdict(tx(2).hash, false, 'p3'), [])
})

test('stock: announce, fetch, answer; an announcement of a pending hash is dropped; the answer ends the whole request', () => {
  const s = withPeers('stock', 4)
  const g = s.msg('p0', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(1) }, { hash: hash(2) }] })
  assert.equal(g.length, 1)
  const req = only(g, 'send-GetPooledTransactions')[0]!
  assert.deepEqual({ to: req.to, hashes: req.hashes }, { to: 'p0', hashes: [hash(1), hash(2)] })
  assert.equal(s.core.nextTimeout(), 6_000, 'the request times out after the client default, 6 s')
  s.now = 40
  assert.deepEqual(s.msg('p1', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(1) }] }), [], 'pending: not asked again, and not remembered')
  s.now = 90
  const d = s.msg('p0', { t: 'PooledTransactions', txs: [tx(1)] })
  assert.deepEqual(d, [{ t: 'deliver-txs', from: 'p0', txs: [tx(1)] }])
  assert.equal(s.core.isPending(hash(2)), false, 'the hash the peer did not return left the stage with the answer')
  const a = s.verdict(hash(1), true, 'p0')
  // Fetched txs: hashes to every peer, less the ones that announced it.
  assert.deepEqual(recipients(a, 'send-NewPooledTransactionHashes'), ['p2', 'p3'])
  assert.deepEqual(only(a, 'send-Transactions'), [])
  const again = s.msg('p1', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(1) }, { hash: hash(2) }] })
  assert.deepEqual(only(again, 'send-GetPooledTransactions')[0]!.hashes, [hash(2)], 'pooled: not fetched; released: fetched from the next announcer')
})

test('every eth mode: no fetch retry; a request that times out releases its hashes, fetched again only on a new announcement', () => {
  for (const mode of ['stock', 'geth', 'flood'] as const) {
    const s = withPeers(mode, 3)
    const first = s.msg('p0', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(7) }] })
    assert.equal(only(first, 'send-GetPooledTransactions')[0]!.to, 'p0', mode)
    s.now = 100
    assert.deepEqual(s.msg('p1', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(7) }] }), [], mode)
    assert.deepEqual(s.wait(5_899), [], `${mode}: nothing before the deadline`)
    assert.equal(s.core.isPending(hash(7)), true)
    assert.deepEqual(s.wait(1), [], `${mode}: the deadline passes and nothing is sent (p1 announced it, but is not asked)`)
    assert.equal(s.core.isPending(hash(7)), false)
    assert.ok((s.core.nextTimeout() ?? Infinity) > s.now)
    const late = s.msg('p0', { t: 'PooledTransactions', txs: [tx(7)] })
    assert.deepEqual(late, [], `${mode}: an answer after the timeout is unsolicited and dropped`)
    const again = s.msg('p2', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(7) }] })
    assert.equal(only(again, 'send-GetPooledTransactions')[0]!.to, 'p2', mode)
  }
})

test('stock: an accepted hash is not fetched again; one whose last add failed is (patch client 005), a duplicate push included', () => {
  const s = withPeers('stock', 6)
  s.msg('p0', { t: 'Transactions', txs: [tx(1)] })
  s.verdict(hash(1), true, 'p0')
  assert.deepEqual(s.msg('p2', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(1) }] }), [])
  // A second push of the same tx is a failed add ("already in the TxPool") in the client, and so fetchable again.
  s.msg('p1', { t: 'Transactions', txs: [tx(1)] })
  s.verdict(hash(1), false, 'p1')
  const g = s.msg('p3', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(1) }] })
  assert.deepEqual(only(g, 'send-GetPooledTransactions').map((a) => [a.to, a.hashes]), [['p3', [hash(1)]]])
})

test('stock: at most 256 hashes are asked per request, yet all of them stay pending until it ends (client quirk)', () => {
  const s = withPeers('stock', 2)
  const many = Array.from({ length: 300 }, (_, i) => ({ hash: hash(100 + i) }))
  const g = only(s.msg('p0', { t: 'NewPooledTransactionHashes', txs: many }), 'send-GetPooledTransactions')
  assert.equal(g.length, 1)
  assert.equal(g[0]!.hashes.length, 256)
  assert.equal(s.core.isPending(hash(100 + 299)), true)
  assert.deepEqual(s.msg('p1', { t: 'NewPooledTransactionHashes', txs: [many[299]!] }), [])
  s.msg('p0', { t: 'PooledTransactions', reqId: g[0]!.reqId, txs: [] })
  assert.equal(s.core.isPending(hash(100 + 299)), false)
})

test('stock: a new peer is offered the pool by hash; a peer that reconnects is not offered what it already has', () => {
  const s = withPeers('stock', 2)
  s.local(tx(1))
  const pool = [tx(1), tx(2)]
  const a = s.peerUp('p9', pool)
  assert.deepEqual(hashesTo(a, 'send-NewPooledTransactionHashes', 'p9'), [hash(1), hash(2)])
  s.peerDown('p0')
  assert.deepEqual(s.local(tx(3)).map((x) => x.t === 'send-NewPooledTransactionHashes' && x.to), ['p1', 'p9'], 'no send to a peer that is down')
  const back = s.peerUp('p0', [...pool, tx(3)])
  assert.deepEqual(hashesTo(back, 'send-NewPooledTransactionHashes', 'p0'), [hash(2), hash(3)], 'known sets outlive a session, as in the client')
  // Known entries age out at the cleanup after 20 minutes: then the pool is offered again in full.
  s.peerDown('p1')
  s.wait(41 * 60_000)
  const fresh = s.peerUp('p1', [tx(1)])
  assert.deepEqual(hashesTo(fresh, 'send-NewPooledTransactionHashes', 'p1'), [hash(1)])
})

test('stock and geth: NewBlock to floor(sqrt(n)) peers, NewBlockHashes to the rest, delivered in between; a second copy sends nothing', () => {
  for (const mode of ['stock', 'geth'] as const) {
    const s = withPeers(mode, 9)
    const a = s.msg('p4', { t: 'NewBlock', block: block(1) })
    assert.deepEqual(recipients(a, 'send-NewBlock'), ['p0', 'p1', 'p2'], mode)
    assert.deepEqual(recipients(a, 'send-NewBlockHashes'), ['p3', 'p5', 'p6', 'p7', 'p8'], `${mode}: not back to the sender`)
    const at = a.findIndex((x) => x.t === 'deliver-block')
    assert.ok(at > 0 && a.slice(0, at).every((x) => x.t === 'send-NewBlock') && a.slice(at + 1).every((x) => x.t === 'send-NewBlockHashes'), 'forwarded, then imported, then announced: the client order')
    assert.deepEqual(s.msg('p5', { t: 'NewBlock', block: block(1) }).filter((x) => x.t !== 'deliver-block'), [])
    const mined = s.localBlock(block(2))
    assert.deepEqual(recipients(mined, 'send-NewBlock').length + recipients(mined, 'send-NewBlockHashes').length, 9)
    assert.deepEqual(s.msg('p1', { t: 'NewBlockHashes', blocks: [block(3)] }), [{ t: 'fetch-block', from: 'p1', blocks: [block(3)] }])
  }
})

test('geth: accepted txs in full to floor(sqrt(n)) peers and by hash to the rest; large and blob txs announce-only; rejected ones not relayed', () => {
  const s = withPeers('geth', 9)
  const big = tx(2, { size: GETH_MAX_BROADCAST_SIZE + 1 })
  const blob = tx(3, { type: 3 })
  s.msg('p1', { t: 'Transactions', txs: [tx(1), big, blob, tx(4)] })
  for (const t of [tx(1), big, blob]) s.verdict(t.hash, true, 'p1')
  const a = s.verdict(hash(4), false, 'p1')
  assert.deepEqual(recipients(a, 'send-Transactions'), ['p0', 'p2'])
  assert.deepEqual(hashesTo(a, 'send-Transactions', 'p0'), [hash(1)])
  assert.deepEqual(hashesTo(a, 'send-NewPooledTransactionHashes', 'p0'), [big.hash, blob.hash], 'a full peer gets the large ones by hash')
  assert.deepEqual(hashesTo(a, 'send-NewPooledTransactionHashes', 'p5'), [hash(1), big.hash, blob.hash])
  assert.ok(!a.some((x) => (x.t === 'send-Transactions' || x.t === 'send-NewPooledTransactionHashes') && x.txs.some((t) => t.hash === hash(4))))
  const rpc = s.local(tx(5))
  assert.deepEqual(recipients(rpc, 'send-Transactions'), ['p0', 'p1', 'p2'], 'geth pushes its own txs too')
})

test('flood: accepted txs in full to every peer but the sender; the pool in full to a new peer; NewBlock to all', () => {
  const s = withPeers('flood', 5)
  s.msg('p2', { t: 'Transactions', txs: [tx(1), tx(2)] })
  s.verdict(hash(1), true, 'p2')
  const a = s.verdict(hash(2), false, 'p2')
  assert.deepEqual(recipients(a, 'send-Transactions'), ['p0', 'p1', 'p3', 'p4'])
  assert.ok(only(a, 'send-Transactions').every((x) => x.txs.length === 1 && x.txs[0]!.hash === hash(1)))
  assert.deepEqual(only(a, 'send-NewPooledTransactionHashes'), [])
  assert.deepEqual(hashesTo(s.peerUp('p7', [tx(1), tx(9)]), 'send-Transactions', 'p7'), [hash(1), hash(9)])
  assert.deepEqual(recipients(s.localBlock(block(1)), 'send-NewBlock'), [...peers(5), 'p7'])
})

test('the core serves GetPooledTransactions by asking its driver, drops unsolicited answers, and refuses a clock that runs backwards', () => {
  const s = withPeers('stock', 2)
  assert.deepEqual(s.msg('p0', { t: 'GetPooledTransactions', reqId: 5, hashes: [hash(1)] }), [{ t: 'serve-PooledTransactions', to: 'p0', reqId: 5, hashes: [hash(1)] }])
  assert.deepEqual(s.msg('p1', { t: 'PooledTransactions', reqId: 77, txs: [tx(1)] }), [])
  const g = only(s.msg('p0', { t: 'NewPooledTransactionHashes', txs: [{ hash: hash(3) }] }), 'send-GetPooledTransactions')[0]!
  assert.deepEqual(s.msg('p1', { t: 'PooledTransactions', reqId: g.reqId, txs: [tx(3)] }), [], 'an answer from the wrong peer')
  assert.equal(s.core.isPending(hash(3)), true)
  assert.deepEqual(s.core.onTimeout(10), [])
  assert.throws(() => s.core.onTimeout(9), /clock went backwards/)
})

/** A small deterministic generator (the test must not depend on where the shared rng lives). */
function lcg(seed: number): () => number {
  let x = seed >>> 0
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

test('every eth mode: seeded random scripts keep the invariants after every step', () => {
  for (const mode of ['stock', 'geth', 'flood'] as const) {
    for (const seed of [1, 2, 3]) {
      const r = lcg(seed * 7919)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
      const s = new Script(mode)
      const all = peers(6)
      const pool = new Map<Hex, EthTx>()
      const isUp = new Set<string>()
      const judge = (from: string, actions: EthAction[]): void => {
        for (const a of actions) if (a.t === 'deliver-txs') for (const t of a.txs) {
          const accepted = !pool.has(t.hash) && r() < 0.9
          if (accepted) pool.set(t.hash, t)
          judge(from, s.verdict(t.hash, accepted, from))
        }
      }
      for (let step = 0; step < 400; step++) {
        const p = pick(all)
        const t = tx(1 + Math.floor(r() * 40), { size: r() < 0.1 ? 5000 : 110 })
        const roll = r()
        if (!isUp.has(p)) {
          isUp.add(p)
          s.peerUp(p, [...pool.values()])
        } else if (roll < 0.05) {
          isUp.delete(p)
          s.peerDown(p)
        } else if (roll < 0.3) judge(p, s.msg(p, { t: 'Transactions', txs: [t] }))
        else if (roll < 0.6) s.msg(p, { t: 'NewPooledTransactionHashes', txs: [{ hash: t.hash }, { hash: tx(1 + Math.floor(r() * 40)).hash }] })
        else if (roll < 0.75) {
          const open = s.core.openRequests().filter((q) => q.peer === p)
          const q = open[0]
          judge(p, s.msg(p, { t: 'PooledTransactions', reqId: q?.reqId, txs: (q?.hashes ?? [t.hash]).filter(() => r() < 0.8).map((h) => tx(Number.parseInt(h.slice(2), 16))) }))
        } else if (roll < 0.8) {
          if (!pool.has(t.hash)) {
            pool.set(t.hash, t)
            s.local(t)
          }
        } else if (roll < 0.85) s.msg(p, { t: 'NewBlock', block: block(Math.floor(r() * 5)) })
        else s.wait(Math.floor(r() * 3_000))
      }
    }
  }
})
