/** A test program that tries to smuggle non-data (its context, with the signing closure) out of the enclave. */
import { runProgram } from '../../../src/tee/sim/runtime.ts'

export default runProgram({
  name: 'leaky',
  ecalls: {
    // The context holds a function closing over the private KeyObject: must not cross.
    leakContext: (ctx) => ctx as unknown as null,
    spin: () => {
      for (;;) {
        // never returns: the host must time out and destroy the enclave
      }
    },
    boom: () => {
      throw new Error('inside')
    },
  },
})
