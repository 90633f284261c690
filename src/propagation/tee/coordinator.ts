/**
 * The coordinator's planning step, pure: verified epoch reports in, plan body out. Runs inside the coordinator
 * enclave program (src/tee/programs/coordinator.ts) and, in-process, in the simulator.
 *
 * Trust: a report counts only if its author is vouched for: the coordinator itself, a node whose report carries its
 * own quote that the enclave verified (`quoteOk`), a node that the verified running plan carries (`carried`, see
 * carriedVouches), or a node that an already vouched node reports as an attested peer (it verified that peer's
 * quote in the tee/1 hello). The graph is the links
 * of vouched reports; the nodes are the vouched reporters (may relay) and their tee/1 peers (leaves). A node whose
 * tree neighbours report it omitting (>= minSamples omissions and >= ratio of its expected deliveries) may not relay.
 *
 * Lasting exclusion: a leaf omits nothing anyone counts, so an exclusion taken from the epoch's rows alone ended at
 * the next plan, and the relay was readmitted to omit again. The plan therefore carries its exclusions (plan.ts:
 * node, until epoch, strikes), and the planner continues those of the running plan (`carried`): a node charged at
 * epoch e is a leaf through e + exclusionEpochs * 2^(strikes-1); charged again while excluded, the end moves on at
 * the same strikes; charged again within the memory (as long again after the end), strikes + 1 (up to
 * MAX_EXCLUSION_STRIKES). Afterwards it is forgotten. A node that leaves the plan loses its entry.
 * What the carried list can do: the host hands the enclave its running plan, whose signature its relay checked; a
 * host that lies could exclude relays for a while or end exclusions early, which a vouched host can do already by
 * its own signed omission rows or by withholding others' reports. The enclave bounds each carried `until` by the
 * running plan's epoch plus the length its strikes allow, so a lie cannot exclude for longer than a real charge.
 */
import { MAX_EXCLUSION_STRIKES, PLAN_VERSION } from './constants.ts'
import type { Exclusion, PlanBody, Report } from './messages.ts'
import { computeTrees, type PlanEdge, type PlanGraphNode } from './planner.ts'
import { planViewOf } from './plan.ts'

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
  /** An excluded relay stays a leaf this many epochs after its last charge, doubling per repeat (0: no carrying). */
  exclusionEpochs: number
  /** A vouch carried from the running plan does not cross a node's vouch term of this many epochs (0: no carrying). */
  vouchTermEpochs: number
}

/**
 * A node's vouch term at `epoch`: terms of `termEpochs` epochs, at a phase taken from the node id (as the report
 * refresh's), so that about N / termEpochs nodes re-prove themselves per epoch rather than all at once.
 */
export function vouchTerm(node: string, epoch: number, termEpochs: number): number {
  return Math.floor((epoch + (parseInt(node.slice(0, 8), 16) % termEpochs)) / termEpochs)
}

/**
 * The nodes that `running` (a plan whose enclave signature and quote the caller verified) carries as vouched into the
 * plan of `epoch` by `coordinator`: its relays (interior: vouched, not excluded) outside the coordinator's subtree of
 * its tree 0, where no attested path from the coordinator can reach them and each would otherwise have to re-prove
 * itself with its quote in every report it signs. Nothing when `running` is older than the last epoch (a chain of
 * plans with a gap ends every carried vouch), with termEpochs 0, or for a node whose vouch term changes between
 * running's epoch and `epoch` (it carries its quote in its report of that epoch: control-plane.ts needsQuote).
 * The coordinator's own subtree is left out: there an attested path vouches, and a relay that died drops out as soon
 * as its peers report the lost links, as before (a carried one would stay while its last report is in the window).
 */
export function carriedVouches(running: PlanBody, epoch: number, coordinator: string, termEpochs: number): Set<string> {
  const out = new Set<string>()
  if (termEpochs === 0 || running.epoch > epoch || running.epoch + 1 < epoch) return out
  const view = planViewOf(running)
  const c = view.index.get(coordinator)
  running.nodes.forEach((id, i) => {
    if (!running.interior[i] || (c !== undefined && (c === i || view.together(0, c, i)))) return
    if (vouchTerm(id, running.epoch, termEpochs) === vouchTerm(id, epoch, termEpochs)) out.add(id)
  })
  return out
}

/** An exclusion of the running plan, by node id (the indexes change with the membership). */
export interface CarriedExclusion {
  node: string
  until: number
  strikes: number
}

/** Epochs an exclusion lasts at `strikes`. */
export const exclusionLength = (exclusionEpochs: number, strikes: number): number => exclusionEpochs * 2 ** (Math.min(strikes, MAX_EXCLUSION_STRIKES) - 1)

/** The running plan's exclusions by id, each `until` bounded by what its strikes allow from that plan's epoch. */
export function carriedExclusions(running: PlanBody | undefined, epoch: number, exclusionEpochs: number): CarriedExclusion[] {
  if (running === undefined || running.epoch > epoch || exclusionEpochs === 0) return []
  return (running.excluded ?? []).map((x) => ({ node: running.nodes[x.node]!, strikes: x.strikes, until: Math.min(x.until, running.epoch + exclusionLength(exclusionEpochs, x.strikes)) }))
}

export interface PlanningResult {
  body: PlanBody
  /** Reporters whose reports were ignored (not vouched for, or for another epoch). */
  ignored: string[]
  excluded: string[]
}

/**
 * `quoteOk`: the enclave's check of a report's own quote (src/tee/programs/coordinator.ts: the quote verifies under
 * the attestation policy for the report's node id and reportQuoteChallenge(report epoch)). A node whose newest report
 * carries a quote that passes is vouched for directly, with no attested path from the coordinator: a second start of
 * the breadth-first vouching. Without it (undefined), quotes are ignored. `vouchedBefore` (carriedVouches of a
 * verified running plan) are further starts: each still needs an attested report of its own in the age window.
 */
export function planFromReports(epoch: number, coordinator: string, reports: readonly Report[], p: PlanningParams, carried: readonly CarriedExclusion[] = [], quoteOk?: (r: Report) => boolean, vouchedBefore: ReadonlySet<string> = new Set()): PlanningResult {
  // The newest report per node (epoch, then seq) of the age window: a node re-reports only when its report changed.
  const byNode = new Map<string, Report>()
  for (const r of reports) {
    if (!(r.epoch <= epoch && r.epoch > epoch - p.reportMaxAgeEpochs && r.attested)) continue
    const had = byNode.get(r.node)
    if (had === undefined || r.epoch > had.epoch || (r.epoch === had.epoch && (r.seq ?? 0) > (had.seq ?? 0))) byNode.set(r.node, r)
  }
  // Vouching, breadth-first from the coordinator, then from every node not reached yet that the running plan carries
  // or whose newest report carries a valid quote of its own (attested groups that no attested link joins to the
  // coordinator's, separated by unattested or stock nodes). A node already reached, or carried, needs no quote check
  // (the checks cost two signature verifications each).
  const vouched = new Set<string>()
  const queue: string[] = []
  const spread = (): void => {
    while (queue.length > 0) {
      const r = byNode.get(queue.shift()!)!
      for (const l of r.links) if (l.attested && byNode.has(l.peer) && !vouched.has(l.peer)) {
        vouched.add(l.peer)
        queue.push(l.peer)
      }
    }
  }
  if (byNode.has(coordinator)) {
    vouched.add(coordinator)
    queue.push(coordinator)
    spread()
  }
  if (quoteOk !== undefined || vouchedBefore.size > 0) for (const id of [...byNode.keys()].sort()) {
    const r = byNode.get(id)!
    if (vouched.has(id) || (!vouchedBefore.has(id) && (r.quote === undefined || quoteOk === undefined || !quoteOk(r)))) continue
    vouched.add(id)
    queue.push(id)
    spread()
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
  const charged = new Set([...omitted].filter(([, o]) => o.omitted >= p.omissionMinSamples && o.omitted / (o.omitted + o.delivered) >= p.omissionRatio).map(([id]) => id))
  const entries = new Map<string, CarriedExclusion>()
  const before = new Map(p.exclusionEpochs > 0 ? carried.map((c) => [c.node, c]) : [])
  for (const id of nodes) {
    const c = before.get(id)
    if (charged.has(id)) {
      // Still excluded: the end moves on. Within the memory after it: a repeat, longer. Else: a first exclusion.
      const strikes = c === undefined ? 1 : c.until >= epoch ? c.strikes : c.until + exclusionLength(p.exclusionEpochs, c.strikes) >= epoch ? Math.min(MAX_EXCLUSION_STRIKES, c.strikes + 1) : 1
      entries.set(id, { node: id, strikes, until: Math.max(c !== undefined && c.until >= epoch ? c.until : 0, epoch + exclusionLength(p.exclusionEpochs, strikes)) })
    } else if (c !== undefined && c.until + exclusionLength(p.exclusionEpochs, c.strikes) >= epoch) entries.set(id, c)
  }
  // Excluded now: charged in this epoch's rows, or an exclusion that runs through this epoch.
  const excluded = nodes.filter((id) => charged.has(id) || (entries.get(id)?.until ?? -1) >= epoch)
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
  // With exclusionEpochs 0 nothing is carried: exclusion lasts while the epoch's rows charge (the rule before v2).
  const list: Exclusion[] = p.exclusionEpochs === 0 ? [] : nodes.flatMap((id, i) => {
    const x = entries.get(id)
    return x === undefined ? [] : [{ node: i, until: x.until, strikes: x.strikes }]
  })
  return { body: { version: PLAN_VERSION, epoch, coordinator, nodes, interior, parents: planned.parents, ...(list.length > 0 ? { excluded: list } : {}) }, ignored, excluded }
}
