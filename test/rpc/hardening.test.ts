/**
 * JSON-RPC hardening (issue 12, deliverable 4) against real nodes: a 2-node testnet of node processes (n0 seals,
 * n1 imports) with the default settings, and one in-process sealing node started with the opt-in flags. Each test
 * names what it guards: src/rpc/limits.ts, src/rpc/apis.ts, or a patch (client 040-044, evm 040).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import { hexToBytes } from '@ethereumjs/util'
import { launchTestnet } from '../../testnets/launcher.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { startNode, type RunningNode } from '../../src/node/start.ts'
import { DEFAULT_RPC_APIS } from '../../src/rpc/apis.ts'
import { eventually, makeTestnet } from '../helpers/testnet.ts'
import { freePorts } from '../helpers/ports.ts'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription
let n0: TestnetNode
let n1: TestnetNode
let solo: Awaited<ReturnType<typeof makeTestnet>>
let opted: RunningNode
let optedUrl: string

before(async () => {
  // No gas cap: a fast machine ran the endless loop out of 50M gas before the 5 s EVM timeout this test is about.
  net = await makeTestnet({ nodes: 2, signers: 1, degree: 1, period: 1, seed: 'rpc-harden', accounts: 4, rpcGasCap: '0' })
  d = await launchTestnet(net.dir, { readyTimeoutMs: 90_000 })
  ;[n0, n1] = d.nodes as [TestnetNode, TestnetNode]
  // One sealing node of its own testnet, in this process, with every opt-in flag.
  solo = await makeTestnet({ nodes: 1, signers: 1, degree: 1, period: 1, seed: 'rpc-harden-solo', accounts: 2 })
  const s = solo.d.nodes[0]!
  const [p2p, rpc] = await freePorts(2)
  opted = await startNode({
    name: 'solo', genesisPath: solo.d.genesisPath, dataDir: s.dataDir, nodeKey: hexToBytes(s.nodeKey as `0x${string}`),
    signerKey: hexToBytes(s.signerKey as `0x${string}`), host: '127.0.0.1', p2pPort: p2p!, rpcPort: rpc!, metricsPort: 0,
    staticPeers: [], maxPeers: 5, propagation: 'stock', logLevel: 'off',
    rpc: { apis: [...DEFAULT_RPC_APIS, 'debug', 'admin'], allowUnprotectedTxs: true, limits: { bodyLimitBytes: 5 * 1024 * 1024, batchLimit: 1000, batchResponseMaxBytes: 50_000 } },
  })
  optedUrl = `http://127.0.0.1:${rpc}`
  await eventually('the opted-in node seals block 1', 30_000, async () => (Number((await rpc1(optedUrl, 'eth_blockNumber')).result) >= 1 ? true : undefined))
})
after(async () => {
  await opted?.stop()
  await solo?.cleanup()
  await net?.cleanup()
})

type Resp = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string } }

async function post(url: string, body: string, timeoutMs = 30_000): Promise<{ status: number; json: unknown; ms: number }> {
  const t = Date.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text), ms: Date.now() - t }
}
const rpc1 = async (url: string, method: string, params: unknown[] = [], timeoutMs?: number): Promise<Resp> =>
  (await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), timeoutMs)).json as Resp
const blockNumber = async (url: string): Promise<number> => Number((await rpc1(url, 'eth_blockNumber', [], 5_000)).result)
const req = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })

test('batches: [] gets one error, nested batches an error per element, over 1000 one "batch too large" (limits.ts)', async () => {
  const empty = await post(n1.rpcUrl, '[]', 10_000)
  assert.equal(Array.isArray(empty.json), false)
  assert.equal((empty.json as Resp).error?.code, -32600)
  for (const body of ['[[]]', `[[${JSON.stringify(req(1, 'eth_blockNumber'))}]]`, `[[],${JSON.stringify(req(2, 'eth_blockNumber'))}]`]) {
    const r = await post(n1.rpcUrl, body, 10_000)
    const arr = r.json as Resp[]
    assert.equal(arr.length, JSON.parse(body).length, body)
    assert.equal(arr[0]!.error?.code, -32600, body)
  }
  const over = await post(n1.rpcUrl, JSON.stringify(Array.from({ length: 10_000 }, (_, i) => req(i + 1, 'eth_getBlockByNumber', ['latest', true]))))
  assert.equal((over.json as Resp[]).length, 1)
  assert.match((over.json as Resp[])[0]!.error!.message, /batch too large: 10000 elements, at most 1000/)
  const at = await post(n1.rpcUrl, JSON.stringify(Array.from({ length: 1000 }, (_, i) => req(i + 1, 'eth_blockNumber'))))
  assert.deepEqual((at.json as Resp[]).map((r) => r.id), Array.from({ length: 1000 }, (_, i) => i + 1))
})

test('a batch past the response cap gets "response too large" for the rest (limits.ts, cap 50 kB on the opted node)', async () => {
  const r = (await post(optedUrl, JSON.stringify(Array.from({ length: 100 }, (_, i) => req(i + 1, 'eth_getBlockByNumber', ['latest', true]))))).json as Resp[]
  assert.equal(r.length, 100)
  const firstRefused = r.findIndex((e) => e.error?.code === -32003)
  assert.ok(firstRefused > 0 && firstRefused < 100, `some answered, then refused (first refused: ${firstRefused})`)
  assert.ok(r.slice(firstRefused).every((e) => e.error?.code === -32003))
})

test('a body over 5 MiB gets HTTP 413 with a JSON-RPC error (limits.ts)', async () => {
  const big = JSON.stringify(req(1, 'eth_call', [{ data: `0x${'00'.repeat(2_700_000)}` }, 'latest']))
  const r = await post(n1.rpcUrl, big)
  assert.equal(r.status, 413)
  assert.match((r.json as Resp).error!.message, /request body too large: \d+ bytes, at most 5242880/)
  assert.equal(await blockNumber(n1.rpcUrl) >= 1, true, 'the node answers afterwards')
})

test('an endless eth_call ends with a timeout error after ~5 s while both nodes keep sealing, importing and answering (evm 040, client 041)', async () => {
  const loop = { data: '0x5b600056', gas: '0xffffffffffffffff' }
  const start = await Promise.all([blockNumber(n0.rpcUrl), blockNumber(n1.rpcUrl)])
  let probing = true
  const latencies: number[] = []
  const probe = (async () => {
    while (probing) {
      for (const url of [n0.rpcUrl, n1.rpcUrl]) {
        const t = Date.now()
        await blockNumber(url)
        latencies.push(Date.now() - t)
      }
      await new Promise((r) => setTimeout(r, 250))
    }
  })()
  const t = Date.now()
  const [a, b] = await Promise.all([rpc1(n0.rpcUrl, 'eth_call', [loop, 'latest'], 60_000), rpc1(n1.rpcUrl, 'eth_call', [loop, 'latest'], 60_000)])
  const took = Date.now() - t
  probing = false
  await probe
  for (const r of [a, b]) {
    assert.equal(r.error?.code, -32000)
    assert.match(r.error!.message, /execution aborted \(timeout = 5000 ms\)/)
  }
  assert.ok(took >= 4_500 && took < 20_000, `answered after ${took} ms`)
  const end = await Promise.all([blockNumber(n0.rpcUrl), blockNumber(n1.rpcUrl)])
  assert.ok(end[0]! >= start[0]! + 2, `n0 sealed meanwhile: ${start[0]} -> ${end[0]}`)
  assert.ok(end[1]! >= start[1]! + 2, `n1 imported meanwhile: ${start[1]} -> ${end[1]}`)
  assert.ok(latencies.length >= 8, `eth_blockNumber answered ${latencies.length} times during the call`)
  assert.ok(Math.max(...latencies) < 2_000, `eth_blockNumber latencies during the call: max ${Math.max(...latencies)} ms`)
})

test('eth_estimateGas of a failing tx is an error, not the gas limit (client 041)', async () => {
  const loop = await rpc1(n1.rpcUrl, 'eth_estimateGas', [{ data: '0x5b600056' }], 60_000)
  assert.equal(loop.result, undefined, `no estimate: ${JSON.stringify(loop)}`)
  assert.match(loop.error!.message, /execution aborted|gas required exceeds allowance \(\d+\)/)
  const oog = await rpc1(n1.rpcUrl, 'eth_estimateGas', [{ data: '0x5b600056', gas: '0x10000' }])
  assert.deepEqual(oog.error, { code: -32000, message: 'gas required exceeds allowance (65536)' })
  const revert = await rpc1(n1.rpcUrl, 'eth_estimateGas', [{ data: '0x60006000fd' }])
  assert.equal(revert.error?.code, 3)
  assert.equal(revert.error?.message, 'execution reverted')
  const transfer = await rpc1(n1.rpcUrl, 'eth_estimateGas', [{ from: d.accounts[0]!.address, to: d.accounts[1]!.address, value: '0x1' }])
  assert.equal(transfer.result, '0x5208', 'a plain transfer still estimates 21000')
})

test('malformed block numbers and quantities get -32602 (client 040)', async () => {
  const bad: [string, unknown[]][] = [
    ['eth_getBlockByNumber', ['0xzz', false]],
    ['eth_getBlockByNumber', ['0x-1', false]],
    ['eth_getBlockByNumber', [`0x${'1'.repeat(1000)}`, false]],
    ['eth_getBlockByNumber', ['0x', false]],
    ['eth_getBlockByNumber', ['0x1', false, 'extra']],
    ['eth_getBalance', [d.accounts[0]!.address, '0xzz']],
    ['eth_getTransactionCount', [d.accounts[0]!.address, `0x${'f'.repeat(17)}`]],
    ['eth_call', [{ to: d.accounts[0]!.address, gas: '0xzz' }, 'latest']],
    ['eth_call', [{ to: d.accounts[0]!.address, value: `0x1${'0'.repeat(64)}` }, 'latest']],
    ['eth_getStorageAt', [d.accounts[0]!.address, '0xnothex', 'latest']],
  ]
  for (const [method, params] of bad) {
    const r = await rpc1(n1.rpcUrl, method, params)
    assert.equal(r.error?.code, -32602, `${method} ${JSON.stringify(params).slice(0, 60)}: ${JSON.stringify(r).slice(0, 200)}`)
  }
  const ok: [string, unknown[]][] = [
    ['eth_getBlockByNumber', ['0x0', false]],
    ['eth_getBlockByNumber', ['0x01', false]],
    ['eth_getBlockByNumber', ['latest', false]],
    ['eth_getBalance', [d.accounts[0]!.address, 'latest']],
  ]
  for (const [method, params] of ok) {
    const r = await rpc1(n1.rpcUrl, method, params)
    assert.equal(r.error, undefined, `${method} ${JSON.stringify(params)}: ${JSON.stringify(r.error)}`)
    assert.notEqual(r.result, null)
  }
})

const nonceOf = async (url: string, address: string): Promise<number> => Number((await rpc1(url, 'eth_getTransactionCount', [address, 'latest'])).result)

test('unprotected legacy txs are refused by default and accepted with --rpc-allow-unprotected-txs (client 042)', async () => {
  const signUnprotected = async (key: string, url: string) => {
    const w = new Wallet(key)
    return w.signTransaction({ type: 0, chainId: 0, nonce: await nonceOf(url, w.address), gasPrice: 2_000_000_000n, gasLimit: 21_000n, to: '0x000000000000000000000000000000000000dEaD', value: 1n })
  }
  const refused = await rpc1(n1.rpcUrl, 'eth_sendRawTransaction', [await signUnprotected(d.accounts[0]!.privateKey, n1.rpcUrl)])
  assert.equal(refused.error?.code, -32000)
  assert.match(refused.error!.message, /only replay-protected \(EIP-155\) transactions allowed over RPC/)
  const accepted = await rpc1(optedUrl, 'eth_sendRawTransaction', [await signUnprotected(solo.d.accounts[0]!.privateKey, optedUrl)])
  assert.match(String(accepted.result), /^0x[0-9a-f]{64}$/, JSON.stringify(accepted))
  // A protected legacy tx is fine on the default node.
  const w = new Wallet(d.accounts[1]!.privateKey)
  const protectedTx = await w.signTransaction({ type: 0, chainId: d.chainId, nonce: await nonceOf(n1.rpcUrl, w.address), gasPrice: 2_000_000_000n, gasLimit: 21_000n, to: '0x000000000000000000000000000000000000dEaD', value: 1n })
  assert.match(String((await rpc1(n1.rpcUrl, 'eth_sendRawTransaction', [protectedTx])).result), /^0x[0-9a-f]{64}$/)
})

test('a local tx below the base fee is refused with a clear error (client 043)', async () => {
  const w = new Wallet(d.accounts[2]!.privateKey)
  const raw = await w.signTransaction({ type: 2, chainId: d.chainId, nonce: await nonceOf(n1.rpcUrl, w.address), maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, to: '0x000000000000000000000000000000000000dEaD', value: 1n })
  const r = await rpc1(n1.rpcUrl, 'eth_sendRawTransaction', [raw])
  assert.equal(r.error?.code, -32000)
  assert.match(r.error!.message, /max fee per gas less than block base fee: maxFeePerGas 1, baseFee \d+/)
  const pool = (await rpc1(n1.rpcUrl, 'txpool_content')).result as { pending: Record<string, unknown> }
  assert.equal(Object.keys(pool.pending).some((a) => a.toLowerCase() === w.address.toLowerCase()), false, 'not in the pool')
})

test('debug_ and admin_ are off by default and on with --rpc-api (apis.ts)', async () => {
  for (const [method, params] of [['debug_setHead', ['0x0']], ['debug_verbosity', [3]], ['admin_addPeer', ['enode://00@127.0.0.1:1']], ['admin_nodeInfo', []]] as const) {
    const r = await rpc1(n1.rpcUrl, method, [...params])
    assert.equal(r.error?.code, -32601, `${method} is not served: ${JSON.stringify(r)}`)
  }
  const info = await rpc1(optedUrl, 'admin_nodeInfo')
  assert.equal(info.error, undefined, JSON.stringify(info.error))
  assert.notEqual((await rpc1(optedUrl, 'debug_getRawHeader', ['latest'])).error?.code, -32601)
  assert.equal((await rpc1(n1.rpcUrl, 'eth_chainId')).result, `0x${d.chainId.toString(16)}`, 'eth_ stays on')
})

/** Local addresses of the sockets bound to `port` in /proc/net/{tcp,udp} ("0100007F" is 127.0.0.1, "00000000" any). */
function boundAddresses(kind: 'tcp' | 'udp', port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  return readFileSync(join('/proc/net', kind), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[1] ?? '')
    .filter((local) => local.endsWith(`:${hexPort}`))
    .map((local) => local.split(':')[0]!)
}

test("devp2p listens on the node's address, not 0.0.0.0: TCP and discovery UDP (client 044)", () => {
  for (const n of d.nodes) {
    const tcp = boundAddresses('tcp', n.p2pPort)
    const udp = boundAddresses('udp', n.p2pPort)
    assert.ok(tcp.includes('0100007F'), `${n.name} TCP ${n.p2pPort} on 127.0.0.1: ${tcp.join(',')}`)
    assert.ok(!tcp.includes('00000000') && !udp.includes('00000000'), `${n.name} binds nothing on 0.0.0.0: tcp ${tcp.join(',')} udp ${udp.join(',')}`)
  }
})
