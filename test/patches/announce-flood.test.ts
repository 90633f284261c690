/**
 * Patch @ethereumjs/client 050 (announced-hashes-bounded), on a real in-process node's tx pool. Without it the hashes
 * being fetched are an array scanned per hash (quadratic: a 200k-hash announcement froze a node), every announced
 * hash is taken, and nothing bounds what one peer has in flight.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { startTarget, type Target } from '../helpers/adversary-target.ts'

let t: Target
before(async () => {
  t = await startTarget('announce-flood')
})
after(async () => {
  await t?.stop()
})

interface PoolInternals {
  running: boolean
  pending: Set<string>
  handleAnnouncedTxHashes(hashes: Uint8Array[], peer: unknown, pool: unknown): Promise<void>
}

test('a peer gets at most 4096 announced hashes in flight; the excess is dropped, and freed when the fetch ends', async () => {
  const pool = t.node.service.txPool as unknown as PoolInternals
  pool.running = true
  const asked: number[] = []
  let answer: (v: undefined) => void = () => undefined
  const peer = { id: 'cd'.repeat(32), eth: { getPooledTransactions: (a: { hashes: Uint8Array[] }) => (asked.push(a.hashes.length), new Promise<undefined>((r) => (answer = r))) } }
  const hashes = (n: number) => Array.from({ length: n }, () => new Uint8Array(randomBytes(32)))
  const first = pool.handleAnnouncedTxHashes(hashes(200_000), peer, t.node.service.pool)
  assert.equal(pool.pending.size, 4096, 'one message: at most 4096 hashes taken')
  assert.deepEqual(asked, [256], 'fetched 256 per request, as the client does')
  await pool.handleAnnouncedTxHashes(hashes(10), peer, t.node.service.pool)
  assert.equal(pool.pending.size, 4096, 'nothing more in flight for this peer')
  const other = { id: 'ef'.repeat(32), eth: { getPooledTransactions: async () => undefined } }
  await pool.handleAnnouncedTxHashes(hashes(10), other, t.node.service.pool)
  assert.equal(pool.pending.size, 4096, "another peer's announcement is handled (and done)")
  answer(undefined)
  await first
  assert.equal(pool.pending.size, 0, 'pending is cleared after the fetch')
})
