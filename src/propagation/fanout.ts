import type { PeerId } from './interface.ts'

/** The first `n` peers get the full payload, the rest an announcement (the eth/68 split every baseline uses). */
export function splitPeers(peers: readonly PeerId[], n: number): { full: PeerId[]; rest: PeerId[] } {
  const k = Math.max(0, Math.min(peers.length, n))
  return { full: peers.slice(0, k), rest: peers.slice(k) }
}
