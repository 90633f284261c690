/**
 * The least of a Kubernetes API server that `kubectl apply --dry-run=client` needs with no cluster: API discovery
 * (which kinds exist, which are namespaced) and "not found" for every object it looks up. It stores nothing and
 * checks nothing: the schema checks are the typed objects' own (kubernetes-models) and kubectl's parsing.
 */
import { createServer, type Server } from 'node:http'

interface Resource {
  name: string
  kind: string
  namespaced: boolean
}

const GROUPS: Record<string, Resource[]> = {
  v1: [
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'secrets', kind: 'Secret', namespaced: true },
    { name: 'services', kind: 'Service', namespaced: true },
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
  ],
  'apps/v1': [{ name: 'statefulsets', kind: 'StatefulSet', namespaced: true }],
  'batch/v1': [{ name: 'jobs', kind: 'Job', namespaced: true }],
  'chaos-mesh.org/v1alpha1': [{ name: 'networkchaos', kind: 'NetworkChaos', namespaced: true }],
}

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']

function resourceList(groupVersion: string): unknown {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: GROUPS[groupVersion]!.map((r) => ({ ...r, singularName: '', verbs: VERBS })) }
}

export async function startKubeDiscoveryStub(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    requests.push(`${req.method} ${path}`)
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (path === '/api') return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] })
    if (path === '/apis') {
      const groups = Object.keys(GROUPS)
        .filter((g) => g.includes('/'))
        .map((gv) => {
          const [name, version] = gv.split('/') as [string, string]
          return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } }
        })
      return json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups })
    }
    if (path === '/api/v1') return json(200, resourceList('v1'))
    const gv = /^\/apis\/([^/]+\/[^/]+)$/.exec(path)
    if (gv !== null && GROUPS[gv[1]!] !== undefined) return json(200, resourceList(gv[1]!))
    return json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${path} not found`, reason: 'NotFound', code: 404 })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) }
}
