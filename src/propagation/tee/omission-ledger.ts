/**
 * The omission ledger: for items that travel a tree of the running plan, which tree neighbour should have
 * delivered each one (the neighbour toward its origin), and whether it did. The rows go into this node's next
 * epoch report; the coordinator takes interior positions from relays that keep omitting.
 *
 * Stages of a charge against a neighbour for one item:
 * 1. delivered: the expected neighbour sent it in tree mode: `rows[peer].delivered++` at once.
 * 2. charged: it came by repair instead, answering a pull of ours: `charges` holds it and the entry's `chargedTo`
 *    names the neighbour. An unasked repair charges nobody, nor does a tx this node's pool refused (admission.ts).
 * 3a. refunded: the neighbour's copy arrived late in tree mode, or it pulled the item from us (it never had it, so
 *     it was not omitting): `chargedTo` cleared, counted as delivered.
 * 3b. counted: still charged at the first epoch report at least settleMs + digestIntervalMs after the charge (a
 *     neighbour waiting for its own repair delivers late, not never): `rows[peer].omitted++`.
 *
 * No charge within the plan-switch grace (running-plan.ts): such repairs are of items routed on the old trees.
 *
 * Invariants:
 * - A charge is live while `c.e.chargedTo === c.peer`; a cleared or re-pointed charge is dropped when settled.
 * - Charges are in time order (`at` non-decreasing), so settling keeps a suffix.
 * - Row counts are whole numbers >= 0.
 */
import type { Entry } from './item-store.ts'
import type { ItemMode, OmissionReport } from './messages.ts'
import { treeOf } from './plan.ts'
import type { InvariantViolations, RelayContext } from './interface.ts'
import type { RunningPlan } from './running-plan.ts'

type Row = { omitted: number; delivered: number }

export class OmissionLedger {
  // Stage 1 and 3: this epoch's rows.
  private rows = new Map<string, Row>()
  // Stage 2: charges not yet counted.
  private charges: { peer: string; at: number; e: Entry }[] = []

  constructor(
    private readonly ctx: RelayContext,
    private readonly running: RunningPlan,
  ) {}

  /**
   * Omission accounting against the tree neighbour that should have delivered an item. A repair charges only when it
   * answered a pull of ours (`pulled`: a digest named the item): a peer could send an unasked repair-mode item naming
   * any origin and so charge any honest relay. Called only for items this node took (admission.ts): a tx its pool
   * refused charges nobody, since the neighbour that did not send it may have refused it too.
   */
  account(e: Entry, from: string, mode: ItemMode, pulled: boolean): void {
    const view = this.running.view
    const self = this.running.selfIndex
    if (view === undefined || self < 0 || e.origin === undefined) return
    const t = treeOf(e.id, view.trees)
    if (this.running.broken.has(t)) return
    const o = view.index.get(e.origin)
    if (o === undefined) return
    const expected = view.towards(t, self, o)
    if (expected === undefined || !this.ctx.peers.has(expected)) return
    if (mode === 'tree' && from === expected) this.row(expected).delivered++
    else if (mode === 'repair' && pulled) {
      // Items repaired soon after a plan switch were mostly routed on the previous plan's trees: no one is to blame.
      const now = this.ctx.now()
      if (this.running.inSwitchGrace(now)) return
      e.chargedTo = expected
      this.charges.push({ peer: expected, at: now, e })
    }
  }

  /** The charged neighbour sent its copy late, or asked us for it (it never had it): not an omission. */
  refund(e: Entry, peer: string): void {
    if (e.chargedTo !== peer) return
    e.chargedTo = undefined
    this.row(peer).delivered++
  }

  /** Closes the epoch: counts the charges old enough (not refunded), and returns the rows sorted by peer. */
  closeEpoch(now: number): OmissionReport[] {
    this.settle(now)
    const rows = [...this.rows].map(([peer, o]) => ({ peer, ...o })).sort((a, b) => (a.peer < b.peer ? -1 : 1))
    this.rows = new Map()
    return rows
  }

  private settle(now: number): void {
    // A neighbour that was itself waiting for a repair gets its copy one digest round after the item settled there.
    const grace = this.ctx.params.settleMs + this.ctx.params.digestIntervalMs
    const keep: { peer: string; at: number; e: Entry }[] = []
    for (const c of this.charges) {
      if (c.e.chargedTo !== c.peer) continue
      if (now - c.at < grace) {
        keep.push(c)
        continue
      }
      c.e.chargedTo = undefined
      this.row(c.peer).omitted++
    }
    this.charges = keep
  }

  private row(peer: string): Row {
    let row = this.rows.get(peer)
    if (row === undefined) {
      row = { omitted: 0, delivered: 0 }
      this.rows.set(peer, row)
    }
    return row
  }

  invariants(): InvariantViolations {
    const bad: InvariantViolations = []
    let last = -Infinity
    for (const c of this.charges) {
      if (c.at < last) bad.push('ledger: charges out of time order')
      last = c.at
    }
    for (const [peer, r] of this.rows) if (!(Number.isInteger(r.omitted) && r.omitted >= 0 && Number.isInteger(r.delivered) && r.delivered >= 0)) bad.push(`ledger: row of ${peer.slice(0, 8)} is not whole counts`)
    return bad
  }
}
