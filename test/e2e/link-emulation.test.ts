/**
 * Emulated links on a real testnet: 3 nodes in a triangle, one signer, 150 ms one-way delay on every link (shaping
 * proxies inside the dialing node). Blocks must still flow, and reach the other nodes no sooner than one link delay
 * after the signer had them, by the nodes' own first-seen clocks.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { launchTestnet } from '../../testnets/launcher.ts'
import type { TestnetDescription } from '../../testnets/description.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { eventually, head, makeTestnet } from '../helpers/testnet.ts'

const DELAY_MS = 150
let net: Awaited<ReturnType<typeof makeTestnet>>
let d: TestnetDescription

before(async () => {
  net = await makeTestnet({ nodes: 3, signers: 1, degree: 2, seed: 'e2e-links', link: { delay: `${DELAY_MS}ms` } })
  d = await launchTestnet(net.dir, { readyTimeoutMs: 60_000 })
})
after(async () => net?.cleanup())

test('blocks cross every emulated link no sooner than its delay', async () => {
  assert.deepEqual(d.link, { delay: '150ms' })
  const signer = d.nodes.find((n) => n.signerKey !== undefined)!
  const others = d.nodes.filter((n) => n !== signer)
  const start = (await head(signer)).number
  await eventually('three new blocks everywhere', 30_000, async () => {
    const hs = await Promise.all(d.nodes.map(head))
    return hs.every((h) => h.number >= start + 3) ? true : undefined
  })
  for (let n = start + 1; n <= start + 3; n++) {
    const b = await rpcCall<{ hash: string }>(signer.rpcUrl, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
    const sealed = (await rpcCall<Record<string, number | null>>(signer.rpcUrl, 'teecast_firstSeen', [[b.hash]]))[b.hash]!
    assert.ok(sealed !== null)
    for (const o of others) {
      const seen = (await rpcCall<Record<string, number | null>>(o.rpcUrl, 'teecast_firstSeen', [[b.hash]]))[b.hash]
      assert.ok(seen !== null && seen !== undefined, `${o.name} saw block ${n}`)
      assert.ok(seen - sealed >= DELAY_MS - 5, `${o.name} saw block ${n} ${seen - sealed} ms after the signer`)
    }
  }
})
