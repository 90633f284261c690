/**
 * The tee/1 core's types: what goes in (peer info, the injected authority and item verifier), what comes out
 * (actions), and the context its parts share. The parts are:
 *
 * - `item-store.ts`     the items this node holds, in first-seen order (the seen set);
 * - `repair.ts`         digests, pulls and their retries: how a node finds and fetches what it lacks;
 * - `omission-ledger.ts` who should have sent what, and did not: the omission rows of the epoch report;
 * - `control-plane.ts`  epoch reports, coordinator election, plan adoption, and the running plan's trees;
 * - `forwarding.ts`     where an item goes next on the running plan (tree, entry, flood);
 * - `liveness.ts`       keepalives on idle links, and peers judged gone by their silence;
 * - `tree-repair.ts`    orphaned subtrees re-attached under a stand-in parent (graft), loop-free by a plan rank;
 * - `compact-blocks.ts` rebuilding a block item from held txs, fetching the missing ones, serving them;
 * - `relay.ts`          the dispatcher `TeeRelay`: the PropagationCore that feeds each event to those parts.
 *
 * Every part is plain data plus functions of `now`; none reads a clock, schedules a timer or touches a socket.
 */
import type { ItemKind, SignedPlan, SignedReport, TeeMessage, WireItem } from './messages.ts'
import type { CompactBlock } from './compact-block.ts'
import type { TeeParams } from './params.ts'

export type PeerInfo = { attested: boolean; rttMs: number }

export type PlanCheck = { ok: true } | { ok: false; reason: string }

/** What the relay needs from outside that is not pure logic: signatures and quote checks. */
export interface RelayAuthority {
  /** Checks the enclave's signature over the body and the quote binding that key; not the epoch (the relay does). */
  verifyPlan(plan: SignedPlan, now: number): PlanCheck
  /** Signs this node's report body with its devp2p key. */
  signReport(bodyBytes: Uint8Array): Uint8Array
  /** Checks a report's devp2p signature by the node it names. Relays check before they keep or pass one on. */
  verifyReport(report: SignedReport): boolean
  /**
   * This node's quote from its enclave over its node id and `challenge` (report.ts reportQuoteChallenge), for a report
   * that must vouch for itself; undefined where there is no enclave. Synchronous: the simulated QE answers at once.
   */
  reportQuote?(challenge: Uint8Array): Uint8Array | undefined
}

/**
 * `decoded`: what the check decoded from the payload (the node's verifier: the tx object, its hash already known), for
 * the driver to reuse at delivery instead of decoding and hashing the payload again. Opaque to the relay.
 */
export type ItemCheck = { ok: true; decoded?: unknown } | { ok: false; reason: string }

/**
 * Checks that an item is what its id says, before the relay stores or forwards it: a tx's payload hashes to its
 * id; a block's header hashes to its id and passes cheap header checks. MUST be pure and synchronous (no pool, no
 * chain, no clock): the node and the simulator inject the same kind of function, and the relay calls it inline.
 */
export interface ItemVerifier {
  check(kind: ItemKind, id: Uint8Array, payload: Uint8Array): ItemCheck
}

/** The relay's injected dependencies, as one object. */
export interface TeeRelayDeps {
  authority: RelayAuthority
  verifier: ItemVerifier
}

export type TeeAction =
  | { t: 'send'; to: string; msg: TeeMessage }
  /**
   * A new tx item: hand it to the pool. `from` is the peer it came from. Under params.admitTxs the core holds its
   * forwards until the driver reports the pool's verdict with `onPoolResult`.
   */
  | { t: 'deliver'; item: WireItem; from: string; decoded?: unknown }
  /**
   * A compact block rebuilt from held txs (compact-blocks.ts): assemble it, check its tx root, import it, and report
   * the tx root check with `onBlockRebuilt` (a mismatch is a short-id collision: the core refetches every tx).
   */
  | { t: 'importBlock'; id: Uint8Array; block: CompactBlock; txs: Uint8Array[]; from: string }
  /** A peer asked for txs of a block the store cannot serve: answer from the chain if it has the block. */
  | { t: 'serveBlockTxsFromChain'; peer: string; block: Uint8Array; indexes: number[] }
  /** A block item could not be rebuilt (timeout, wrong txs): eth/68 sync is left to fetch it. */
  | { t: 'blockAbandoned'; id: Uint8Array; reason: string }
  /**
   * This node coordinates `epoch`: run the enclave's planner over `reports` and the plan it runs (`running`: the
   * exclusions go on) and pass the result to `planComputed`.
   */
  | { t: 'computePlan'; epoch: number; reports: SignedReport[]; running: SignedPlan | undefined }
  | { t: 'planAccepted'; epoch: number; coordinator: string }
  /**
   * A message was refused. `disconnect`: the peer broke the protocol (a forged plan is never relayed by honest nodes).
   * `pauseMs`: stop reading from the peer for that long (it sends faster than this node takes; TCP holds it back).
   */
  | { t: 'refused'; peer: string; what: string; reason: string; disconnect: boolean; pauseMs?: number }
  /**
   * Close the session with this peer: the relay judged it gone (silent for params.silenceMs, liveness.ts) and treats
   * it as down already; a later onPeerDown for it is a no-op. A reconnect is a new onPeerUp.
   */
  | { t: 'disconnect'; peer: string; reason: string }

export interface RelayCounters {
  published: number
  received: number
  duplicates: number
  pulls: number
  repaired: number
  floodFallbacks: number
  plansRefused: number
  /** Plans sent to a peer whose items showed it had missed them. */
  planPushes: number
  /** Items refused because they are not what their id says (a forger: the peer is disconnected). */
  itemsRefused: number
  /** Own reports signed with this node's quote (it needed to vouch for itself: control-plane.ts needsQuote). */
  reportQuotes: number
  /** Reports whose signature did not verify (the peer is disconnected). */
  reportsRefused: number
  /** Reports dropped as older than the one held for their node, or outside the epoch window (replays, late copies). */
  reportsStale: number
  /** Plans received as a delta and rebuilt from the running plan (before their signature is checked). */
  planDeltas: number
  /** Whole plans asked for because a delta's base was missing. */
  planAsks: number
  /** Plans pulled after a planOffer (no tree brought them: another subtree, or outside the plan). */
  planPulls: number
  /** Txs the pool did not admit (params.admitTxs): not forwarded. */
  txsRejected: number
  /** ...of them, invalid whatever the chain state (the driver's `hostile`): an unattested sender is disconnected. */
  txsRejectedHostile: number
  /** Txs whose verdict did not come within admitTimeoutMs (or found no room to wait): given up, not forwarded. */
  admitTimeouts: number
  /** Peers disconnected for digesting MAX_UNSERVED_DIGESTED ids in a row that no one delivered (repair.ts). */
  digestersRefused: number
  /** Txs dropped unchecked: their peer was out of its allowance of unadmitted tx bytes (admission.ts). */
  txsThrottled: number
  /** Peers judged gone by their silence (liveness.ts), without a peer-down event from the driver. */
  silentPeers: number
  /** Keepalives sent on idle links. */
  keepalives: number
  /** Stand-in parents taken on trees whose plan parent was gone (tree-repair.ts). */
  grafts: number
  /** Bridges sent by this node as a fragment head (tree-repair.ts). */
  bridges: number
  /** Report rows received from peers (each row of a report message; the bootstrap tree's bound is on these). */
  reportsIn: number
  /** Bootstrap beacons accepted from peers (bootstrap.ts), and those refused (the peer is disconnected). */
  beacons: number
  beaconsRefused: number
}

/** What every part of one relay shares: who it is, its tunables, its live peers, its counters and its clock. */
export interface RelayContext {
  readonly self: string
  readonly attested: boolean
  readonly params: TeeParams
  readonly peers: ReadonlyMap<string, PeerInfo>
  readonly counters: RelayCounters
  /** The `now` of the event being handled (never decreasing). */
  now(): number
}

/** An invariant that does not hold: the part and what is wrong. Empty list: all hold. */
export type InvariantViolations = string[]
