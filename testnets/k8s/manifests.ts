/**
 * Kubernetes manifests for a testnet, built as typed objects (kubernetes-models, checked against the API's OpenAPI
 * schema by `validate()`), from the same description `teecast testnet up` writes:
 * - ConfigMap: genesis, topology (nodes, peers, modes, enclaves), attestation policy, link spec, the bench scenario;
 * - Secrets: node and signer keys, the attestation root and enclave-signing keys, the workload accounts;
 * - a headless Service (stable DNS names, published before readiness so peers resolve during start-up), and one
 *   ClusterIP Service for RPC;
 * - a StatefulSet per node group (propagation mode): an init container resolves the peers' DNS names to enode URLs
 *   (`teecast testnet k8s-init`), an optional one shapes the links with tc (NET_ADMIN), Prometheus annotations;
 * - Chaos Mesh NetworkChaos objects when the links are to be shaped by Chaos Mesh instead;
 * - a bench Job that runs a scenario against the nodes' RPC and keeps its results on a PVC, and a Pod to fetch them.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service, type IContainer, type IVolume, type IVolumeMount, type IEnvVar } from 'kubernetes-models/v1'
import { StatefulSet } from 'kubernetes-models/apps/v1'
import { Job } from 'kubernetes-models/batch/v1'
import type { TestnetDescription, TestnetNode } from '../description.ts'
import { parseLinkSpec, type LinkSpec, type LinkSpecFile } from '../../src/shared/linkemu/spec.ts'
import { headlessService, K8S_PORTS, statefulSetName, type K8sNames } from './layout.ts'
import { networkChaos, type NetworkChaos } from './chaos-mesh.ts'

import type { LinkShaping } from './layout.ts'
export { LINK_SHAPINGS, type LinkShaping } from './layout.ts'

export interface ManifestOptions extends K8sNames {
  image: string
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never'
  /** How the description's link spec is applied in the cluster. */
  linkShaping: LinkShaping
  /** The bench scenario (YAML text) the Job runs; its workload is used, its network is the cluster's. */
  scenarioYaml: string
  scenarioName: string
  /** Per node pod: CPU and memory requests, e.g. "500m", "1Gi". */
  cpu: string
  memory: string
  /** Size of the bench results volume. */
  resultsStorage: string
  /** Per node: a PVC of this size for the chain data; unset = an emptyDir (a restarted pod resyncs). */
  dataStorage?: string
  logLevel: string
}

/** Where things are mounted in every pod. */
export const MOUNTS = { config: '/etc/teecast/config', keys: '/etc/teecast/keys', attestation: '/etc/teecast/attestation', accounts: '/etc/teecast/accounts', data: '/data', results: '/results' } as const

export type Manifest = ConfigMap | Namespace | PersistentVolumeClaim | Pod | Secret | Service | StatefulSet | Job | NetworkChaos

/** What the init container reads from the ConfigMap: every node, without keys. */
export interface K8sTopology {
  chainId: number
  seed: string
  period: number
  teeEpochMs?: number
  link?: TestnetDescription['link']
  linkShaping: LinkShaping
  nodes: (Omit<TestnetNode, 'nodeKey' | 'signerKey' | 'pid' | 'dataDir' | 'logPath'> & { group: string; pod: string })[]
}

const LABEL_APP = 'app.kubernetes.io/name'
const LABEL_INSTANCE = 'app.kubernetes.io/instance'
const LABEL_COMPONENT = 'app.kubernetes.io/component'
const LABEL_GROUP = 'teecast.io/group'

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64')

export function groupOf(n: TestnetNode): string {
  return n.propagation
}

export function buildManifests(d: TestnetDescription, o: ManifestOptions): Manifest[] {
  if ((d.link as LinkSpecFile | undefined)?.perLink !== undefined) throw new Error('per-link specs (regions) are keyed by local ports and are not supported in Kubernetes yet; give one link spec for every link')
  const link: LinkSpec | undefined = d.link !== undefined ? parseLinkSpec(d.link) : undefined
  const ns = o.namespace
  const labels = { [LABEL_APP]: 'teecast', [LABEL_INSTANCE]: o.prefix }
  const meta = (name: string, component: string, extra: Record<string, string> = {}) => ({ name, namespace: ns, labels: { ...labels, [LABEL_COMPONENT]: component, ...extra } })
  const groups = [...new Set(d.nodes.map(groupOf))]
  const podOf = (n: TestnetNode): string => n.host.split('.')[0]!

  const topology: K8sTopology = {
    chainId: d.chainId,
    seed: d.seed,
    period: d.period,
    ...(d.teeEpochMs !== undefined ? { teeEpochMs: d.teeEpochMs } : {}),
    ...(d.link !== undefined ? { link: d.link } : {}),
    linkShaping: o.linkShaping,
    nodes: d.nodes.map(({ nodeKey: _k, signerKey: _s, pid: _p, dataDir: _d, logPath: _l, ...n }) => ({ ...n, group: groupOf(n as TestnetNode), pod: podOf(n as TestnetNode) })),
  }
  const attestFiles = d.attestationDir !== undefined ? readdirSync(d.attestationDir) : []
  const configMap = new ConfigMap({
    metadata: meta(`${o.prefix}-config`, 'config'),
    data: {
      'genesis.json': readFileSync(d.genesisPath, 'utf8'),
      'topology.json': `${JSON.stringify(topology, null, 2)}\n`,
      'scenario.yaml': o.scenarioYaml,
      ...(d.attestationDir !== undefined ? { 'policy.json': readFileSync(join(d.attestationDir, 'policy.json'), 'utf8') } : {}),
    },
  })
  const nodeKeys = new Secret({
    metadata: meta(`${o.prefix}-node-keys`, 'keys'),
    type: 'Opaque',
    data: Object.fromEntries(d.nodes.flatMap((n) => [[`${n.name}.node`, b64(n.nodeKey)], ...(n.signerKey !== undefined ? [[`${n.name}.signer`, b64(n.signerKey)]] : [])])),
  })
  const attestation = new Secret({
    metadata: meta(`${o.prefix}-attestation`, 'keys'),
    type: 'Opaque',
    data: Object.fromEntries(attestFiles.filter((f) => f !== 'policy.json').map((f) => [f, b64(readFileSync(join(d.attestationDir!, f)))])),
  })
  const accounts = new Secret({
    metadata: meta(`${o.prefix}-accounts`, 'keys'),
    type: 'Opaque',
    data: { 'accounts.json': b64(`${JSON.stringify(d.accounts)}\n`) },
  })
  const nodeSelector = { [LABEL_APP]: 'teecast', [LABEL_INSTANCE]: o.prefix, [LABEL_COMPONENT]: 'node' }
  const ports = [
    { name: 'p2p', port: K8S_PORTS.p2p, protocol: 'TCP' as const },
    { name: 'rpc', port: K8S_PORTS.rpc, protocol: 'TCP' as const },
    { name: 'metrics', port: K8S_PORTS.metrics, protocol: 'TCP' as const },
  ]
  const headless = new Service({
    metadata: meta(headlessService(o), 'node'),
    // Peers' init containers resolve these names before any node is ready.
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: nodeSelector, ports },
  })
  const rpcService = new Service({
    metadata: meta(`${o.prefix}-rpc`, 'node'),
    spec: { type: 'ClusterIP', selector: nodeSelector, ports: [{ name: 'rpc', port: K8S_PORTS.rpc, targetPort: 'rpc', protocol: 'TCP' as const }] },
  })

  const configVolumes: IVolume[] = [
    { name: 'config', configMap: { name: configMap.metadata!.name! } },
    { name: 'keys', secret: { secretName: nodeKeys.metadata!.name!, defaultMode: 0o400 } },
    { name: 'attestation', secret: { secretName: attestation.metadata!.name!, defaultMode: 0o400 } },
  ]
  const configMounts: IVolumeMount[] = [
    { name: 'config', mountPath: MOUNTS.config, readOnly: true },
    { name: 'keys', mountPath: MOUNTS.keys, readOnly: true },
    { name: 'attestation', mountPath: MOUNTS.attestation, readOnly: true },
    { name: 'data', mountPath: MOUNTS.data },
  ]
  const podEnv: IEnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
  ]
  const teecast = ['node', '/app/bin/teecast.js']
  const nonRoot = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }
  const initContainers = (): IContainer[] => [
    {
      name: 'resolve-peers',
      image: o.image,
      imagePullPolicy: o.imagePullPolicy,
      command: [...teecast, 'testnet', 'k8s-init', '--config', MOUNTS.config, '--keys', MOUNTS.keys, '--attestation', MOUNTS.attestation, '--out', MOUNTS.data, '--pod', '$(POD_NAME)', '--pod-ip', '$(POD_IP)'],
      env: podEnv,
      volumeMounts: configMounts,
      securityContext: nonRoot,
    },
    ...(o.linkShaping === 'tc' && link !== undefined
      ? [
          {
            name: 'shape-links',
            image: o.image,
            imagePullPolicy: o.imagePullPolicy,
            // Root with NET_ADMIN for tc only; the node itself runs unprivileged.
            command: [...teecast, 'testnet', 'k8s-shape', '--dir', MOUNTS.data, '--dev', 'eth0'],
            volumeMounts: [{ name: 'data', mountPath: MOUNTS.data, readOnly: true }],
            securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
          } satisfies IContainer,
        ]
      : []),
  ]
  const statefulSets = groups.map((g) => {
    const members = d.nodes.filter((n) => groupOf(n) === g)
    const selector = { ...nodeSelector, [LABEL_GROUP]: g }
    return new StatefulSet({
      metadata: meta(statefulSetName(o, g), 'node', { [LABEL_GROUP]: g }),
      spec: {
        serviceName: headlessService(o),
        replicas: members.length,
        // All at once: a node waits for its peers' names, not for their readiness.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: selector,
            annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(K8S_PORTS.metrics), 'prometheus.io/path': '/metrics' },
          },
          spec: {
            securityContext: { fsGroup: 10001 },
            terminationGracePeriodSeconds: 20,
            initContainers: initContainers(),
            containers: [
              {
                name: 'node',
                image: o.image,
                imagePullPolicy: o.imagePullPolicy,
                // The init container wrote DATA/node-name (this pod's node) and DATA/testnet.json.
                command: ['/bin/sh', '-c', `exec node /app/bin/teecast.js node --dir ${MOUNTS.data} --name "$(cat ${MOUNTS.data}/node-name)" --log-level ${o.logLevel}`],
                env: [...podEnv, { name: 'TEECAST_DIR', value: MOUNTS.data }],
                ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
                readinessProbe: { exec: { command: ['node', '/app/bin/healthcheck.js'] }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5 },
                livenessProbe: { exec: { command: ['node', '/app/bin/healthcheck.js'] }, initialDelaySeconds: 180, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 5 },
                resources: { requests: { cpu: o.cpu, memory: o.memory } },
                volumeMounts: [{ name: 'data', mountPath: MOUNTS.data }],
                securityContext: nonRoot,
              },
            ],
            volumes: [...configVolumes, ...(o.dataStorage === undefined ? [{ name: 'data', emptyDir: {} }] : [])],
          },
        },
        ...(o.dataStorage !== undefined
          ? { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.dataStorage } } } }] }
          : {}),
      },
    })
  })

  const results = new PersistentVolumeClaim({
    metadata: meta(`${o.prefix}-results`, 'bench'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.resultsStorage } } },
  })
  const benchVolumes: IVolume[] = [
    { name: 'config', configMap: { name: configMap.metadata!.name! } },
    { name: 'accounts', secret: { secretName: accounts.metadata!.name!, defaultMode: 0o400 } },
    { name: 'work', emptyDir: {} },
    { name: 'results', persistentVolumeClaim: { claimName: results.metadata!.name! } },
  ]
  const job = new Job({
    metadata: meta(`${o.prefix}-bench`, 'bench'),
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { ...labels, [LABEL_COMPONENT]: 'bench' } },
        spec: {
          restartPolicy: 'Never',
          securityContext: { fsGroup: 10001 },
          initContainers: [
            {
              name: 'describe-testnet',
              image: o.image,
              imagePullPolicy: o.imagePullPolicy,
              command: [...teecast, 'testnet', 'k8s-init', '--config', MOUNTS.config, '--accounts', MOUNTS.accounts, '--out', '/work'],
              volumeMounts: [
                { name: 'config', mountPath: MOUNTS.config, readOnly: true },
                { name: 'accounts', mountPath: MOUNTS.accounts, readOnly: true },
                { name: 'work', mountPath: '/work' },
              ],
              securityContext: nonRoot,
            },
          ],
          containers: [
            {
              name: 'bench',
              image: o.image,
              imagePullPolicy: o.imagePullPolicy,
              // bench run --testnet waits until every node is ready, then measures; results under /results/<prefix>.
              command: [...teecast, 'bench', 'run', '--scenario', `${MOUNTS.config}/scenario.yaml`, '--testnet', '/work', '--out', `${MOUNTS.results}/${o.prefix}-${o.scenarioName}`],
              volumeMounts: [
                { name: 'config', mountPath: MOUNTS.config, readOnly: true },
                { name: 'work', mountPath: '/work' },
                { name: 'results', mountPath: MOUNTS.results },
              ],
              resources: { requests: { cpu: o.cpu, memory: o.memory } },
              securityContext: nonRoot,
            },
          ],
          volumes: benchVolumes,
        },
      },
    },
  })
  const reader = new Pod({
    metadata: meta(`${o.prefix}-results`, 'bench'),
    spec: {
      securityContext: { fsGroup: 10001 },
      containers: [
        {
          name: 'results',
          image: o.image,
          imagePullPolicy: o.imagePullPolicy,
          // Holds the results volume so that `kubectl cp` can fetch it after the Job is done.
          command: ['sleep', 'infinity'],
          volumeMounts: [{ name: 'results', mountPath: MOUNTS.results, readOnly: true }],
          securityContext: nonRoot,
        },
      ],
      volumes: [{ name: 'results', persistentVolumeClaim: { claimName: results.metadata!.name! } }],
    },
  })
  const chaos = o.linkShaping === 'chaos-mesh' && link !== undefined ? networkChaos({ name: `${o.prefix}-links`, namespace: ns, labels, selector: nodeSelector, link }) : []
  return [new Namespace({ metadata: { name: ns, labels } }), configMap, nodeKeys, attestation, accounts, headless, rpcService, ...statefulSets, results, job, reader, ...chaos]
}

/** Throws, naming the object, when one fails the schema. */
export function validateManifests(ms: readonly Manifest[]): void {
  for (const m of ms) {
    if ('validate' in m && typeof m.validate === 'function') {
      try {
        m.validate()
      } catch (err) {
        throw new Error(`${m.kind} ${m.metadata?.name ?? '?'}: ${(err as Error).message}`)
      }
    }
  }
}

/** One multi-document YAML file. */
export function manifestsYaml(ms: readonly Manifest[]): string {
  return ms.map((m) => stringify('toJSON' in m && typeof m.toJSON === 'function' ? m.toJSON() : m, { lineWidth: 0 })).join('---\n')
}
