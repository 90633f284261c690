/**
 * The tee/1 messages as plain data. `codec.ts` turns them into RLP and back; the relay (relay.ts) consumes and
 * produces them. Node ids are 128-hex-char devp2p ids (no 0x); item ids are 32-byte hashes.
 */

export type ItemKind = 'tx' | 'block'

/** How an item travels: along its tree, flooded (fallback), as an entry into the tree, or as a pull response. */
export type ItemMode = 'tree' | 'flood' | 'entry' | 'repair'

/** One item on the wire. `origin` is the publishing node's index in the epoch's plan (ORIGIN_UNKNOWN if none). */
export interface WireItem {
  kind: ItemKind
  id: Uint8Array
  mode: ItemMode
  origin: number
  /** tx: the EIP-2718 tx bytes; block: the compact block (header + short tx ids). */
  payload: Uint8Array
}

export const ORIGIN_UNKNOWN = 0xffff

/** A plan as relays use it. The signed body is `encodePlanBody` (plan.ts). */
export interface PlanBody {
  version: number
  epoch: number
  /** Node id of the coordinator that computed it. */
  coordinator: string
  /** Sorted node ids. */
  nodes: string[]
  /** Per node: may it relay (attested, not excluded). */
  interior: boolean[]
  /** Per tree, per node: parent index, ROOT (-1) or NOT_IN_TREE (-2). */
  parents: Int32Array[]
  /**
   * Relays excluded for omissions, by node index, ascending (absent: none): each stays a leaf through epoch `until`,
   * and is remembered as a repeat offender for as long again (coordinator.ts). Carried from plan to plan, so that
   * any coordinator's enclave continues the same exclusions.
   */
  excluded?: Exclusion[]
}

/** One excluded relay in a plan: its index, the last epoch it is a leaf, and how many times it was excluded (1..). */
export interface Exclusion {
  node: number
  until: number
  strikes: number
}

/** A plan with its proof: the enclave's signature over the body and the coordinator's quote binding that key. */
export interface SignedPlan {
  body: PlanBody
  /** The encoded body, exactly as signed (kept so verification and re-broadcast do not re-encode). */
  bodyBytes: Uint8Array
  /** 65-byte uncompressed secp256k1 key of the coordinator's enclave. */
  enclaveKey: Uint8Array
  /** 64-byte r || s over SHA-256(PLAN_DOMAIN || bodyBytes). */
  signature: Uint8Array
  quote: Uint8Array
}

export interface LinkReport {
  peer: string
  rttMs: number
  /** The peer's tee/1 hello quote verified. */
  attested: boolean
}

export interface OmissionReport {
  peer: string
  omitted: number
  delivered: number
}

/** What a node tells the coordinator once per epoch. Signed by the node's devp2p key (relayed by others). */
export interface Report {
  epoch: number
  node: string
  /** Revision within the epoch: a node re-reports while its links come up; the highest seq counts. Default 0. */
  seq?: number
  attested: boolean
  links: LinkReport[]
  omissions: OmissionReport[]
  /**
   * The node's own quote (absent: none), binding its node id and reportQuoteChallenge(epoch) (report.ts): it lets the
   * coordinator's enclave vouch for a node that no attested path joins to it. Carried only while the running plan
   * does not join the node to the coordinator's subtree (control-plane.ts `needsQuote`).
   */
  quote?: Uint8Array
}

export interface SignedReport {
  report: Report
  bodyBytes: Uint8Array
  signature: Uint8Array
}

/** A plan as a diff against its base (plan-delta.ts rebuilds and makes them). */
export interface PlanDiff {
  epoch: number
  coordinator: string
  /** Base indexes of the nodes that left, ascending. */
  removed: number[]
  /** Ids that joined, sorted. */
  added: string[]
  /** New-plan indexes whose interior flag differs from the mapped base's, ascending. */
  interiorFlips: number[]
  /** Per tree: [new index, new parent (ROOT, NOT_IN_TREE or an index)] where it differs from the mapped base's. */
  parents: [number, number][][]
  /** The new plan's exclusions, whole (new-plan indexes; absent: none). A few bytes each, and usually none. */
  excluded?: Exclusion[]
}

/** A plan on the wire as a delta: the base it applies to (SHA-256 of the base body), the diff and the plan's proof. */
export interface PlanDelta {
  baseHash: Uint8Array
  diff: PlanDiff
  enclaveKey: Uint8Array
  signature: Uint8Array
  quote: Uint8Array
}

export type TeeMessage =
  /** `epoch` is the sender's plan epoch: item origins are indexes into that plan (0 when it has none). */
  | { t: 'items'; epoch: number; items: WireItem[] }
  /** Short ids of items this node holds, that the peer may lack. */
  | { t: 'digest'; ids: Uint8Array[] }
  /** Short ids the sender asks for (answered with `items` in mode repair). */
  | { t: 'pull'; ids: Uint8Array[] }
  /** Epoch reports, batched per tick (a flood of single reports would cost N^2 * degree messages). */
  | { t: 'report'; reports: SignedReport[] }
  | { t: 'plan'; plan: SignedPlan }
  /** The next plan as a delta against the one the receiver runs (plan-delta.ts); signed over the rebuilt body. */
  | { t: 'planDelta'; delta: PlanDelta }
  /**
   * A delta's base is missing here: send your whole plan (answered once per plan). After a planOffer of the sender's
   * plan: send what you passed on along your tree (the delta against the plan before it), once.
   */
  | { t: 'getPlan'; epoch: number }
  /**
   * The sender runs plan `epoch` whose body hashes to `hash` (plan-delta.ts planHash): sent instead of the plan across
   * a border of tree 0's subtrees and to peers outside the plan, which pull it (getPlan) only if no tree brought it.
   */
  | { t: 'planOffer'; epoch: number; hash: Uint8Array }
  /** Compact block repair: the txs at these indexes of block `block`. */
  | { t: 'getBlockTxs'; block: Uint8Array; indexes: number[] }
  | { t: 'blockTxs'; block: Uint8Array; txs: Uint8Array[] }
  /** Nothing to say: sent on a link idle for params.keepaliveIdleMs, so the peer can tell silence from quiet (liveness.ts). */
  | { t: 'keepalive' }
  /**
   * Tree repair (tree-repair.ts): `attach` true, the sender's parent on tree `tree` of plan `epoch` is gone and it hangs
   * itself under the receiver; false, its parent is back (or the plan moved) and it leaves.
   */
  | { t: 'graft'; epoch: number; tree: number; attach: boolean; bridge?: boolean }
  /**
   * Before the first plan (bootstrap.ts): the sender's bootstrap root, as that root's own signed report, and its hop
   * distance to it (0: the sender is the root).
   */
  | { t: 'beacon'; report: SignedReport; dist: number }

export type TeeMessageType = TeeMessage['t']
