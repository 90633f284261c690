/**
 * The container image (Containerfile):
 * - always: its structure, checked offline (hadolint is not to be had from npm or Debian): multi-stage, `npm ci`
 *   after the patches are copied in, a non-root USER in the final stage, a HEALTHCHECK, ENTRYPOINT teecast;
 * - where podman runs (root, podman, runc): the image is built from a local Debian rootfs plus Node 20 from the
 *   npm registry (containers/build-local.sh, cached after the first build: about 10 minutes, then 1-2), and a
 *   4-node testnet runs in 4 containers (host network, the testnet dir mounted at its own path) and commits a
 *   small workload; the healthcheck passes on a node.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { chownSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { waitUntilReady } from '../../testnets/launcher.ts'
import { runTransferWorkload } from '../../bench/workload/workload.ts'
import { makeTestnet } from '../helpers/testnet.ts'

const run = promisify(execFile)
const IMAGE = 'localhost/teecast:dev'
/** The image's user (Containerfile: useradd --uid 10001). */
const IMAGE_UID = 10001

interface Instruction {
  op: string
  args: string
}

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
export function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ')
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l)!
      return { op: m[1]!.toUpperCase(), args: m[2]! }
    })
}

test('Containerfile: multi-stage, npm ci with the patches, non-root, healthcheck, ENTRYPOINT teecast', () => {
  const ins = instructions(readFileSync('Containerfile', 'utf8'))
  const froms = ins.map((x, i) => ({ ...x, i })).filter((x) => x.op === 'FROM')
  assert.ok(froms.length >= 2, `multi-stage: ${froms.length} FROM`)
  const finalStage = ins.slice(froms.at(-1)!.i)
  const buildStage = ins.slice(froms[0]!.i, froms[1]!.i)
  const npmCi = buildStage.findIndex((x) => x.op === 'RUN' && /\bnpm ci\b/.test(x.args))
  const patches = buildStage.findIndex((x) => x.op === 'COPY' && /\bpatches\b/.test(x.args))
  assert.ok(npmCi >= 0, 'the build stage runs npm ci')
  assert.ok(patches >= 0 && patches < npmCi, 'patches/ is copied in before npm ci (patch-package runs in postinstall)')
  assert.ok(finalStage.some((x) => x.op === 'COPY' && /--from=build/.test(x.args)), 'the final stage copies the build')
  const users = finalStage.filter((x) => x.op === 'USER')
  assert.ok(users.length > 0, 'the final stage sets USER')
  assert.ok(!/^(root|0)(:|$)/.test(users.at(-1)!.args), `the final USER is not root: ${users.at(-1)!.args}`)
  const health = finalStage.find((x) => x.op === 'HEALTHCHECK')
  assert.ok(health !== undefined && /CMD/.test(health.args) && readFileSync('bin/healthcheck.js', 'utf8').includes('eth_blockNumber'), 'HEALTHCHECK asks JSON-RPC')
  const entry = finalStage.find((x) => x.op === 'ENTRYPOINT')
  assert.ok(entry !== undefined && /teecast\.js/.test(entry.args), `ENTRYPOINT runs teecast: ${entry?.args}`)
  // Everything COPY names exists (a renamed folder breaks the build, not only a run).
  for (const c of buildStage.filter((x) => x.op === 'COPY' && !x.args.includes('--from'))) {
    for (const src of c.args.split(/\s+/).slice(0, -1)) assert.ok(statSync(src, { throwIfNoEntry: false }) !== undefined, `COPY source ${src} exists`)
  }
})

const has = (cmd: string, args: string[]): boolean => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function whyNoRuntime(): string | undefined {
  // A first build (debootstrap, Node, npm ci in the image) takes about 10 minutes: `make test-containers` runs it.
  if (process.env.TEECAST_CONTAINER_TEST !== '1') return 'set TEECAST_CONTAINER_TEST=1 (make test-containers) to build the image and run it'
  if (process.getuid?.() !== 0) return 'building and running the image needs root (podman, debootstrap)'
  if (!has('podman', ['--version'])) return 'podman is not installed (apt-get install podman runc debootstrap)'
  if (!has('runc', ['--version'])) return 'runc is not installed: crun refuses this machine\'s hybrid cgroups (apt-get install runc)'
  if (!has('debootstrap', ['--version']) && !has('podman', ['image', 'exists', 'localhost/teecast-base:bookworm-node20'])) return 'debootstrap is not installed'
  return undefined
}

const containers: string[] = []
after(async () => {
  for (const c of containers) await run('podman', ['--runtime', 'runc', 'rm', '-f', '-t', '2', c]).catch(() => undefined)
})

test('the image builds here and runs a 4-node testnet in containers', { skip: whyNoRuntime(), timeout: 1_500_000 }, async () => {
  await run('bash', ['containers/build-local.sh', IMAGE], { maxBuffer: 64 * 1024 * 1024 })
  const flags = (await run('bash', ['-c', '. containers/podman-flags.sh; echo "$PODMAN_FLAGS"; echo "$PODMAN_RUN_FLAGS"'], { encoding: 'utf8' })).stdout.split('\n')
  const [global, runFlags] = [flags[0]!.split(' ').filter(Boolean), flags[1]!.split(' ').filter(Boolean)]
  // podman's inspect JSON keeps the healthcheck beside Config, not in it.
  const inspect = JSON.parse((await run('podman', ['image', 'inspect', IMAGE], { encoding: 'utf8' })).stdout)[0] as { Config: { User: string }; Healthcheck?: { Test: string[] } }
  assert.equal(inspect.Config.User, 'teecast')
  assert.deepEqual(inspect.Healthcheck?.Test, ['CMD', 'node', '/app/bin/healthcheck.js'])

  const net = await makeTestnet({ nodes: 4, signers: 1, degree: 2, seed: 'containers', period: 2, accounts: 16 })
  try {
    // The image's user writes the chain data into the mounted dir.
    const chownAll = (p: string) => {
      chownSync(p, IMAGE_UID, IMAGE_UID)
      if (statSync(p).isDirectory()) for (const f of readdirSync(p)) chownAll(join(p, f))
    }
    chownAll(net.dir)
    const tag = randomBytes(3).toString('hex')
    for (const n of net.d.nodes) {
      const name = `teecast-test-${tag}-${n.name}`
      await run('podman', [...global, 'run', '-d', '--rm', ...runFlags, '--name', name, '--network', 'host', '-v', `${net.dir}:${net.dir}`, '-e', `TEECAST_RPC_URL=${n.rpcUrl}`, IMAGE, 'node', '--dir', net.dir, '--name', n.name, '--log-level', 'warn'])
      containers.push(name)
    }
    await waitUntilReady(net.d, net.d.nodes, { readyTimeoutMs: 300_000 })
    const r = await runTransferWorkload(net.d, { count: 20, rate: 5, inclusionTimeoutMs: 120_000 })
    assert.equal(r.committed, 20, `committed ${r.committed}/20`)
    await run('podman', [...global, 'healthcheck', 'run', containers[0]!])
  } finally {
    for (const c of containers.splice(0)) await run('podman', [...global, 'rm', '-f', '-t', '5', c]).catch(() => undefined)
    await net.cleanup()
  }
})
