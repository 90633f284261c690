/** The chaos schedule: faults in the first two thirds of the workload, no signer killed, a partition cuts exactly the links between its halves. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { portPairKey } from '../../src/shared/linkemu/spec.ts'
import { FAULT_KINDS, planChaos, unsupported } from '../../bench/chaos/plan.ts'

const make = (link: boolean, propagation: 'stock' | 'tee' = 'stock') => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-chaos-plan-'))
  const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 8, degree: 3, signers: 2, seed: 'chaos-plan', propagation, ...(link ? { link: { delay: '1ms' } } : {}) })
  return { d, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

test('every fault kind is planned in the first two thirds of the workload; kill never picks a signer', () => {
  const { d, cleanup } = make(true, 'tee')
  try {
    for (const seed of ['a', 'b', 'c', 'd']) {
      const plan = planChaos(d, { kinds: FAULT_KINDS, workloadMs: 60_000, downMs: 5_000, seed })
      assert.deepEqual(plan.map((f) => f.kind), [...FAULT_KINDS])
      for (const f of plan) assert.ok(f.atMs >= 0 && f.atMs < 40_000, `${f.kind} at ${f.atMs}`)
      const kill = plan.find((f) => f.kind === 'kill')!
      assert.ok(kill.kind === 'kill' && d.nodes.find((n) => n.name === kill.node)!.signerKey === undefined, 'a non-signer is killed')
    }
  } finally {
    cleanup()
  }
})

test('a partition puts a signer on each side and cuts exactly the links between the sides', () => {
  const { d, cleanup } = make(true)
  try {
    const [p] = planChaos(d, { kinds: ['partition'], workloadMs: 30_000, downMs: 5_000, seed: 'x' })
    assert.ok(p !== undefined && p.kind === 'partition')
    const [a, b] = p.sides
    assert.equal(a.length + b.length, d.nodes.length)
    const signers = d.nodes.filter((n) => n.signerKey !== undefined).map((n) => n.name)
    assert.ok(signers.some((s) => a.includes(s)) && signers.some((s) => b.includes(s)), 'a signer on each side')
    const byName = new Map(d.nodes.map((n) => [n.name, n]))
    const cross = new Set<string>()
    for (const n of d.nodes) for (const q of n.peers) if (a.includes(n.name) !== a.includes(q)) cross.add(portPairKey(n.p2pPort, byName.get(q)!.p2pPort))
    assert.deepEqual(p.links, [...cross].sort())
    assert.ok(p.links.length > 0)
  } finally {
    cleanup()
  }
})

test('link faults need the link emulator, and the coordinator fault needs attested tee nodes', () => {
  const { d, cleanup } = make(false)
  try {
    assert.match(unsupported(d, 'partition') ?? '', /needs the link emulator/)
    assert.match(unsupported(d, 'slow') ?? '', /needs the link emulator/)
    assert.match(unsupported(d, 'coordinator') ?? '', /needs tee nodes/)
    assert.equal(unsupported(d, 'kill'), undefined)
  } finally {
    cleanup()
  }
})
