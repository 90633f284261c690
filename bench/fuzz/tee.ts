/**
 * 1M seeded fast-check inputs per tee/1 decoder (testnets/adversary/tee-fuzz.ts): the codec per message code, plan
 * and report bodies, plan deltas, compact blocks, the rebuild state machine, the hello quote. Prints runs, time and
 * inputs/s per target. Exits 1 on the first property failure, with the seed and path that replay it, and the input.
 * One input may take at most TEECAST_FUZZ_MAX_MS of CPU time (default 50 ms; a slow one is retried twice first).
 *
 *   node --import tsx bench/fuzz/tee.ts [runs per target = 1000000] [seed = 1] [target name filter] [path]
 */
import { assertFuzz, maxMsFromEnv, TEE_FUZZ_TARGETS } from '../../testnets/adversary/tee-fuzz.ts'
import { keccakReady } from '../../src/shared/keccak.ts'

// Item ids are hashed as a node hashes them: with the wasm hash from the first input.
await keccakReady()

const runs = Number(process.argv[2] ?? 1_000_000)
const seed = Number(process.argv[3] ?? 1)
const filter = process.argv[4] ?? ''
const path = process.argv[5]
const maxMs = maxMsFromEnv(50)
const targets = TEE_FUZZ_TARGETS.filter((t) => t.name.includes(filter))
if (!Number.isInteger(runs) || runs <= 0 || !Number.isInteger(seed) || targets.length === 0 || !(maxMs > 0)) {
  console.error(`usage: bench/fuzz/tee.ts [runs per target] [seed] [target name filter] [replay path]\ntargets: ${TEE_FUZZ_TARGETS.map((t) => t.name).join(', ')}`)
  process.exit(2)
}
let total = 0
const t00 = performance.now()
for (const target of targets) {
  const t0 = performance.now()
  try {
    assertFuzz(target, { numRuns: runs, seed, maxMs, ...(path === undefined ? {} : { path }) })
  } catch (err) {
    console.error((err as Error).message)
    console.error(`replay: node --import tsx bench/fuzz/tee.ts ${runs} ${seed} '${target.name}' <path above>`)
    process.exit(1)
  }
  const s = (performance.now() - t0) / 1000
  total += runs
  console.log(`${target.name.padEnd(28)} ${runs} inputs  ${s.toFixed(1)} s  ${Math.round(runs / s)} inputs/s  seed ${seed}  max ${maxMs} ms/input`)
}
console.log(`all ${targets.length} targets: ${total} inputs in ${((performance.now() - t00) / 1000).toFixed(1)} s`)
