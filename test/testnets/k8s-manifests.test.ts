/**
 * `teecast testnet k8s` for 4 and 100 nodes: every object passes its OpenAPI schema (kubernetes-models), the
 * StatefulSets hold every node under the DNS name its enode and RPC URL carry, the Secrets hold each node's keys,
 * and the pod-side init turns the ConfigMap and Secrets into a testnet.json that `teecast node` accepts, with the
 * peers at resolved addresses. With kubectl on the machine, `kubectl apply --dry-run=client --validate=false`
 * parses and maps every object (against a discovery-only stub: there is no cluster here).
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { DEFAULT_TESTNET } from '../../testnets/create.ts'
import { createK8sTestnet, writeManifests } from '../../testnets/k8s/generate.ts'
import { validateManifests, type Manifest, type ManifestOptions } from '../../testnets/k8s/manifests.ts'
import { initBenchPod, initNodePod, SHAPE_FILE } from '../../testnets/k8s/pod-init.ts'
import { nodeOptionsFromArgs } from '../../src/cli/commands/node.ts'
import { startKubeDiscoveryStub } from '../helpers/kube-discovery-stub.ts'
import type { PropagationMode } from '../../src/propagation/interface.ts'

const root = mkdtempSync(join(tmpdir(), 'tc-k8s-'))
after(() => rmSync(root, { recursive: true, force: true }))

const kubectl = (() => {
  try {
    return execFileSync('which', ['kubectl'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
})()

const opts = (o: Partial<ManifestOptions> = {}): ManifestOptions => ({
  namespace: 'teecast-test',
  prefix: 'tc',
  image: 'registry.example/teecast:dev',
  linkShaping: 'tc',
  scenarioYaml: 'name: tiny\n',
  scenarioName: 'tiny',
  cpu: '250m',
  memory: '512Mi',
  resultsStorage: '1Gi',
  logLevel: 'info',
  ...o,
})

function generate(name: string, nodes: number, overrides: Record<number, PropagationMode>, m: Partial<ManifestOptions> = {}) {
  const out = join(root, name)
  const d = createK8sTestnet(
    { ...DEFAULT_TESTNET, nodes, signers: 2, degree: nodes > 4 ? 4 : 3, seed: name, propagation: 'stock', propagationOverrides: overrides, accounts: 8, link: { delay: '20ms', rate: '20mbit', loss: '0.1%' } },
    { namespace: 'teecast-test', prefix: 'tc' },
    out,
  )
  const { file, manifests } = writeManifests(d, opts(m), out)
  return { out, d, file, manifests }
}

const byKind = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind) as unknown as { metadata: { name: string }; spec: Record<string, unknown>; data?: Record<string, string> }[]

for (const nodes of [4, 100]) {
  test(`${nodes} nodes, stock with tee overrides: schema-valid objects that place every node`, async () => {
    const tee: Record<number, PropagationMode> = Object.fromEntries(Array.from({ length: nodes / 2 }, (_, i) => [2 * i + 1, 'tee' as PropagationMode]))
    const g = generate(`net${nodes}`, nodes, tee)
    validateManifests(g.manifests)
    const sets = byKind(g.manifests, 'StatefulSet')
    assert.deepEqual(sets.map((s) => s.metadata.name).sort(), ['tc-stock', 'tc-tee'], 'one StatefulSet per mode')
    assert.equal(sets.reduce((t, s) => t + (s.spec.replicas as number), 0), nodes)
    const replicas = new Map(sets.map((s) => [s.metadata.name, s.spec.replicas as number]))
    for (const n of g.d.nodes) {
      const m = /^(tc-(stock|tee))-(\d+)\.tc-nodes\.teecast-test\.svc\.cluster\.local$/.exec(n.host)
      assert.ok(m !== null, `${n.name}: host ${n.host}`)
      assert.equal(m[2], n.propagation, `${n.name} sits in its mode's StatefulSet`)
      assert.ok(Number(m[3]) < replicas.get(m[1]!)!, `${n.name}: ordinal within replicas`)
      assert.ok(n.enode.endsWith(`@${n.host}:30303`) && n.rpcUrl === `http://${n.host}:8545`)
    }
    const keys = byKind(g.manifests, 'Secret').find((s) => s.metadata.name === 'tc-node-keys')!
    for (const n of g.d.nodes) assert.equal(Buffer.from(keys.data![`${n.name}.node`]!, 'base64').toString(), n.nodeKey)
    assert.equal(Object.keys(keys.data!).filter((k) => k.endsWith('.signer')).length, 2)
    const attestation = byKind(g.manifests, 'Secret').find((s) => s.metadata.name === 'tc-attestation')!
    assert.deepEqual(Object.keys(attestation.data!).sort(), ['root.key', 'signer.key'])
    const headless = byKind(g.manifests, 'Service').find((s) => s.metadata.name === 'tc-nodes')!
    assert.equal(headless.spec.clusterIP, 'None')
    assert.equal(headless.spec.publishNotReadyAddresses, true)
    const template = (sets[0]!.spec.template as { metadata: { annotations: Record<string, string> }; spec: { initContainers: { name: string; securityContext: { capabilities?: { add?: string[] } } }[] } })
    assert.equal(template.metadata.annotations['prometheus.io/scrape'], 'true')
    assert.deepEqual(template.spec.initContainers.map((c) => c.name), ['resolve-peers', 'shape-links'])
    assert.deepEqual(template.spec.initContainers[1]!.securityContext.capabilities?.add, ['NET_ADMIN'])
    assert.equal(byKind(g.manifests, 'Job').length, 1)
    // The file is what was validated: same objects, in order.
    const docs = parseAllDocuments(readFileSync(g.file, 'utf8')).map((x) => x.toJSON() as { kind: string })
    assert.deepEqual(docs.map((x) => x.kind), g.manifests.map((x) => x.kind))

    if (kubectl === undefined) {
      return
    }
    const stub = await startKubeDiscoveryStub()
    try {
      const { stdout } = await promisify(execFile)(kubectl, ['apply', '--dry-run=client', '--validate=false', '--server', stub.url, '--cache-dir', join(g.out, '.kube-cache'), '-f', g.file], { encoding: 'utf8' })
      const created = stdout.split('\n').filter((l) => l.endsWith('created (dry run)'))
      assert.equal(created.length, g.manifests.length, stdout)
    } finally {
      await stub.close()
    }
  })
}

test('kubectl dry-run (skipped when kubectl is missing)', { skip: kubectl === undefined ? 'kubectl is not on this machine (it is not a Debian package); the typed validation still ran' : false }, () => {
  assert.ok(kubectl !== undefined)
})

test('a schema violation is caught by the typed validation, naming the object', () => {
  const g = generate('bad', 4, {}, { cpu: '250m' })
  const set = g.manifests.find((m) => m.kind === 'StatefulSet') as unknown as { spec: { replicas: unknown } }
  set.spec.replicas = 'four'
  assert.throws(() => validateManifests(g.manifests), /StatefulSet tc-stock: .*replicas/)
})

test('Chaos Mesh shaping: NetworkChaos objects instead of the tc init container', () => {
  const g = generate('chaos', 4, {}, { linkShaping: 'chaos-mesh' })
  const chaos = g.manifests.filter((m) => m.kind === 'NetworkChaos') as unknown as { spec: { action: string; delay?: { latency: string }; bandwidth?: { rate: string } } }[]
  assert.deepEqual(chaos.map((c) => c.spec.action), ['netem', 'bandwidth'])
  assert.equal(chaos[0]!.spec.delay?.latency, '20ms')
  assert.equal(chaos[1]!.spec.bandwidth?.rate, '20000kbps')
  const set = byKind(g.manifests, 'StatefulSet')[0]!
  assert.deepEqual((set.spec.template as { spec: { initContainers: { name: string }[] } }).spec.initContainers.map((c) => c.name), ['resolve-peers'])
})

test('the pod init writes a testnet.json that teecast node accepts, peers at resolved addresses', async () => {
  const g = generate('init', 4, { 3: 'tee' })
  // The volumes as the pod sees them: the ConfigMap's and Secrets' keys as files.
  const mount = (name: string, data: Record<string, string>, base64: boolean) => {
    const dir = join(g.out, 'mnt', name)
    mkdirSync(dir, { recursive: true })
    for (const [k, v] of Object.entries(data)) writeFileSync(join(dir, k), base64 ? Buffer.from(v, 'base64') : v)
    return dir
  }
  const cm = g.manifests.find((m) => m.kind === 'ConfigMap') as unknown as { data: Record<string, string> }
  const secret = (n: string) => (byKind(g.manifests, 'Secret').find((s) => s.metadata.name === n)!.data ?? {})
  const config = mount('config', cm.data, false)
  const keys = mount('keys', secret('tc-node-keys'), true)
  const attestation = mount('attestation', secret('tc-attestation'), true)
  const accounts = mount('accounts', secret('tc-accounts'), true)
  const ips = new Map(g.d.nodes.map((n, i) => [n.host, `10.42.0.${i + 10}`]))
  const self = g.d.nodes[3]!
  const out = join(g.out, 'data')
  const d = await initNodePod({ config, keys, attestation, out, pod: self.host.split('.')[0]!, podIp: '10.42.9.9', resolve: async (h) => ips.get(h) ?? Promise.reject(new Error(`NXDOMAIN ${h}`)) })
  assert.equal(readFileSync(join(out, 'node-name'), 'utf8').trim(), self.name)
  const o = nodeOptionsFromArgs({ dir: out, name: self.name, host: '127.0.0.1', port: 0, 'rpc-port': 0, 'metrics-port': 0, peer: [], 'max-peers': 25, 'log-level': 'info' } as Parameters<typeof nodeOptionsFromArgs>[0])
  assert.equal(o.host, '10.42.9.9')
  assert.equal(Buffer.from(o.nodeKey).toString('hex'), self.nodeKey.slice(2))
  assert.equal(o.propagation, 'tee')
  assert.ok(o.attestationDir !== undefined, 'the tee node gets its attestation dir')
  assert.equal(o.link, undefined, 'links are shaped by tc, not by the node')
  assert.deepEqual(o.staticPeers.sort(), self.peers.map((p) => g.d.nodes.find((n) => n.name === p)!).map((n) => `enode://${n.nodeId}@${ips.get(n.host)}:30303`).sort())
  const shape = JSON.parse(readFileSync(join(out, SHAPE_FILE), 'utf8')) as { peers: string[] }
  assert.deepEqual(shape.peers.sort(), self.peers.map((p) => ips.get(g.d.nodes.find((n) => n.name === p)!.host)!).sort())
  assert.equal(d.nodes.filter((n) => n.nodeKey !== '').length, 1, 'a pod holds only its own node key')

  const b = initBenchPod({ config, accounts, out: join(g.out, 'bench') })
  assert.equal(b.accounts.length, 8)
  assert.ok(b.nodes.every((n) => n.pid === null && n.rpcUrl.endsWith('.svc.cluster.local:8545')))
})
