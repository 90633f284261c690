/**
 * Forwarding: where a held item goes next, on the running plan. Stateless beyond the entries' `sentTo` / `known`
 * marks (which say whom it was already sent to) and the tree as repaired at this node (tree-repair.ts).
 *
 * Modes, by how the item arrived (or 'tree' when published here):
 * - tree: to the item's tree neighbours but the sender (tree `hash mod K`); N-1 sends reach the tree's N nodes. The
 *   neighbours are those of the tree as repaired here: live plan neighbours, a stand-in parent, grafted children,
 *   a fragment head's bridge and the bridges taken (a bridge may close a cycle: the `told` filter and the store's
 *   duplicate check keep that to one extra copy per item on that link, never a circulation). A
 *   plan neighbour that is gone is skipped, not flooded around: its orphans graft, and what they missed meanwhile
 *   they pull (repair.ts), one copy each.
 * - entry: this node is not in the item's tree: hand it to the closest tree member among the peers, which
 *   publishes it on the tree as its own.
 * - repair: as tree, except back toward the origin (that neighbour is the one that failed to send it).
 * - flood: to every peer not known to hold it; used with no plan, by a node outside the tree with no tree member
 *   among its peers, and for flooded items.
 *
 * Invariant: an item is never sent twice to one peer (`told` filters the targets), except the re-flood, without a
 * plan, of items sent to a peer that went down right after (they may have died with it; duplicates are dropped).
 */
import { treeOf } from './plan.ts'
import { ORIGIN_UNKNOWN, type ItemMode, type WireItem } from './messages.ts'
import { markSent, sentAtOf, told, type Entry, type ItemStore } from './item-store.ts'
import type { RunningPlan } from './running-plan.ts'
import type { TreeRepair } from './tree-repair.ts'
import type { RelayContext, TeeAction } from './interface.ts'

export class Forwarding {
  constructor(
    private readonly ctx: RelayContext,
    private readonly running: RunningPlan,
    private readonly store: ItemStore,
    private readonly repaired: TreeRepair,
  ) {}

  /** Forwards an item that arrived in `mode` from `from` (undefined: published here). */
  route(out: TeeAction[], e: Entry, from: string | undefined, mode: ItemMode): void {
    const view = this.running.view
    const self = this.running.selfIndex
    const t = view === undefined ? -1 : treeOf(e.id, view.trees)
    if (mode === 'flood' || view === undefined) return this.send(out, e, 'flood', this.floodTargets(e, from))
    if (self < 0 || !view.inTree(t, self)) {
      if (mode !== 'tree' && mode !== 'entry') return
      // Not in the tree: hand it to the closest tree member among our peers, which treats it as its own.
      const entry = this.entryPeer(t, from)
      if (entry === undefined) return this.send(out, e, 'flood', this.floodTargets(e, from))
      return this.send(out, e, 'entry', [entry])
    }
    // A plan neighbour that is not a live peer marks the tree as broken here (no omission charges, every peer
    // digests; running-plan.ts), but the item still goes on the tree as repaired here.
    if (!this.running.broken.has(t) && view.neighbours(t, self).some((p) => !this.ctx.peers.has(p))) this.running.breakTree(t)
    let targets = this.repaired.neighbours(t).filter((p) => p !== from)
    if (mode === 'repair') {
      // The neighbour toward the origin is the one that failed to send it; it is not waiting for it from us.
      const originIndex = this.running.originIndex(e.origin) ?? -1
      const back = originIndex < 0 ? undefined : view.towards(t, self, originIndex)
      targets = targets.filter((p) => p !== back)
    }
    this.send(out, e, 'tree', targets.filter((p) => !told(e, p)))
  }

  /**
   * A peer went down: items sent to it just before may not have gone on. Without a plan they flood from here. With
   * one, an item of a tree this node is in needs nothing (the dead peer's orphans graft and pull what they missed); an
   * item this node handed to the peer as the tree's entry goes to another entry peer.
   */
  resendAfterPeerDown(out: TeeAction[], peer: string, now: number): void {
    const { resendWindowMs, settleMs } = this.ctx.params
    const view = this.running.view
    const self = this.running.selfIndex
    for (const e of this.store.newestFirst()) {
      if (now - e.firstSeen > resendWindowMs + settleMs) break
      const at = sentAtOf(e, peer)
      if (at === undefined || now - at > resendWindowMs) continue
      if (view === undefined) this.send(out, e, 'flood', this.floodTargets(e, undefined))
      else if (self < 0 || !view.inTree(treeOf(e.id, view.trees), self)) this.route(out, e, undefined, 'tree')
    }
  }

  private floodTargets(e: Entry, from: string | undefined): string[] {
    return [...this.ctx.peers.keys()].filter((p) => p !== from && !told(e, p))
  }

  private entryPeer(t: number, from: string | undefined): string | undefined {
    const view = this.running.view!
    let best: string | undefined
    let bestRtt = Infinity
    for (const [p, info] of this.ctx.peers) {
      if (p === from) continue
      const i = view.index.get(p)
      if (i === undefined || !view.inTree(t, i)) continue
      if (info.rttMs < bestRtt || (info.rttMs === bestRtt && best !== undefined && p < best)) {
        best = p
        bestRtt = info.rttMs
      }
    }
    return best
  }

  private send(out: TeeAction[], e: Entry, mode: ItemMode, to: string[]): void {
    if (to.length === 0) return
    const item: WireItem = { kind: e.kind, id: e.id, mode, origin: this.running.originIndex(e.origin) ?? ORIGIN_UNKNOWN, payload: e.payload }
    const epoch = this.running.epoch
    const now = this.ctx.now()
    for (const p of to) {
      markSent(e, p, now)
      out.push({ t: 'send', to: p, msg: { t: 'items', epoch, items: [item] } })
    }
  }
}

/** Merges the item sends to one peer into one `items` message (one RLPx frame instead of many), keeping order. */
export function coalesce(actions: TeeAction[]): TeeAction[] {
  const merged = new Map<string, { t: 'items'; epoch: number; items: WireItem[] }>()
  const out: TeeAction[] = []
  for (const a of actions) {
    if (a.t !== 'send' || a.msg.t !== 'items') {
      out.push(a)
      continue
    }
    const key = `${a.to}/${a.msg.epoch}/${a.msg.items[0]?.kind}`
    const m = merged.get(key)
    if (m !== undefined) m.items.push(...a.msg.items)
    else {
      const msg = { t: 'items' as const, epoch: a.msg.epoch, items: [...a.msg.items] }
      merged.set(key, msg)
      out.push({ t: 'send', to: a.to, msg })
    }
  }
  return out
}
