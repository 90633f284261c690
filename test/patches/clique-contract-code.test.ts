/**
 * Patch @ethereumjs/client 019 (clique-signer-for-evm): contract code must run on the Clique testnet. Without the
 * patch the client's EVM has no `cliqueSigner`, so every tx that runs code throws "Must include cliqueSigner
 * function if clique/poa is being used for consensus type": the miner skips it (the counter is never deployed)
 * and its state changes stay in the block, whose stateRoot the follower then rejects.
 * Real processes: 2 nodes, 1 Clique signer (node 0 mines, node 1 imports every block and re-executes it).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { JsonRpcProvider, Wallet } from 'ethers'
import { launchTestnet } from '../../testnets/launcher.ts'
import { deployCounter } from '../../bench/workload/counter-contract.ts'
import { runWorkload } from '../../bench/workload/workload.ts'
import type { TestnetDescription } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { hexToBytes } from '@ethereumjs/util'
import { agreedHead, eventually, head, makeTestnet } from '../helpers/testnet.ts'

/** Runtime `COINBASE PUSH1 0 SSTORE STOP` (stores block.coinbase in slot 0) behind init code returning its 5 bytes. */
const COINBASE_INITCODE = '0x6005600c60003960056000f3' + '4160005500'

let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription

before(async () => {
  net = await makeTestnet({ nodes: 2, signers: 1, degree: 1, period: 1, seed: 'clique-evm', accounts: 2 })
  d = await launchTestnet(net.dir, { readyTimeoutMs: 60_000 })
})
after(async () => net?.cleanup())

const storage0 = (url: string, a: string) => rpcCall<string>(url, 'eth_getStorageAt', [a, '0x0', 'latest'])

test('the counter deploys, two calls leave slot 0 at 2 on both nodes, and the chain keeps advancing', async () => {
  const [miner, follower] = d.nodes as [TestnetDescription['nodes'][0], TestnetDescription['nodes'][0]]
  const acct = d.accounts[0]!
  const counter = await deployCounter(d, miner.rpcUrl, { address: acct.address, key: hexToBytes(acct.privateKey as `0x${string}`) }, 20_000)

  const provider = new JsonRpcProvider(miner.rpcUrl, d.chainId, { staticNetwork: true, batchMaxCount: 1 })
  provider.pollingInterval = 200
  const wallet = new Wallet(acct.privateKey, provider)
  for (let i = 0; i < 2; i++) {
    const r = await (await wallet.sendTransaction({ to: counter, data: '0x' })).wait(1, 20_000)
    assert.equal(r?.status, 1, `call ${i + 1} succeeded`)
  }
  assert.equal(BigInt(await storage0(miner.rpcUrl, counter)), 2n)

  const h = await head(miner)
  await eventually('the chain advances 3 blocks past the calls', 20_000, async () => ((await head(miner)).number >= h.number + 3 ? true : undefined))
  const agreed = await agreedHead(d.nodes, 15_000)
  assert.ok(agreed.number >= h.number + 3)
  assert.equal(BigInt(await storage0(follower.rpcUrl, counter)), 2n, 'the follower imported the blocks with the same state')
  provider.destroy()
})

test('COINBASE in a mined tx is the Clique signer (the provisional block is sealed) and the follower agrees', async () => {
  const [miner, follower] = d.nodes as [TestnetDescription['nodes'][0], TestnetDescription['nodes'][0]]
  const provider = new JsonRpcProvider(miner.rpcUrl, d.chainId, { staticNetwork: true, batchMaxCount: 1 })
  provider.pollingInterval = 200
  const wallet = new Wallet(d.accounts[1]!.privateKey, provider)
  const deploy = await (await wallet.sendTransaction({ data: COINBASE_INITCODE })).wait(1, 20_000)
  assert.equal(deploy?.status, 1)
  const a = deploy!.contractAddress!
  const call = await (await wallet.sendTransaction({ to: a, data: '0x' })).wait(1, 20_000)
  assert.equal(call?.status, 1)
  const block = await rpcCall<{ miner: string }>(miner.rpcUrl, 'eth_getBlockByNumber', [`0x${call!.blockNumber.toString(16)}`, false])
  const stored = BigInt(await storage0(miner.rpcUrl, a))
  // A Clique header's coinbase field is 0x0; COINBASE (EVM) is the signer recovered from the seal.
  const signerAddr = BigInt(miner.signerAddress!)
  assert.notEqual(stored, 0n, `COINBASE was not 0x0 (header miner field ${block.miner})`)
  assert.equal(stored, signerAddr, 'COINBASE is the Clique signer')
  const h = await head(miner)
  await eventually('the chain advances 2 blocks past the call', 15_000, async () => ((await head(miner)).number >= h.number + 2 ? true : undefined))
  await agreedHead(d.nodes, 15_000)
  assert.equal(BigInt(await storage0(follower.rpcUrl, a)), stored, 'the follower computed the same COINBASE')
  provider.destroy()
})


test('the bench workload runs a contractCall-only mix: every call lands and the counter counts them', async () => {
  const r = await runWorkload(d, { shape: { kind: 'open', steps: [{ rate: 10, count: 20 }] }, mix: { contractCall: 1 }, inclusionTimeoutMs: 30_000 })
  assert.equal(r.rejected.length, 0, JSON.stringify(r.rejected.slice(0, 3)))
  assert.equal(r.committed, 20)
  assert.ok(r.contract !== undefined)
  await agreedHead(d.nodes, 15_000)
  for (const n of d.nodes) assert.equal(BigInt(await storage0(n.rpcUrl, r.contract)), 20n, n.name)
})
