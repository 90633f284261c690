/**
 * Pending and queued txs of a pool, as geth counts them: per sender, the txs whose nonces run without a gap from the
 * sender's account nonce are pending (a block could include them now); the rest wait for a missing nonce (queued).
 */
export function poolSplit(bySender: Iterable<[string, bigint[]]>, accountNonce: (sender: string) => bigint | undefined): { pending: number; queued: number } {
  let pending = 0
  let queued = 0
  for (const [sender, nonces] of bySender) {
    const sorted = [...new Set(nonces)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    // Without the account's nonce (no state view yet), the lowest pooled nonce stands in for it. Nonces below it
    // are mined txs not yet dropped from the pool: neither pending nor queued.
    const base = accountNonce(sender) ?? sorted[0] ?? 0n
    const live = sorted.filter((n) => n >= base)
    let run = 0
    while (run < live.length && live[run] === base + BigInt(run)) run++
    pending += run
    queued += live.length - run
  }
  return { pending, queued }
}
