/**
 * The attestation program: the enclave program that `teecast attest quote` and every tee node run today. It has the
 * built-in ecalls (getPublicKey, sign) plus `hello`, which returns its name and version so a host can check what it
 * talks to. The broadcast coordinator will be its own program (see programs/index.ts).
 */
import { runProgram } from '../sim/runtime.ts'

export const ATTEST_PROGRAM_NAME = 'teecast-attest'
export const ATTEST_PROGRAM_VERSION = 1

export default runProgram({
  name: ATTEST_PROGRAM_NAME,
  ecalls: {
    hello: () => ({ name: ATTEST_PROGRAM_NAME, version: ATTEST_PROGRAM_VERSION }),
  },
})
