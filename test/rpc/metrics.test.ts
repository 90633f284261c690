/**
 * /metrics of real node processes (a 2-node tee testnet, n0 seals, n1 follows): every family the README lists is
 * there, values move between two scrapes (head, RPC calls, block propagation and tx inclusion observations, per-peer
 * bytes), and the exposition passes `promtool check metrics` (Debian's prometheus package; the Makefile installs it).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { JsonRpcProvider, Wallet, parseEther } from 'ethers'
import { launchTestnet } from '../../testnets/launcher.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { eventually, makeTestnet } from '../helpers/testnet.ts'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription

before(async () => {
  net = await makeTestnet({ nodes: 2, signers: 1, degree: 1, seed: 'e2e-metrics', propagation: 'tee', period: 1, teeEpochMs: 5_000 })
  d = await launchTestnet(net.dir, { readyTimeoutMs: 60_000 })
})
after(async () => net?.cleanup())

const scrape = async (n: TestnetNode): Promise<string> => {
  const res = await fetch(`http://${n.host}:${n.metricsPort}/metrics`)
  assert.equal(res.status, 200)
  return res.text()
}

/** The value of the first sample of `name` whose labels contain every `label="value"` given. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

const FAMILIES = [
  'teecast_build_info',
  'teecast_chain_head_block',
  'teecast_chain_transactions_total',
  'teecast_chain_block_import_seconds',
  'teecast_chain_block_execution_seconds',
  'teecast_chain_block_seal_seconds',
  'teecast_sync_synchronized',
  'teecast_txpool_transactions',
  'teecast_rpc_requests_total',
  'teecast_rpc_request_duration_seconds',
  'teecast_block_propagation_seconds',
  'teecast_tx_inclusion_seconds',
  'teecast_first_seen_total',
  'teecast_p2p_messages_total',
  'teecast_p2p_bytes_total',
  'teecast_p2p_peer_bytes_total',
  'teecast_duplicate_payloads_total',
  'teecast_peers',
  'teecast_tee_epoch',
  'teecast_tee_plan_nodes',
  'teecast_tee_attested',
  'teecast_tee_in_plan',
  'teecast_tee_relay_events_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
]

test('every family is exposed, values move, and promtool accepts the exposition', { timeout: 120_000 }, async () => {
  const [n0, n1] = [d.nodes[0]!, d.nodes[1]!]
  const first = await scrape(n1)
  for (const f of FAMILIES) assert.match(first, new RegExp(`^# TYPE ${f} `, 'm'), `family ${f}`)
  assert.equal(sample(first, 'teecast_build_info', { mode: 'tee', node: 'n1', node_version: process.version }), 1)
  assert.equal(sample(first, 'teecast_sync_synchronized'), 1)
  const head1 = sample(first, 'teecast_chain_head_block')!
  const rpc1 = sample(first, 'teecast_rpc_requests_total', { method: 'eth_blockNumber', outcome: 'ok' }) ?? 0

  // One transfer through n0, seen by n1 over the wire and then in a block.
  const provider = new JsonRpcProvider(n0.rpcUrl, d.chainId, { staticNetwork: true })
  const wallet = new Wallet(d.accounts[0]!.privateKey, provider)
  const tx = await wallet.sendTransaction({ to: d.accounts[1]!.address, value: parseEther('0.001'), gasLimit: 21_000 })
  await tx.wait(1, 60_000)
  provider.destroy()
  for (let i = 0; i < 3; i++) await rpcCall(n1.rpcUrl, 'eth_blockNumber', [])
  await assert.rejects(rpcCall(n1.rpcUrl, 'teecast_firstSeen', ['not a list']))

  const second = await eventually('n1 past the first head and holding the tx block', 60_000, async () => {
    const t = await scrape(n1)
    const included = sample(t, 'teecast_tx_inclusion_seconds_count') ?? 0
    return sample(t, 'teecast_chain_head_block')! > head1 && included >= 1 ? t : undefined
  })
  assert.ok(sample(second, 'teecast_rpc_requests_total', { method: 'eth_blockNumber', outcome: 'ok' })! >= rpc1 + 3)
  assert.ok(sample(second, 'teecast_rpc_requests_total', { method: 'teecast_firstSeen', outcome: 'error' })! >= 1)
  assert.ok(sample(second, 'teecast_block_propagation_seconds_count')! >= 1, 'n1 received blocks')
  assert.ok(sample(second, 'teecast_chain_block_import_seconds_count')! >= 1)
  assert.ok(sample(second, 'teecast_chain_transactions_total')! >= 1, 'the transfer was counted as committed')
  assert.ok(sample(second, 'teecast_chain_block_execution_seconds_count')! >= 1)
  assert.ok(sample(second, 'teecast_first_seen_total', { kind: 'tx', via: 'wire' })! >= 1)
  assert.ok(sample(second, 'teecast_p2p_peer_bytes_total', { peer: n0.nodeId.slice(0, 8), direction: 'in' })! > 0)
  assert.equal(sample(second, 'teecast_txpool_transactions', { state: 'pending' }), 0, 'the transfer was mined and dropped')
  assert.equal(sample(second, 'teecast_tee_attested'), 1)
  const sealer = await scrape(n0)
  assert.ok(sample(sealer, 'teecast_chain_block_seal_seconds_count')! >= 1, 'n0 sealed blocks')
  assert.equal(sample(sealer, 'teecast_block_propagation_seconds_count'), 0, 'n0 received no block it did not seal')

  // promtool reads the exposition from stdin and exits non-zero on any format error (lint warnings print too).
  const promtool = spawnSync('promtool', ['--version'])
  assert.equal(promtool.error, undefined, 'promtool not found: `make test` installs it (Debian package prometheus)')
  for (const text of [second, sealer]) execFileSync('promtool', ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] })
})
