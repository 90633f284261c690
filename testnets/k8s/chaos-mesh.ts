/**
 * Chaos Mesh NetworkChaos objects (chaos-mesh.org/v1alpha1) for one link spec on every link between the testnet's
 * nodes: `netem` for delay, jitter and loss, `bandwidth` for the rate (Chaos Mesh takes one action per object).
 * kubernetes-models has no Chaos Mesh types; this is the subset of the CRD's fields that is used, typed by hand.
 */
import type { LinkSpec } from '../../src/shared/linkemu/spec.ts'

interface PodSelector {
  namespaces: string[]
  labelSelectors: Record<string, string>
}

export interface NetworkChaos {
  apiVersion: 'chaos-mesh.org/v1alpha1'
  kind: 'NetworkChaos'
  metadata: { name: string; namespace: string; labels: Record<string, string> }
  spec: {
    action: 'netem' | 'bandwidth'
    mode: 'all'
    selector: PodSelector
    direction: 'to'
    target: { mode: 'all'; selector: PodSelector }
    delay?: { latency: string; jitter: string; correlation: string }
    loss?: { loss: string; correlation: string }
    bandwidth?: { rate: string; limit: number; buffer: number }
  }
}

export function networkChaos(o: { name: string; namespace: string; labels: Record<string, string>; selector: Record<string, string>; link: LinkSpec }): NetworkChaos[] {
  const sel: PodSelector = { namespaces: [o.namespace], labelSelectors: o.selector }
  const base = (name: string, action: NetworkChaos['spec']['action']): NetworkChaos => ({
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'NetworkChaos',
    metadata: { name, namespace: o.namespace, labels: o.labels },
    spec: { action, mode: 'all', selector: sel, direction: 'to', target: { mode: 'all', selector: sel } },
  })
  const out: NetworkChaos[] = []
  const l = o.link
  if (l.delayMs > 0 || l.jitterMs > 0 || l.loss > 0) {
    const c = base(`${o.name}-netem`, 'netem')
    if (l.delayMs > 0 || l.jitterMs > 0) c.spec.delay = { latency: `${l.delayMs}ms`, jitter: `${l.jitterMs}ms`, correlation: '0' }
    if (l.loss > 0) c.spec.loss = { loss: String(+(l.loss * 100).toFixed(4)), correlation: '0' }
    out.push(c)
  }
  if (Number.isFinite(l.rateBps)) {
    const c = base(`${o.name}-bandwidth`, 'bandwidth')
    // tbf underneath: limit = bytes queued, buffer = bucket size; a quarter second of the rate, at least 10 kB.
    const bytesPerSec = l.rateBps / 8
    c.spec.bandwidth = { rate: `${Math.max(1, Math.round(l.rateBps / 1000))}kbps`, limit: Math.max(10_000, Math.round(bytesPerSec / 4)), buffer: Math.max(10_000, Math.round(bytesPerSec / 40)) }
    out.push(c)
  }
  return out
}
