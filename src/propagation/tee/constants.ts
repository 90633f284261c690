/**
 * Constants of the tee broadcast (tee/1). Every value carries its unit, its rationale and its constraints.
 * Tunables that a deployment may change live in `params.ts` (DEFAULT_TEE_PARAMS, built from these values).
 */

/** Version of the plan body layout (first field of the signed body). Bump on any layout change. */
export const PLAN_VERSION = 2

/** Short id length in bytes. 64 bits: collision odds for 1e6 items in a window are ~2.7e-8 (birthday bound). */
export const SHORT_ID_BYTES = 8

/**
 * Domain separator hashed before the item hash into a short id: shortId = sha256(SALT ‖ hash)[0..8].
 * Constant per network (not per epoch) so that nodes on adjacent epochs agree on ids. Grinding collisions costs an
 * attacker ~2^32 work per pair; items are attested-relay forwarded, so a collision only costs one extra pull.
 */
export const SHORT_ID_SALT = new TextEncoder().encode('teecast/tee/1/shortid')

/** Wire codes of tee/1. 0x00-0x0f are reserved for the hello/attestation handshake (src/tee, src/p2p). */
export const TEE_CODE_BASE = 0x10

/** Flag bit in TxBatch/CompactBlock: the item travels in flood mode (every receiver floods it on). */
export const FLAG_FLOOD = 0x01

/** Hard caps enforced by the decoder (bytes, counts). devp2p frames are capped at 16 MiB; we stay well below. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024
/** Max txs in one TxBatch or PullResponse. */
export const MAX_TXS_PER_MESSAGE = 4096
/** Max short ids in one Digest, Ack, PullRequest or compact block (a 30M-gas block holds < 1500 transfers). */
export const MAX_IDS_PER_MESSAGE = 16384
/**
 * Tx items to one peer wait up to this long (ms) to share a message: an RLPx frame costs ~50 B (header, MACs,
 * padding), against ~120 B for a transfer item. Each hop adds at most this much; ~3 hops on 8 nodes, ~6 on 1000.
 * (On again: the two control-plane failures it once exposed were a stale plan's tree 0 carrying fallback reports
 * past a dead candidate, and plans from stale reports; see control-plane.ts.)
 */
export const DEFAULT_BATCH_MS = 20
/** A batch is sent at once when its payloads reach this many bytes (well under MAX_MESSAGE_BYTES). */
export const MAX_BATCH_BYTES = 256 * 1024
/** Max bytes of one tx payload (the EthereumJS pool rejects > 128 KiB too). */
export const MAX_TX_BYTES = 128 * 1024
/** Max bytes of an encoded block header. */
export const MAX_HEADER_BYTES = 4096
/** Max nodes in a plan: parents are encoded as uint16, 0xffff and 0xfffe are reserved. */
export const MAX_PLAN_NODES = 0xfffd
/** Max trees per plan. */
export const MAX_TREES = 64

/** Number of trees per epoch (K). 4 spreads relay load over 4 disjoint-ish interior sets; SplitStream used 16. */
export const DEFAULT_TREE_COUNT = 4
/** Max tree degree (parent + children) of a relay, per tree. Must be >= 2. 6 keeps depth ~log5(N) and fan-out cheap. */
export const DEFAULT_MAX_TREE_DEGREE = 6

/** Seen-set capacity (entries). At 1000 tx/s this is ~65 s of history; older items are forgotten. */
export const DEFAULT_SEEN_CAPACITY = 65_536

/**
 * Payload bytes the item store holds at most; beyond, the oldest items are forgotten as beyond the entry capacity.
 * 65,536 transfers are ~7 MB, but 65,536 txs of 128 KB would be 8 GB: a peer that sends well-formed 120 KB txs of
 * unfunded keys (refused by the pool without a penalty: an honest peer can send one) grew a node by ~100 MB per 832.
 */
export const MAX_STORE_BYTES = 64 * 1024 * 1024

/**
 * An item is digested this long after first sight (ms). It must exceed the tree's delivery time (depth ~6 hops x
 * ~100 ms), or digests would report in-flight items and cause needless pulls.
 */
export const DEFAULT_SETTLE_MS = 1_000
/** Digest round period (ms). */
export const DEFAULT_DIGEST_INTERVAL_MS = 500
/**
 * A digest that would carry few ids waits up to this long (ms) past the settle time of its oldest id, so that one
 * message carries several rounds' ids: with checkers, a node is digested ~1 id per item, and at 10-20 tx/s a digest
 * per peer per second cost more in RLPx framing (~60 B) than in ids.
 */
/**
 * Off (0) by default; 2 s is the value measured (issue 16). Not the default: in the simulator with 1 % message loss
 * (test/sim/experiment.test.ts, seed p1), a 2 s wait plus tx batching left an item short of one node when the 6 s
 * drain ended: the wait delays every repair.
 */
export const DEFAULT_DIGEST_WAIT_MS = 0
/**
 * Digest checkers (repair.ts `checkerOf`): off by default. They cut digests to ~1 id per item per node, but in the
 * simulator with 10 % omitting relays (test/sim/experiment.test.ts) a node whose checker sat in the same starved
 * subtree waited for its checker's own repair, and items had not reached everyone when the run ended.
 */
export const DEFAULT_DIGEST_CHECKERS = 0
/** ...unless it has this many ids: then it goes at once. */
export const DIGEST_FULL_IDS = 32
/** Neighbours that get a digest per round (Plumtree lazy-push fan-out). Must be >= 1. */
export const DEFAULT_DIGEST_PARTNERS = 2

/**
 * A link that comes up for the first time is digested what settled this long before it (ms). At network start a
 * block or tx can be sealed or sent while its node's sessions are still coming up; it reached nobody on those links,
 * and digests from "now" would never name it (a Clique fork at block 1 stayed unresolved that way).
 */
export const NEW_PEER_BACKLOG_MS = 10_000

/**
 * Waiting for a backlogged link (repair.ts, stage 2a): a digest names an item that a peer may still be sending us
 * over a backlogged link. A node measures, per peer, its link's queueing delay toward us (how much slower than its
 * fastest that peer answered a pull), and holds new pulls TREE_WAIT_FACTOR x the largest delay before sending them.
 * On a 32 kbit/s testnet at its limit, pulls of items still queued on the tree cost tee 0.77 duplicate copies per
 * node per tx, doubling its bytes exactly when bandwidth was short. The estimate follows the latest peak and halves
 * every QUEUE_DELAY_HALF_LIFE_MS, so a link that drained stops delaying repairs.
 */
export const QUEUE_DELAY_HALF_LIFE_MS = 10_000
export const TREE_WAIT_FACTOR = 1.5
/**
 * The longest a pull is held for the tree (ms) while most peers' links are not backlogged. Bounds what a minority of
 * peers that answer pulls late on purpose can add to this node's repairs (a digest's short ids do not tell an item's
 * tree, so any peer's delay holds every pull): at most this.
 */
export const MAX_TREE_WAIT_MS = 5_000
/**
 * The longest a pull is held for the tree, or a pull to a backlogged holder is given before the next holder is
 * tried (ms), when most of this node's peers are backlogged: the wait may then follow TREE_WAIT_FACTOR x the
 * median peer's queueing delay up to this. A network at its bandwidth limit backs up every link; a 5 s cap there
 * re-fetched every item queued longer than that, and 1 s pull retries asked up to maxPullTries holders for it (on a
 * 32 kbit/s testnet past its limit, 1.6-2.5 duplicate copies per node per tx). Raising the median takes more than half
 * of a node's peers.
 */
export const MAX_BACKLOG_WAIT_MS = 30_000

/** A pull not answered within this time (ms) is retried with another holder. */
export const DEFAULT_PULL_TIMEOUT_MS = 1_000
/** Holders tried for one pull before giving it up. */
export const DEFAULT_MAX_PULL_TRIES = 4

/** Omission reports need at least this many omissions in an epoch (count). */
export const DEFAULT_OMISSION_MIN_SAMPLES = 20
/** ...and omitted / (omitted + delivered) at least this ratio. Ordinary loss on a healthy link is well under 1 %. */
export const DEFAULT_OMISSION_RATIO = 0.1

/**
 * A relay excluded for omissions stays a leaf for this many epochs after the last epoch that charged it (the plan
 * carries each excluded node's last excluded epoch, plan.ts). While it is a leaf nobody can charge it: with
 * exclusion taken from the epoch's reports alone it was readmitted at the next plan and omitted again. A repeat
 * within the memory window (as long as the last exclusion) doubles the length, up to MAX_EXCLUSION_STRIKES doublings.
 * 8 epochs of 60 s: 8 minutes, then 16, 32, 64. 0: the old rule (excluded only by the epoch's own reports).
 */
export const DEFAULT_EXCLUSION_EPOCHS = 8
/** Exclusion lengths double per repeat up to this many strikes (exclusionEpochs * 2^(strikes-1)). */
export const MAX_EXCLUSION_STRIKES = 4
/**
 * Admission before forward (params.admitTxs): a tx from a peer waits this long (ms) at most for the pool's verdict
 * before it is given up as not admitted (not forwarded). The pool answers in milliseconds; a pool that is not running
 * (a node still syncing: the driver parks txs) may never answer, and the wait must not hold memory for good.
 */
export const DEFAULT_ADMIT_TIMEOUT_MS = 5_000
/**
 * The node's params.unattestedLinkAgeMs: under a plan, an unattested tee/1 peer is reported (and planned, as a
 * leaf) once its link is 10 s old. A junk leaf is dropped at its first undecodable or badly signed item, within a
 * few seconds; an honest unattested node meanwhile gets items by digest from every peer (it is outside the plan).
 * Under a plan an unattested peer joins at an epoch's report anyway, so this costs it at most one epoch. Before the
 * first plan it does not apply (the first plan covers the unattested nodes at boot).
 */
export const UNATTESTED_LINK_AGE_MS = 10_000
/** Txs waiting for the pool's verdict at once; beyond this the oldest is given up (bounded memory). */
export const MAX_PENDING_ADMISSIONS = 8_192

/**
 * Per peer, bytes of txs the pool did not admit (or has not judged yet) that the relay takes before it drops that
 * peer's further txs unchecked, and the rate at which the allowance comes back. An admitted tx gives its bytes back,
 * so a peer whose txs the pool takes is never throttled (8 MiB in flight is 64 txs of 128 KB, the pool's largest).
 * Without it, one peer's 208 signed 120 KB txs of unfunded keys (25 MB) each cost the node a decode, a hash and a
 * pool check: 3-6 CPU-s, RPC calls of 0.5-1.4 s and a head still for 4-5 s under load. A dropped tx is not stored, so
 * an honest copy from another peer is still taken. No penalty: an honest peer can send txs this node cannot fund yet.
 */
export const UNADMITTED_TX_BYTES_PER_PEER = 8 * 1024 * 1024
export const UNADMITTED_TX_BYTES_REFILL_PER_S = 1024 * 1024

/**
 * How long a driver stops reading from a peer out of that allowance (its frames wait in its own TCP buffers, costing
 * this node nothing; the allowance refills 1 MiB meanwhile). Short, so that an honest peer's other messages (blocks,
 * pings) wait at most this long, and only after it sent 8 MiB of txs the pool refused.
 */
export const READ_PAUSE_MS = 1_000

/**
 * Failure detection without a TCP reset (liveness.ts). A peer that sent nothing for SILENCE_MS is judged gone: treated
 * as down and disconnected. A link on which this node sent nothing for KEEPALIVE_IDLE_MS gets a keepalive (64 B
 * framed), so an idle peer is never mistaken for a dead one.
 * - Idle 2 s: under traffic every link carries a digest about every 2 s anyway (2 partners per 500 ms round over 8
 *   peers), so keepalives go almost only on links with no traffic at all: at most 8 x 64 B / 2 s = 256 B/s per node
 *   on an idle network, and close to nothing under load.
 * - Silence 8 s: the real node's links stall for a second or two under load (block import, GC, a full socket). The
 *   longest gap a live peer shows is its idle time (2 s) plus such a stall on its side, plus a stall of the network:
 *   8 s leaves 6 s of stall, 3x the worst seen, before a live peer is cut. A stall of this node itself (its timers
 *   fire late) is not blamed on its peers (liveness.ts). Shorter would find crashes sooner, but a false verdict costs
 *   a reconnect and a tree repair, and the data path loses nothing while it waits (repair pulls fill the gap).
 */
export const DEFAULT_KEEPALIVE_IDLE_MS = 2_000
export const DEFAULT_SILENCE_MS = 8_000

/** Epoch length (ms): the coordinator publishes a new plan this often. */
export const DEFAULT_EPOCH_MS = 60_000
/** If no plan for epoch e is seen this long after it is due (ms), the next coordinator in the ranking publishes it. */
export const DEFAULT_COORDINATOR_GRACE_MS = 5_000

/** After an epoch starts, its coordinator waits this long (ms) for the nodes' reports before planning. */
export const DEFAULT_REPORT_WAIT_MS = 1_000
/** Items sent to a peer this recently (ms) before it disconnected are re-flooded: they may have died with it. */
export const DEFAULT_RESEND_WINDOW_MS = 2_000
/**
 * With a plan, reports go only to this many coordinator candidates: the best-ranked relays of the running plan on its
 * tree 0, in a ranking that does not change with the epoch (so the candidates keep the reports they were sent, and a
 * node re-sends its report only when it changed). Routed hop by hop on tree 0, batched per link. 0: every report goes
 * to every node (the old control plane, O(N) per node per epoch). 3 candidates survive two coordinator crashes within
 * one epoch; each more costs about one more tree path per changed report.
 */
export const DEFAULT_REPORT_CANDIDATES = 3
/**
 * With report candidates, a node whose report did not change re-sends it every this many epochs anyway (at a phase
 * taken from its id, so about N / this many nodes refresh per epoch): it keeps the candidates' copy young, and puts
 * it in front of candidates that joined while no report was due. 16 epochs of 60 s: every 16 minutes.
 */
export const DEFAULT_REPORT_REFRESH_EPOCHS = 16
/**
 * The coordinator's enclave plans from each node's newest report of the last this many epochs (and counts omission
 * rows only from reports of the epoch it plans). Must exceed the refresh period, with room for one lost refresh.
 */
export const DEFAULT_REPORT_MAX_AGE_EPOCHS = 2 * DEFAULT_REPORT_REFRESH_EPOCHS + 1
/**
 * A relay that no attested path joins to the coordinator (another attested group of a mixed network) is vouched for
 * by its quote once; the plans after it carry that vouch (coordinator.ts carriedVouches) for the rest of the node's
 * vouch term of this many epochs, at a phase taken from its id. At the term's end the node puts its quote into its
 * report again, so a node's enclave is checked against the policy of the day at least once a term (a revoked TCB
 * or a policy change takes effect within a term), at about 1.2 KB per such node per term. 64 epochs of 60 s: about
 * an hour. 0: no carrying (such a node's every report carries its quote, the rule before).
 */
export const DEFAULT_VOUCH_TERM_EPOCHS = 64
/**
 * The plan-switch grace at the default params (running-plan.ts `planSwitchGraceMs`: 2 * settleMs +
 * digestIntervalMs): after a switch, items tagged with the previous plan's epoch (sent before the sender had the new
 * plan) and repairs of items routed on its trees are expected, not blamed. Only after this long does an old tag mean
 * that the peer missed the plan.
 */
export const PLAN_CATCH_UP_GRACE_MS = 2 * DEFAULT_SETTLE_MS + DEFAULT_DIGEST_INTERVAL_MS
/**
 * Reports to pass on are batched per peer for this long (ms) after the first is queued: at network start every node
 * re-reports within a second, and one message per report would cost N^2 * degree messages. 50 ms was the relay's
 * old tick, so the batches are as large as before.
 */
export const REPORT_BATCH_MS = 50
/**
 * The longest hop distance a bootstrap beacon may name (bootstrap.ts): a node farther than this from the best root
 * it heard of is its own root. A bound on the distance counting a loop could do, and far above the diameter of any
 * degree-bounded random graph the simulator builds (about log N / log degree: 5 at 8,000 nodes of degree 8).
 */
export const MAX_BEACON_DISTANCE = 64
/**
 * A compact block whose missing txs do not arrive in this time (ms) is abandoned and left to eth/68 sync. A few
 * round trips on a slow link; short against a 5 s+ block period.
 */
export const BLOCK_TXS_TIMEOUT_MS = 3_000

/**
 * Coordinator candidates rank in this fixed order (the "epoch 0" score), so they keep the reports they were sent;
 * the bootstrap tree's root is the node that ranks first in it.
 */
export const CANDIDATE_TERM = 0

/**
 * Largest quote a report may carry (bytes). Above the quote format's own cap (MAX_QUOTE_SIZE in the quote layout,
 * about 10 KiB with its largest certification data), so any quote that could verify fits; a simulated quote is
 * about 1.2 KB. A report is capped at 128 KiB on the wire (codec.ts), so this leaves room for the links.
 */
export const MAX_REPORT_QUOTE_BYTES = 16_384

/**
 * A plan crosses a border of tree 0's subtrees (several attested groups) and reaches nodes outside the plan by offer
 * and pull, not push: each node that adopts it offers it (planOffer, ~48 B) to such peers, and a node that no tree
 * brought it to pulls it from one offerer, at a delay spread over this many ms (at most a tenth of an epoch) by
 * its id. The first pull in a subtree then spreads on that subtree's tree, which takes a few hundred ms, so the
 * other nodes there need not pull: a few pulls per subtree instead of a copy over every border link each way (at
 * 100 nodes, 40 % attested: 65 border links, 2.3 copies of each plan per node instead of 1).
 */
export const PLAN_OFFER_SPREAD_MS = 1500
/** A pull not answered within this long goes to the next offerer. */
export const PLAN_PULL_RETRY_MS = 1000
/** A pull goes to at most this many offerers in turn. */
export const MAX_PLAN_OFFERERS = 8
