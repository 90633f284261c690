/**
 * Host-side descriptors of the enclave programs. A program is a module file that calls `runProgram` (sim/runtime.ts);
 * its code, bundled with the runtime and everything it imports, is what gets measured. ISVPRODID and ISVSVN are the
 * values the enclave signer puts in the SIGSTRUCT (sim/sigstruct.ts); bump `isvSvn` on a security fix, so that a
 * policy with `minIsvSvn` can shut out the old code.
 *
 * To add a program (e.g. the broadcast coordinator): write `programs/<name>.ts` calling
 * `runProgram({ name, ecalls: { plan: (ctx, input) => ... } })`, importing only relative modules and `node:`
 * built-ins, and add a descriptor here.
 */
import { fileURLToPath } from 'node:url'

export interface ProgramDescriptor {
  name: string
  /** Absolute path of the program's entry module. */
  entry: string
  isvProdId: number
  isvSvn: number
}

export const ATTEST_PROGRAM: ProgramDescriptor = {
  name: 'teecast-attest',
  entry: fileURLToPath(new URL('./attest.ts', import.meta.url)),
  isvProdId: 1,
  isvSvn: 1,
}

export const COORDINATOR_PROGRAM: ProgramDescriptor = {
  name: 'teecast-coordinator',
  entry: fileURLToPath(new URL('./coordinator.ts', import.meta.url)),
  isvProdId: 1,
  isvSvn: 1,
}

/** The program a tee node and `teecast attest quote` run: the coordinator (every attested node may coordinate). */
export const CURRENT_PROGRAM = COORDINATOR_PROGRAM
