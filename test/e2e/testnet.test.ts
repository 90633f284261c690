/**
 * End to end, real processes: 4 patched nodes (2 Clique signers) on a degree-2 ring over loopback TCP, LevelDB on
 * disk, JSON-RPC over HTTP. 200 transfers sent round-robin to all nodes must all land, every node must end on the
 * same head with the same receipts, and the wire counters must show the stock rule at work.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { JsonRpcProvider, Wallet } from 'ethers'
import { launchTestnet } from '../../testnets/launcher.ts'
import { runTransferWorkload } from '../../bench/workload/workload.ts'
import type { TestnetDescription } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import type { P2pStats } from '../../src/rpc/teecast.ts'
import { agreedHead, makeTestnet } from '../helpers/testnet.ts'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription

before(async () => {
  net = await makeTestnet({ nodes: 4, signers: 2, degree: 2, seed: 'e2e-ring', accounts: 40 })
  d = await launchTestnet(net.dir, { readyTimeoutMs: 60_000 })
})
after(async () => net?.cleanup())

test('the topology is a ring and every node is connected to its two neighbours', async () => {
  for (const n of d.nodes) {
    assert.equal(n.peers.length, 2)
    const s = await rpcCall<P2pStats>(n.rpcUrl, 'teecast_p2pStats')
    assert.equal(s.peers, 2, `${n.name} peers`)
    assert.equal(s.propagation, 'stock')
  }
})

test('200 txs sent round-robin all land, and every node has the same head and receipts', async () => {
  const r = await runTransferWorkload(d, { count: 200, rate: 40, inclusionTimeoutMs: 60_000 })
  assert.equal(r.rejected.length, 0, JSON.stringify(r.rejected.slice(0, 3)))
  assert.equal(r.committed, 200)
  const h = await agreedHead(d.nodes, 3 * d.period * 1000)
  assert.ok(h.number >= 2)
  for (const s of r.sent.filter((_, i) => i % 7 === 0)) {
    const receipts = await Promise.all(d.nodes.map((n) => rpcCall<{ blockHash: string; status: string; gasUsed: string } | null>(n.rpcUrl, 'eth_getTransactionReceipt', [s.hash])))
    for (const rc of receipts) {
      assert.ok(rc !== null, `receipt of ${s.hash}`)
      assert.equal(rc.status, '0x1')
      assert.deepEqual({ b: rc.blockHash, g: rc.gasUsed }, { b: receipts[0]!.blockHash, g: receipts[0]!.gasUsed })
    }
  }
  const pools = await Promise.all(d.nodes.map((n) => rpcCall<{ pending: Record<string, unknown> }>(n.rpcUrl, 'txpool_content')))
  assert.ok(pools.every((p) => Object.keys(p.pending).length === 0), 'mined txs are dropped from every pool, followers included')
})

test('the wire counters show the stock rule: RPC txs spread by announce-then-fetch, blocks by NewBlock + hashes', async () => {
  const blocks = (await agreedHead(d.nodes, 3 * d.period * 1000)).number
  const stats = await Promise.all(d.nodes.map((n) => rpcCall<P2pStats>(n.rpcUrl, 'teecast_p2pStats')))
  const total = (k: string, f: 'in' | 'out') => stats.reduce((s, x) => s + (x.messages[k]?.[f] ?? 0), 0)
  for (const s of stats) {
    const m = (k: string) => s.messages[k] ?? { in: 0, out: 0, bytesIn: 0, bytesOut: 0 }
    assert.ok(m('eth/NewPooledTransactionHashes').in > 0, `${s.node} got hash announcements`)
    assert.ok(m('eth/GetPooledTransactions').out > 0, `${s.node} fetched txs`)
    assert.equal(m('eth/PooledTransactions').in, m('eth/GetPooledTransactions').out, `${s.node}: every fetch answered`)
    // Local txs are announced first, so the later full push finds every peer already knows them.
    assert.equal(m('eth/Transactions').in, 0, `${s.node}: no full pushes under stock with RPC-submitted txs`)
    // With 2 peers floor(sqrt(2)) = 1: a node sends each block in full to at most one peer. Two Clique signers can
    // seal the same height, so the blocks a node held (side blocks included) bound it, not the head number.
    assert.ok(s.seen.block >= blocks, `${s.node}: held ${s.seen.block} blocks, agreed head ${blocks} before`)
    assert.ok(m('eth/NewBlock').out <= s.seen.block, `${s.node}: ${m('eth/NewBlock').out} NewBlock for ${s.seen.block} blocks held`)
  }
  assert.ok(total('eth/NewBlock', 'out') > 0 && total('eth/NewBlockHashes', 'out') > 0, 'blocks travel both in full and by hash')
  assert.equal(total('eth/NewBlock', 'out'), total('eth/NewBlock', 'in'), 'every NewBlock sent is counted once at its receiver')
})

test('Prometheus /metrics exposes the same wire counters with conventional names', async () => {
  const n = d.nodes[1]!
  const text = await (await fetch(`http://127.0.0.1:${n.metricsPort}/metrics`)).text()
  const stats = await rpcCall<P2pStats>(n.rpcUrl, 'teecast_p2pStats')
  const sample = (name: string, labels: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)))
    assert.ok(line !== undefined, `${name}{${labels}} in /metrics`)
    return Number(line.split(' ').at(-1))
  }
  const fetched = sample('teecast_p2p_messages_total', 'message="GetPooledTransactions",direction="out",node="n1"')
  assert.equal(fetched, stats.messages['eth/GetPooledTransactions']!.out, 'idle network: /metrics and teecast_p2pStats agree')
  assert.ok(sample('teecast_p2p_bytes_total', 'message="NewPooledTransactionHashes",direction="in"') > 0)
  assert.equal(sample('teecast_peers', 'propagation="stock"'), 2)
  assert.match(text, /# TYPE teecast_duplicate_payloads_total counter/)
  assert.match(text, /process_cpu_seconds_total/)
})

test('an ethers v6 wallet can send a tx and wait for it', async () => {
  const n = d.nodes[2]!
  const provider = new JsonRpcProvider(n.rpcUrl, d.chainId, { staticNetwork: true })
  const wallet = new Wallet(d.accounts[39]!.privateKey, provider)
  const before = await provider.getBalance('0x00000000000000000000000000000000000000aa')
  const tx = await wallet.sendTransaction({ to: '0x00000000000000000000000000000000000000aa', value: 12345n })
  const receipt = await tx.wait(1, 60_000)
  assert.equal(receipt?.status, 1)
  assert.equal(await provider.getBalance('0x00000000000000000000000000000000000000aa'), before + 12345n)
  provider.destroy()
})

test('bad JSON-RPC input gets a JSON-RPC error, and the node keeps serving', async () => {
  const n = d.nodes[0]!
  await assert.rejects(rpcCall(n.rpcUrl, 'eth_sendRawTransaction', ['0xdeadbeef']), /could not be parsed|invalid|code -32/)
  await assert.rejects(rpcCall(n.rpcUrl, 'teecast_firstSeen', ['nope']), /code -32602/)
  await assert.rejects(rpcCall(n.rpcUrl, 'teecast_nosuch', []), /code -32601/)
  const res = await fetch(n.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' })
  assert.ok(res.status >= 400 || /error/.test(await res.text()))
  assert.ok(Number(await rpcCall<string>(n.rpcUrl, 'eth_blockNumber')) >= 1)
})
