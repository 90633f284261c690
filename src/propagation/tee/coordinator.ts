/**
 * The coordinator's planning step, pure: verified epoch reports in, plan body out. Runs inside the coordinator
 * enclave program (src/tee/programs/coordinator.ts) and, in-process, in the simulator.
 *
 * Trust: a report counts only if its author is vouched for: the coordinator itself, or a node that an already
 * vouched node reports as an attested peer (it verified that peer's quote in the tee/1 hello). The graph is the links
 * of vouched reports; the nodes are the vouched reporters (may relay) and their tee/1 peers (leaves). A node whose
 * tree neighbours report it omitting (>= minSamples omissions and >= ratio of its expected deliveries) may not relay.
 */
import { PLAN_VERSION } from './constants.ts'
import type { PlanBody, Report } from './messages.ts'
import { computeTrees, type PlanEdge, type PlanGraphNode } from './planner.ts'

/**
 * One planner seed for every epoch: the same reports give the same trees, so a stable network's next plan differs from
 * the last only in its header and travels as a tiny delta (plan-delta.ts).
 */
const PLANNER_SEED = 'teecast/tee/1/plan'

export interface PlanningParams {
  trees: number
  maxTreeDegree: number
  omissionMinSamples: number
  omissionRatio: number
  /** Reports of epochs epoch - this + 1 .. epoch count (the newest per node); omission rows only from epoch's own. */
  reportMaxAgeEpochs: number
}

export interface PlanningResult {
  body: PlanBody
  /** Reporters whose reports were ignored (not vouched for, or for another epoch). */
  ignored: string[]
  excluded: string[]
}

export function planFromReports(epoch: number, coordinator: string, reports: readonly Report[], p: PlanningParams): PlanningResult {
  // The newest report per node (epoch, then seq) of the age window: a node re-reports only when its report changed.
  const byNode = new Map<string, Report>()
  for (const r of reports) {
    if (!(r.epoch <= epoch && r.epoch > epoch - p.reportMaxAgeEpochs && r.attested)) continue
    const had = byNode.get(r.node)
    if (had === undefined || r.epoch > had.epoch || (r.epoch === had.epoch && (r.seq ?? 0) > (had.seq ?? 0))) byNode.set(r.node, r)
  }
  // Vouching, breadth-first from the coordinator.
  const vouched = new Set<string>()
  const queue: string[] = []
  if (byNode.has(coordinator)) {
    vouched.add(coordinator)
    queue.push(coordinator)
  }
  while (queue.length > 0) {
    const r = byNode.get(queue.shift()!)!
    for (const l of r.links) if (l.attested && byNode.has(l.peer) && !vouched.has(l.peer)) {
      vouched.add(l.peer)
      queue.push(l.peer)
    }
  }
  const ignored = [...byNode.keys()].filter((n) => !vouched.has(n)).sort()
  const ids = new Set<string>(vouched)
  for (const n of vouched) for (const l of byNode.get(n)!.links) ids.add(l.peer)
  const nodes = [...ids].sort()
  const index = new Map(nodes.map((id, i) => [id, i]))

  const omitted = new Map<string, { omitted: number; delivered: number }>()
  // Omission rows count in the epoch they were reported for only: an older report that is reused must not charge again.
  for (const n of vouched) for (const o of byNode.get(n)!.epoch === epoch ? byNode.get(n)!.omissions : []) {
    const row = omitted.get(o.peer) ?? { omitted: 0, delivered: 0 }
    row.omitted += o.omitted
    row.delivered += o.delivered
    omitted.set(o.peer, row)
  }
  const excluded = [...omitted]
    .filter(([, o]) => o.omitted >= p.omissionMinSamples && o.omitted / (o.omitted + o.delivered) >= p.omissionRatio)
    .map(([id]) => id)
    .sort()
  const excludedSet = new Set(excluded)

  const graphNodes: PlanGraphNode[] = nodes.map((id) => ({ id, attested: vouched.has(id), excluded: excludedSet.has(id) }))
  const edges = new Map<string, PlanEdge>()
  for (const n of vouched) {
    const a = index.get(n)!
    for (const l of byNode.get(n)!.links) {
      const b = index.get(l.peer)!
      if (a === b) continue
      const key = a < b ? `${a}-${b}` : `${b}-${a}`
      const have = edges.get(key)
      // Both ends may report the link: take the smaller RTT (the larger one includes more queueing).
      if (have === undefined) edges.set(key, { a: Math.min(a, b), b: Math.max(a, b), rttMs: l.rttMs })
      else have.rttMs = Math.min(have.rttMs, l.rttMs)
    }
  }
  // Edges in index order, not vouching order: the trees then do not depend on who coordinates.
  const planned = computeTrees({ nodes: graphNodes, edges: [...edges.values()].sort((x, y) => x.a - y.a || x.b - y.b) }, { trees: p.trees, maxDegree: p.maxTreeDegree, seed: PLANNER_SEED })
  const interior = graphNodes.map((n) => n.attested && !n.excluded)
  return { body: { version: PLAN_VERSION, epoch, coordinator, nodes, interior, parents: planned.parents }, ignored, excluded }
}
