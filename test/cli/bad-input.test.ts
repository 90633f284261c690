import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET } from '../../testnets/create.ts'

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/teecast.js', ...args], { encoding: 'utf8', timeout: 60_000 })

type Ran = { status: number | null; stdout: string; stderr: string }

/** Runs the CLI once per argument list, two at a time (each run is a process start, ~1.5 s), results in order. */
async function runAll(argLists: string[][]): Promise<Ran[]> {
  const runOne = (args: string[]) =>
    new Promise<Ran>((resolve) => {
      const p = spawn(process.execPath, ['bin/teecast.js', ...args], { timeout: 60_000 })
      let stdout = ''
      let stderr = ''
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      p.on('close', (status) => resolve({ status, stdout, stderr }))
    })
  const out: Ran[] = new Array(argLists.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < argLists.length) {
      const i = next++
      out[i] = await runOne(argLists[i]!)
    }
  }
  await Promise.all([worker(), worker()])
  return out
}

test('--help works on every command', async () => {
  const argLists = [[], ['node'], ['testnet'], ['testnet', 'up'], ['testnet', 'start'], ['testnet', 'status'], ['testnet', 'down'], ['testnet', 'send']]
  const results = await runAll(argLists.map((a) => [...a, '--help']))
  for (const [i, args] of argLists.entries()) {
    const r = results[i]!
    assert.equal(r.status, 0, `${args.join(' ')} --help: ${r.stderr}`)
    assert.match(r.stdout, /Options:/)
  }
})

test('bad input gets a message and exit 2, and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-cli-'))
  const target = join(dir, 'net')
  try {
    const cases: [string[], RegExp][] = [
      [['testnet', 'up', '--dir', target, '--nodes', '5', '--degree', '3'], /must be even/],
      [['testnet', 'up', '--dir', target, '--nodes', '4', '--degree', '2', '--signers', '9'], /--signers must be between 1 and --nodes/],
      [['testnet', 'up', '--dir', target, '--nodes', '4', '--propagation', 'gossip'], /"gossip" is not one of stock, geth, flood/],
      [['testnet', 'up', '--dir', target, '--nodes', '4', '--degree', '2', '--propagation', 'n9=flood'], /only 4 nodes/],
      [['testnet', 'send', '--dir', target, '--count', '0'], /--count must be a whole number >= 1/],
      [['testnet', 'k8s', '--out', target, '--namespace', 'Bad_NS'], /--namespace must be a DNS label/],
      [['testnet', 'k8s', '--out', target, '--nodes', '5', '--degree', '3'], /must be even/],
      // k8s checks the network flags as up does (one networkFromFlags): these used to pass and write manifests
      [['testnet', 'k8s', '--out', target, '--tee-epoch', '1'], /--tee-epoch must be between 2 and 86400/],
      [['testnet', 'k8s', '--out', target, '--period', '0'], /--period must be a whole number of seconds >= 1/],
      [['testnet', 'k8s', '--out', target, '--accounts', '0'], /--accounts must be a whole number >= 1/],
      [['testnet', 'k8s', '--out', target, '--tee-fraction', '1.5'], /--tee-fraction must be between 0 and 1/],
      [['testnet', 'k8s', '--out', target, '--signers', '9'], /--signers must be between 1 and --nodes/],
      [['testnet', 'up', '--dir', target, '--tee-epoch', '1'], /--tee-epoch must be between 2 and 86400/],
      [['node', '--node-key', 'zz'], /give either --dir and --name/],
      [['node', '--genesis', 'g.json', '--datadir', dir, '--node-key', 'zz'], /--node-key must be 32 bytes of hex/],
      [['testnet', 'up', '--dir', target, '--nodes', '4', '--rpc-api', 'eth,rootshell'], /--rpc-api: unknown RPC namespace "rootshell"/],
      [['node', '--genesis', 'g.json', '--datadir', dir, '--node-key', '11'.repeat(32), '--rpc-gascap', '-1'], /--rpc-gascap must be a whole number >= 0/],
      [['node', '--genesis', 'g.json', '--datadir', dir, '--node-key', '11'.repeat(32), '--rpc-evmtimeout', '99999'], /--rpc-evmtimeout must be between 0 and 3600/],
      [['node', '--genesis', 'g.json', '--datadir', dir, '--node-key', '11'.repeat(32), '--rpc-batch-limit', '0'], /--rpc-batch-limit must be a whole number >= 1/],
      [['node', '--genesis', 'g.json', '--datadir', dir, '--node-key', '11'.repeat(32), '--rpc-cors', 'localhost:3000'], /--rpc-cors: "localhost:3000" is not an origin/],
      [['node', '--genesis', 'g.json', '--datadir', dir, '--node-key', '11'.repeat(32), '--ws-port', '70000'], /--ws-port must be a TCP port/],
      [['nonsense'], /Unknown argument|Did you mean/],
      [['testnet', 'up', '--dir', target, '--nodes', '4', '--base-port', '70000'], /n0 devp2p \(--base-port\) port 70000 is not a TCP port/],
      [['testnet', 'up', '--dir', target, '--nodes', '4', '--rpc-port', '65534'], /n2 rpc \(--rpc-port\) port 65536 is not a TCP port/],
      [['testnet', 'up', '--dir', target, '--nodes', '4', '--rpc-port', '30401'], /would both use port 30401/],
      [['node', '--dir', '/nonexistent/teecast', '--name', 'n0'], /no testnet in \/nonexistent\/teecast/],
      [['node', '--genesis', 'g.json', '--datadir', dir, '--node-key', '11'.repeat(32), '--port', '0x'], /--port|Invalid|not a TCP port/],
      [['node', '--genesis', '/nonexistent/g.json', '--datadir', dir, '--node-key', '11'.repeat(32)], /--genesis \/nonexistent\/g\.json: no such file/],
    ]
    const results = await runAll(cases.map(([args]) => args))
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i]!
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`)
      assert.match(r.stderr, re, args.join(' '))
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace for bad input')
    }
    assert.equal(existsSync(target), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("teecast node --dir: a testnet.json rpcGasCap that is not a decimal whole number is bad input (it was ignored)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-cli-gascap-'))
  try {
    const d = createTestnet({ ...DEFAULT_TESTNET, dir, nodes: 2, signers: 1, degree: 1, accounts: 1, seed: 'gascap', basePort: 0, baseRpcPort: 0, baseMetricsPort: 0 })
    const file = join(dir, 'testnet.json')
    const original = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    for (const bad of ['50M', '0x2faf080', '-1', '1.5', '', 1.5, -1, true]) {
      writeFileSync(file, JSON.stringify({ ...original, rpcGasCap: bad }))
      const r = run('node', '--dir', dir, '--name', d.nodes[0]!.name)
      assert.equal(r.status, 2, `rpcGasCap ${JSON.stringify(bad)}: exit ${r.status}, stderr ${r.stderr}`)
      assert.match(r.stderr, /testnet\.json: rpcGasCap must be a whole number of gas in decimal/, `rpcGasCap ${JSON.stringify(bad)}`)
      assert.ok(r.stderr.includes(`got ${JSON.stringify(bad)}`), `the message quotes the value: ${r.stderr}`)
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace for bad input')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('commands on a missing testnet fail with a clear message and exit 1', () => {
  const r = run('testnet', 'status', '--dir', '/nonexistent/teecast')
  assert.equal(r.status, 1)
  assert.match(r.stderr, /no testnet in \/nonexistent\/teecast/)
})

test('teecast sim: a short --epoch scales the coordinator waits (it used to die on the params check); --epoch 1 is refused', () => {
  const ok = run('sim', '--nodes', '20', '--degree', '4', '--items', '20', '--modes', 'tee', '--epoch', '3')
  assert.equal(ok.status, 0, ok.stderr)
  assert.match(ok.stdout, /tee/)
  const bad = run('sim', '--epoch', '1')
  assert.equal(bad.status, 2)
  assert.match(bad.stderr, /--epoch >= 2/)
  assert.doesNotMatch(bad.stderr, /\n\s+at /)
})
