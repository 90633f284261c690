/**
 * Challenges a verifier has issued. A quote is accepted only for a challenge this book issued, not yet consumed and
 * not expired, so a recorded quote cannot be replayed and a challenge issued by someone else is refused. Consumed
 * challenges are remembered until their expiry so a replay is told apart from a foreign challenge. `now` is passed
 * in (ms) so tests control time.
 */
import { randomBytes } from 'node:crypto'
import { CHALLENGE_SIZE, DEFAULT_CHALLENGE_TTL_MS, DEFAULT_MAX_OUTSTANDING_CHALLENGES } from './constants.ts'
import { toHex } from './crypto.ts'

export type ConsumeResult = 'ok' | 'unknown-challenge' | 'replayed-challenge' | 'challenge-expired'

interface Entry {
  expiresAt: number
  consumed: boolean
}

export class ChallengeBook {
  // Map keeps insertion order: the first entries are the oldest, dropped first when full.
  private readonly entries = new Map<string, Entry>()
  constructor(
    readonly ttlMs = DEFAULT_CHALLENGE_TTL_MS,
    readonly maxOutstanding = DEFAULT_MAX_OUTSTANDING_CHALLENGES,
  ) {}

  issue(now: number): Uint8Array {
    this.prune(now)
    while (this.entries.size >= this.maxOutstanding) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.entries.delete(oldest.value)
    }
    const c = new Uint8Array(randomBytes(CHALLENGE_SIZE))
    this.entries.set(toHex(c), { expiresAt: now + this.ttlMs, consumed: false })
    return c
  }

  /** Marks the challenge used. Only the first call for a live challenge returns 'ok'. */
  consume(challenge: Uint8Array, now: number): ConsumeResult {
    const key = toHex(challenge)
    const e = this.entries.get(key)
    if (e === undefined) return 'unknown-challenge'
    if (e.consumed) return 'replayed-challenge'
    if (now > e.expiresAt) {
      this.entries.delete(key)
      return 'challenge-expired'
    }
    e.consumed = true
    return 'ok'
  }

  get size(): number {
    return this.entries.size
  }

  private prune(now: number): void {
    for (const [k, e] of this.entries) if (now > e.expiresAt) this.entries.delete(k)
  }
}
