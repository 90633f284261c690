/** Tunables of the tee broadcast, with defaults from constants.ts. Validated once at construction. */
import * as C from './constants.ts'
import { TeeError } from './errors.ts'

export interface TeeParams {
  trees: number
  maxTreeDegree: number
  seenCapacity: number
  settleMs: number
  digestIntervalMs: number
  digestPartners: number
  pullTimeoutMs: number
  maxPullTries: number
  omissionMinSamples: number
  omissionRatio: number
  epochMs: number
  /** Wall time (ms) of epoch 0's start: epochs are numbered from it so every node agrees on the current epoch. */
  epochZeroMs: number
  /** How long after an epoch starts its coordinator waits for reports before planning. */
  reportWaitMs: number
  coordinatorGraceMs: number
  /** Items sent to a peer in this window before it disconnected are re-flooded (they may have died with it). */
  resendWindowMs: number
  /** With a plan, reports go to this many candidates only (0: to every node, every epoch). See constants.ts. */
  reportCandidates: number
  /** Tx items to a peer wait up to this long (ms) to share one message (outbox.ts); 0: sent at once. */
  batchMs: number
  /** A digest with few ids waits up to this long (ms) past its oldest id's settle time (repair.ts); 0: every round. */
  digestWaitMs: number
  /** 1: with a plan, a node is digested an item only by its checker on the item's tree (repair.ts); 0: by every peer. */
  digestCheckers: number
  /** With candidates, an unchanged report is re-sent every this many epochs. */
  reportRefreshEpochs: number
  /** The coordinator plans from reports of the last this many epochs. Must exceed reportRefreshEpochs. */
  reportMaxAgeEpochs: number
  /**
   * 1: a tx from a peer is forwarded only after the pool admitted it (the driver reports the verdict with
   * `onPoolResult`), as stock relays only what `txPool.add` took; a rejected tx is not forwarded, digested or served,
   * and charges no omission. 0: forwarded on the relay's own check (payload decodes, hashes to its id). The core's
   * default is 0, for drivers without a pool (the simulator, whose synthetic txs are all valid, and unit tests); the
   * node's driver (src/p2p/tee-adapter.ts) sets 1.
   */
  admitTxs: number
  /** With admitTxs, how long (ms) a tx waits for the pool's verdict before it is given up as not admitted. */
  admitTimeoutMs: number
  /** An excluded omitting relay stays a leaf this many epochs after the last charge (0: only while charged). */
  exclusionEpochs: number
  /** A vouch by quote carries over the plans within a node's term of this many epochs (0: no carrying). */
  vouchTermEpochs: number
  /**
   * Under a plan, an unattested peer enters this node's reports (and so the next plan, as a leaf) once its link is
   * this old (ms); 0: at once. Keeps hostile peers that are dropped within seconds out of plans. The core's default is 0 (the simulator's
   * figures stay as they were); the node's driver sets UNATTESTED_LINK_AGE_MS.
   */
  unattestedLinkAgeMs: number
  /** A peer this node sent nothing for this long (ms) gets a keepalive (liveness.ts). */
  keepaliveIdleMs: number
  /** A peer heard nothing from for this long (ms) is judged gone: down for propagation, and disconnected. 0: never. */
  silenceMs: number
}

export const DEFAULT_TEE_PARAMS: TeeParams = {
  trees: C.DEFAULT_TREE_COUNT,
  maxTreeDegree: C.DEFAULT_MAX_TREE_DEGREE,
  seenCapacity: C.DEFAULT_SEEN_CAPACITY,
  settleMs: C.DEFAULT_SETTLE_MS,
  digestIntervalMs: C.DEFAULT_DIGEST_INTERVAL_MS,
  digestPartners: C.DEFAULT_DIGEST_PARTNERS,
  pullTimeoutMs: C.DEFAULT_PULL_TIMEOUT_MS,
  maxPullTries: C.DEFAULT_MAX_PULL_TRIES,
  omissionMinSamples: C.DEFAULT_OMISSION_MIN_SAMPLES,
  omissionRatio: C.DEFAULT_OMISSION_RATIO,
  epochMs: C.DEFAULT_EPOCH_MS,
  epochZeroMs: 0,
  reportWaitMs: C.DEFAULT_REPORT_WAIT_MS,
  coordinatorGraceMs: C.DEFAULT_COORDINATOR_GRACE_MS,
  resendWindowMs: C.DEFAULT_RESEND_WINDOW_MS,
  reportCandidates: C.DEFAULT_REPORT_CANDIDATES,
  batchMs: C.DEFAULT_BATCH_MS,
  digestWaitMs: C.DEFAULT_DIGEST_WAIT_MS,
  digestCheckers: C.DEFAULT_DIGEST_CHECKERS,
  reportRefreshEpochs: C.DEFAULT_REPORT_REFRESH_EPOCHS,
  reportMaxAgeEpochs: C.DEFAULT_REPORT_MAX_AGE_EPOCHS,
  admitTxs: 0,
  admitTimeoutMs: C.DEFAULT_ADMIT_TIMEOUT_MS,
  exclusionEpochs: C.DEFAULT_EXCLUSION_EPOCHS,
  vouchTermEpochs: C.DEFAULT_VOUCH_TERM_EPOCHS,
  unattestedLinkAgeMs: 0,
  keepaliveIdleMs: C.DEFAULT_KEEPALIVE_IDLE_MS,
  silenceMs: C.DEFAULT_SILENCE_MS,
}

export function teeParams(over: Partial<TeeParams> = {}): TeeParams {
  const p = { ...DEFAULT_TEE_PARAMS, ...over }
  const bad = (why: string): never => {
    throw new TeeError('INVALID_PARAMS', why)
  }
  for (const [k, v] of Object.entries(p)) if (!Number.isFinite(v) || v < 0) bad(`${k} must be a finite number >= 0, got ${v}`)
  if (!Number.isInteger(p.trees) || p.trees < 1 || p.trees > C.MAX_TREES) bad(`trees must be 1..${C.MAX_TREES}`)
  if (p.maxTreeDegree < 2) bad('maxTreeDegree must be >= 2')
  if (p.digestPartners < 1) bad('digestPartners must be >= 1')
  if (p.epochMs < 1000) bad('epochMs must be >= 1000')
  if (p.reportWaitMs + p.coordinatorGraceMs >= p.epochMs) bad('reportWaitMs + coordinatorGraceMs must be below epochMs')
  if (p.seenCapacity < 16) bad('seenCapacity must be >= 16')
  if (!Number.isInteger(p.reportCandidates)) bad('reportCandidates must be a whole number')
  if (p.digestCheckers !== 0 && p.digestCheckers !== 1) bad('digestCheckers must be 0 or 1')
  if (p.admitTxs !== 0 && p.admitTxs !== 1) bad('admitTxs must be 0 or 1')
  if (p.admitTimeoutMs < 1) bad('admitTimeoutMs must be >= 1')
  if (!Number.isInteger(p.exclusionEpochs) || p.exclusionEpochs > 0xffff) bad('exclusionEpochs must be a whole number 0..65535')
  if (!Number.isInteger(p.vouchTermEpochs)) bad('vouchTermEpochs must be a whole number')
  if (!Number.isInteger(p.reportRefreshEpochs) || p.reportRefreshEpochs < 1) bad('reportRefreshEpochs must be a whole number >= 1')
  if (!Number.isInteger(p.reportMaxAgeEpochs) || p.reportMaxAgeEpochs <= p.reportRefreshEpochs) bad('reportMaxAgeEpochs must be a whole number above reportRefreshEpochs')
  if (p.keepaliveIdleMs < 100) bad('keepaliveIdleMs must be >= 100')
  if (p.silenceMs !== 0 && p.silenceMs < 2 * p.keepaliveIdleMs) bad('silenceMs must be 0 (off) or at least 2 x keepaliveIdleMs (a live idle peer speaks every keepaliveIdleMs)')
  return p
}

/**
 * Params for an epoch length other than the default: the coordinator's report wait and stand-in grace shrink with a
 * short epoch (a stand-in must still publish well inside the epoch), up to their defaults.
 */
export function paramsForEpoch(epochMs: number): Partial<TeeParams> {
  return {
    epochMs,
    reportWaitMs: Math.min(DEFAULT_TEE_PARAMS.reportWaitMs, Math.floor(epochMs / 5)),
    coordinatorGraceMs: Math.min(DEFAULT_TEE_PARAMS.coordinatorGraceMs, Math.floor(epochMs / 4)),
  }
}
