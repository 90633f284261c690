/**
 * `teecast testnet k8s`: a testnet description placed in Kubernetes (each node on its pod's DNS name and the pod
 * ports), and the manifests written beside it:
 *   OUT/testnet/      the description (testnet.json, genesis, attestation dir): keys; keep it private
 *   OUT/teecast.yaml  every object, in apply order
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createTestnet, type CreateTestnetOptions } from '../create.ts'
import { writeTestnet, type TestnetDescription } from '../description.ts'
import { enodeOf } from '../../src/shared/keys.ts'
import { hexToBytes } from '@ethereumjs/util'
import { buildManifests, manifestsYaml, validateManifests, type Manifest, type ManifestOptions } from './manifests.ts'
import { K8S_PORTS, placeNodes, type K8sNames } from './layout.ts'

/** A new testnet whose hosts are the pods' DNS names. */
export function createK8sTestnet(c: Omit<CreateTestnetOptions, 'dir' | 'hosts' | 'samePorts' | 'basePort' | 'baseRpcPort' | 'baseMetricsPort'>, names: K8sNames, out: string): TestnetDescription {
  const modes = Array.from({ length: c.nodes }, (_, i) => c.propagationOverrides?.[i] ?? c.propagation)
  const places = placeNodes(modes, names)
  return createTestnet({
    ...c,
    dir: join(out, 'testnet'),
    hosts: places.map((p) => p.host),
    samePorts: true,
    basePort: K8S_PORTS.p2p,
    baseRpcPort: K8S_PORTS.rpc,
    baseMetricsPort: K8S_PORTS.metrics,
  })
}

/** An existing description (from `testnet up`, say) moved onto the pods: same keys, genesis and topology. */
export function rehostTestnet(src: TestnetDescription, names: K8sNames, out: string): TestnetDescription {
  const dir = resolve(out, 'testnet')
  mkdirSync(dir, { recursive: true })
  cpSync(src.genesisPath, join(dir, 'genesis.json'))
  if (src.attestationDir !== undefined) cpSync(src.attestationDir, join(dir, 'attestation'), { recursive: true })
  const places = placeNodes(src.nodes.map((n) => n.propagation), names)
  const d: TestnetDescription = {
    ...src,
    genesisPath: join(dir, 'genesis.json'),
    ...(src.attestationDir !== undefined ? { attestationDir: join(dir, 'attestation') } : {}),
    nodes: src.nodes.map((n, i) => {
      const host = places[i]!.host
      return {
        ...n,
        host,
        enode: enodeOf(hexToBytes(n.nodeKey as `0x${string}`), host, K8S_PORTS.p2p),
        p2pPort: K8S_PORTS.p2p,
        rpcPort: K8S_PORTS.rpc,
        metricsPort: K8S_PORTS.metrics,
        rpcUrl: `http://${host}:${K8S_PORTS.rpc}`,
        pid: null,
        dataDir: join(dir, n.name),
        logPath: join(dir, `${n.name}.log`),
      }
    }),
  }
  writeTestnet(dir, d)
  return d
}

export function writeManifests(d: TestnetDescription, o: ManifestOptions, out: string): { file: string; manifests: Manifest[] } {
  const manifests = buildManifests(d, o)
  validateManifests(manifests)
  mkdirSync(out, { recursive: true })
  const file = join(out, 'teecast.yaml')
  writeFileSync(file, manifestsYaml(manifests), { mode: 0o600 })
  return { file, manifests }
}
