/**
 * fast-check fuzzing of the client's eth/68 decoders (testnets/adversary/eth68-fuzz.ts): 2,000 seeded inputs per
 * message code in `make test`; the 1M-input run is `node --import tsx bench/fuzz/eth68.ts`. A failure prints the
 * seed and path that replay it (fc.assert's report).
 */
import { test } from 'node:test'
import fc from 'fast-check'
import { Common, Mainnet } from '@ethereumjs/common'
import { eth68Table, FUZZED_CODES, fuzzProperty } from '../../testnets/adversary/eth68-fuzz.ts'

const { messages } = eth68Table(new Common({ chain: Mainnet }))
const seed = Number(process.env.TEECAST_FUZZ_SEED ?? 68)

for (const code of FUZZED_CODES) {
  const name = messages.find((m) => m.code === code)!.name
  test(`eth/68 ${name} (0x${code.toString(16).padStart(2, '0')}): random and mutated inputs decode or fail with an Error, and decoded requests have their shape`, () => {
    fc.assert(fuzzProperty(messages, code), { numRuns: 2_000, seed })
  })
}
