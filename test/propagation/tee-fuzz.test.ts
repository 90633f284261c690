/**
 * fast-check fuzzing of every tee/1 decoder (testnets/adversary/tee-fuzz.ts): 2,000 seeded inputs per target in
 * `make test` (TEECAST_FUZZ_SEED, default 1). One input may take at most TEECAST_FUZZ_MAX_MS of CPU time (default 250 ms here,
 * retried twice first: the machine running the suite may be loaded; the benchmark holds 50 ms). The 1M-input run
 * is `make fuzz-tee`. A failure names the seed and path that replay it.
 */
import { test } from 'node:test'
import { assertFuzz, maxMsFromEnv, TEE_FUZZ_TARGETS } from '../../testnets/adversary/tee-fuzz.ts'

const seed = Number(process.env.TEECAST_FUZZ_SEED ?? 1)
const maxMs = maxMsFromEnv(250)

for (const target of TEE_FUZZ_TARGETS) {
  test(`tee/1 fuzz, ${target.name}: random and mutated inputs decode to a well-shaped value that re-encodes, or fail with a TeeError, within ${maxMs} ms`, () => {
    assertFuzz(target, { numRuns: 2_000, seed, maxMs })
  })
}
