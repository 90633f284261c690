import type { BlockAction, Hex, PeerId, TxAction, TxMeta } from './interface.ts'

/** The first `n` peers get the full payload, the rest an announcement (the eth/68 split every baseline uses). */
export function splitPeers(peers: readonly PeerId[], n: number): { full: PeerId[]; rest: PeerId[] } {
  const k = Math.max(0, Math.min(peers.length, n))
  return { full: peers.slice(0, k), rest: peers.slice(k) }
}

/** eth/68's block rule, shared by the client and geth: NewBlock to floor(sqrt(n)) peers, NewBlockHashes to the rest. */
export function sqrtBlockRoute(peers: readonly PeerId[]): BlockAction[] {
  const { full, rest } = splitPeers(peers, Math.floor(Math.sqrt(peers.length)))
  return [
    { kind: 'push', to: full },
    { kind: 'announce', to: rest },
  ]
}

/** A new peer is offered the pool by hash (NewPooledTransactionHashes). */
export function announcePool(txs: readonly TxMeta[], peer: PeerId): TxAction[] {
  return txs.length === 0 ? [] : [{ kind: 'announce', to: [peer], txs: [...txs] }]
}

/** eth/68 fetching as every baseline does it: every unknown announced hash, from the first peer that announced it. */
export function fetchAll(hashes: readonly Hex[]): Hex[] {
  return [...hashes]
}
