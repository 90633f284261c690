/**
 * 1M seeded fast-check inputs per eth/68 message code through the client's decoders; prints runs, time and
 * inputs/s per code. Exits 1 on the first property failure (fast-check prints the seed and path to replay it).
 *
 *   node --import tsx bench/fuzz/eth68.ts [runs per code = 1000000] [seed = 68]
 */
import fc from 'fast-check'
import { Common, Mainnet } from '@ethereumjs/common'
import { eth68Table, FUZZED_CODES, fuzzProperty } from '../../testnets/adversary/eth68-fuzz.ts'

const runs = Number(process.argv[2] ?? 1_000_000)
const seed = Number(process.argv[3] ?? 68)
if (!Number.isInteger(runs) || runs <= 0 || !Number.isInteger(seed)) {
  console.error('usage: bench/fuzz/eth68.ts [runs per code] [seed]')
  process.exit(2)
}
const { messages } = eth68Table(new Common({ chain: Mainnet }))
for (const code of FUZZED_CODES) {
  const name = messages.find((m) => m.code === code)!.name
  const t0 = performance.now()
  try {
    fc.assert(fuzzProperty(messages, code), { numRuns: runs, seed })
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}`)
    process.exit(1)
  }
  const s = (performance.now() - t0) / 1000
  console.log(`${name.padEnd(28)} ${runs} inputs  ${s.toFixed(1)} s  ${Math.round(runs / s)} inputs/s  seed ${seed}`)
}
