/**
 * The testnet lifecycle fails loudly and cleans up (issue 13): a node that dies during `up` fails the start at once
 * with the cause from its log; readiness is answered only by the node that was started (its node id); a stopped
 * testnet restarts from its data on disk with `testnet start`; a port in use fails `up` before anything starts.
 * Real node processes on free loopback ports.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchTestnet, NodeExitedError, stopTestnet, waitUntilReady } from '../../testnets/launcher.ts'
import { readTestnet } from '../../testnets/description.ts'
import { head, makeTestnet } from '../helpers/testnet.ts'
import { freePortRange } from '../helpers/ports.ts'

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/teecast.js', ...args], { encoding: 'utf8', timeout: 180_000 })

test('a node that exits during start fails the launch at once, naming the node and quoting its log', async () => {
  const net = await makeTestnet({ nodes: 2, signers: 1, degree: 1, seed: 'lifecycle-dies' })
  try {
    writeFileSync(net.d.genesisPath, '{ not json')
    const err = await launchTestnet(net.dir, { readyTimeoutMs: 120_000 }).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof NodeExitedError, `expected NodeExitedError, got ${String(err)}`)
    assert.match(err.message, /node n[01] \(pid \d+\) exited while the testnet was starting/)
    assert.match(err.message, /n[01]\.log/)
  } finally {
    await net.cleanup()
  }
})

test('readiness checks the identity of the answering node; down then start restarts from the data on disk', async () => {
  const net = await makeTestnet({ nodes: 2, signers: 1, degree: 1, seed: 'lifecycle-restart' })
  try {
    const d = await launchTestnet(net.dir, { readyTimeoutMs: 90_000 })
    // Another description on the same RPC ports, with other node ids: the running nodes are not its nodes.
    const other = { ...d, nodes: d.nodes.map((n) => ({ ...n, pid: null, nodeId: 'ff'.repeat(64) })) }
    await assert.rejects(waitUntilReady(other, other.nodes, { readyTimeoutMs: 20_000 }), /is answered by another node/)
    const before = await head(d.nodes[0]!)
    assert.ok(before.number >= 1)
    await stopTestnet(net.dir)
    assert.ok(readTestnet(net.dir).nodes.every((n) => n.pid === null))
    const r = cli('testnet', 'start', '--dir', net.dir)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /ready after [\d.]+ s, from the data in/, r.stderr)
    process.stderr.write(r.stderr.split('\n').filter((l) => /ready after/.test(l)).join('\n') + '\n')
    const after = readTestnet(net.dir)
    for (const n of after.nodes) assert.notEqual(n.pid, null, `${n.name} has a pid after start`)
    const h = await head(after.nodes[1]!)
    assert.ok(h.number >= before.number, `head after restart ${h.number} >= ${before.number}`)
    const again = cli('testnet', 'start', '--dir', net.dir)
    assert.equal(again.status, 1)
    assert.match(again.stderr, /are running/)
  } finally {
    await net.cleanup()
  }
})

test('up with a port in use fails before starting anything, names the port, and leaves no testnet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-life-'))
  const base = await freePortRange(12)
  const holder: Server = createServer()
  await new Promise<void>((r) => holder.listen(base + 1, '127.0.0.1', () => r()))
  try {
    const target = join(dir, 'net')
    const r = cli('testnet', 'up', '--dir', target, '--nodes', '2', '--degree', '1', '--signers', '1', '--base-port', String(base), '--rpc-port', String(base + 4), '--metrics-port', '0')
    assert.equal(r.status, 1, r.stderr)
    assert.match(r.stderr, new RegExp(`ports in use on 127\\.0\\.0\\.1: ${base + 1} \\(n1 devp2p`))
    assert.equal(existsSync(target), false)
  } finally {
    holder.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('Ctrl-C during up stops every node it started and exits 130', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-life-'))
  const target = join(dir, 'net')
  const base = await freePortRange(12)
  try {
    const child = spawn(process.execPath, ['bin/teecast.js', 'testnet', 'up', '--dir', target, '--nodes', '2', '--degree', '1', '--signers', '1', '--base-port', String(base), '--rpc-port', String(base + 4), '--metrics-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let sent = false
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString()
      if (!sent && /started 2 node processes/.test(stderr)) {
        sent = true
        child.kill('SIGINT')
      }
    })
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
    assert.equal(code, 130, stderr)
    assert.match(stderr, /SIGINT: stopping the nodes started so far/)
    assert.match(stderr, /stopped 2 node processes; the data stays in/)
    const d = readTestnet(target)
    assert.ok(d.nodes.every((n) => n.pid === null), 'no pid left in testnet.json')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
