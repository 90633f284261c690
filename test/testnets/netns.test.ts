/**
 * `testnet up --netns` end to end (root only): 4 node processes, each in its own network namespace on a bridge,
 * stock and then tee, one signer. Links: 50 Mbit/s and 0.2 % loss by the kernel (htb/tbf, nftables), 5 ms delay by the
 * user-space emulator. Each run commits every tx of a small workload; the nodes' devp2p connections run between
 * the namespaces' addresses (not loopback); the kernel classes carried the traffic; `teardownNetns` leaves nothing.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'
import { readTestnet } from '../../testnets/description.ts'
import { launchTestnet, stopTestnet } from '../../testnets/launcher.ts'
import { runTransferWorkload } from '../../bench/workload/workload.ts'
import { chooseNetnsPlan, leftovers, netnsUnavailable, setupNetnsTestnet, teardownNetns } from '../../testnets/netns/setup.ts'
import type { NetnsRecord } from '../../testnets/netns/plan.ts'
import type { PropagationMode } from '../../src/propagation/interface.ts'

const why = netnsUnavailable()
const dirs: string[] = []
const records: NetnsRecord[] = []
after(async () => {
  for (const dir of dirs) await stopTestnet(dir).catch(() => undefined)
  for (const r of records) teardownNetns(r)
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const sh = (args: string[]): string => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8' })

async function runNetns(mode: PropagationMode): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-netns-'))
  dirs.push(dir)
  const names = ['n0', 'n1', 'n2', 'n3']
  const plan = chooseNetnsPlan(dir, names)
  records.push(plan)
  // Each node has its own address: the default ports cannot collide, not even with another testnet.
  createTestnet({
    ...DEFAULT_TESTNET,
    dir,
    nodes: 4,
    // One signer, as the tiny bench scenario: two can both seal block 1 and stall (README, known problems).
    signers: 1,
    degree: 3,
    seed: `netns-${mode}`,
    period: 2,
    accounts: 16,
    propagation: mode,
    hosts: plan.nodes.map((n) => n.ip),
    link: { delay: '5ms', rate: '50mbit', loss: '0.2%' },
    ...(mode === 'tee' ? { teeEpochMs: 10_000 } : {}),
  })
  setupNetnsTestnet(dir, plan)
  const t = readTestnet(dir)
  assert.deepEqual(t.link, { delay: '5ms' }, 'only delay is left to the user-space emulator')
  assert.deepEqual(t.netns?.kernelLink, { rate: '50mbit', loss: '0.2%' })
  const d = await launchTestnet(dir, { readyTimeoutMs: 240_000 })
  const r = await runTransferWorkload(d, { count: 30, rate: 10, inclusionTimeoutMs: 120_000 })
  assert.equal(r.committed, 30, `committed ${r.committed}/30; rejected: ${JSON.stringify(r.rejected.slice(0, 3))}`)

  // n0's devp2p links: TCP between its namespace address and its peers' addresses.
  const n0 = plan.nodes[0]!
  const peerIps = new Set(d.nodes[0]!.peers.map((p) => plan.nodes.find((x) => x.name === p)!.ip))
  const conns = sh(['ip', 'netns', 'exec', n0.ns, 'ss', '-tnH', 'state', 'established']).split('\n').filter((l) => l.trim() !== '')
  const remote = conns.map((l) => l.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, ''))
  for (const ip of peerIps) assert.ok(remote.includes(ip), `n0 (${n0.ip}) has a TCP connection to peer ${ip}: ${conns.join(' | ')}`)
  // The per-peer classes (rate) carried bytes.
  const classes = sh(['tc', '-n', n0.ns, '-s', 'class', 'show', 'dev', n0.nodeIf])
  const shapedBytes = [...classes.matchAll(/class htb 1:(\w+) .*rate 50Mbit[^\n]*\n\s*Sent (\d+) bytes/g)].map((m) => Number(m[2]))
  assert.equal(shapedBytes.length, peerIps.size, `one 50 Mbit class per peer:\n${classes}`)
  assert.ok(shapedBytes.every((b) => b > 0), `every peer class carried traffic: ${shapedBytes.join(', ')}`)

  await stopTestnet(dir)
  const removed = teardownNetns(plan)
  assert.ok(removed.includes(plan.bridge), `removed ${removed.join(', ')}`)
  assert.deepEqual(leftovers(plan.prefix), [], 'no namespace or link of the testnet is left')
}

test('a 4-node stock testnet in network namespaces commits every tx', { skip: why }, async () => {
  await runNetns('stock')
})

test('a 4-node tee testnet in network namespaces commits every tx', { skip: why }, async () => {
  await runNetns('tee')
})
