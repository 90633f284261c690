/**
 * What a tee testnet's readiness waits for: every tee node runs the largest plan that can hold it. The coordinator
 * plans a vouched group (attested tee nodes joined by links between attested tee nodes) and, as leaves, the tee
 * nodes linked to it (src/propagation/tee/coordinator.ts); a node that two plans could hold keeps the one with more
 * nodes. A tee node that no group reaches, or an attested one with no tee peer, floods and waits for no plan.
 */
import type { TestnetDescription } from './description.ts'

/** Per tee node name: the number of nodes its plan must hold (0: no plan is expected). */
export function expectedPlanNodes(d: TestnetDescription): Map<string, number> {
  const tee = new Map(d.nodes.filter((n) => n.propagation === 'tee').map((n) => [n.name, n]))
  const links = new Map<string, Set<string>>([...tee.keys()].map((name) => [name, new Set<string>()]))
  for (const n of tee.values())
    for (const p of n.peers)
      if (tee.has(p)) {
        links.get(n.name)!.add(p)
        links.get(p)!.add(n.name)
      }
  const attested = (name: string): boolean => tee.get(name)!.tee === true
  const out = new Map<string, number>([...tee.keys()].map((name) => [name, 0]))
  const grouped = new Set<string>()
  for (const start of tee.keys()) {
    if (!attested(start) || grouped.has(start)) continue
    const group = new Set([start])
    const queue = [start]
    while (queue.length > 0) for (const p of links.get(queue.shift()!)!) if (attested(p) && !group.has(p)) (group.add(p), queue.push(p))
    for (const name of group) grouped.add(name)
    const plan = new Set(group)
    for (const name of group) for (const p of links.get(name)!) plan.add(p)
    // A node with no tee/1 peer plans nothing (control-plane.ts).
    if (plan.size > 1) for (const name of plan) out.set(name, Math.max(out.get(name)!, plan.size))
  }
  return out
}
