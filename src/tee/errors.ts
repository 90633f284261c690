/**
 * Typed errors of the trusted-execution layer. Every failure carries a machine-readable `code`; callers branch on the
 * code, never on the message. Quote rejections are not errors: the verifier returns them as values (see verifier.ts).
 */
export type TeeErrorCode =
  /** A quote's bytes do not parse; `QuoteParseError.reason` says how. */
  | 'QUOTE_PARSE'
  /** The program could not be bundled (syntax error, forbidden import, missing file). */
  | 'PROGRAM_BUNDLE'
  /** The enclave signature structure does not match the program or its signature is invalid (SGX: EINIT fails). */
  | 'EINIT_FAILED'
  /** The enclave worker failed to start, crashed or was closed; pending ecalls fail with this code. */
  | 'ENCLAVE_LOST'
  /** An ecall name the program does not export. */
  | 'ECALL_UNKNOWN'
  /** Arguments or results that may not cross the enclave boundary, or wrong argument types. */
  | 'ECALL_BAD_ARGS'
  /** The ecall threw inside the enclave; only its message crosses the boundary. */
  | 'ECALL_FAILED'
  /** The ecall did not answer within the host's timeout. */
  | 'ECALL_TIMEOUT'
  /** A REPORT handed to the Quoting Enclave has a bad MAC (not produced on this platform). */
  | 'REPORT_MAC'
  /** Wrong length of a fixed-size input (report data, challenge, key). */
  | 'BAD_LENGTH'
  /** A policy file or object that does not validate. */
  | 'POLICY_INVALID'
  /** A missing or unreadable attestation directory or key file. */
  | 'ATTEST_DIR'

export class TeeError extends Error {
  constructor(
    readonly code: TeeErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'TeeError'
  }
}

export const isTeeError = (e: unknown, code?: TeeErrorCode): e is TeeError =>
  e instanceof TeeError && (code === undefined || e.code === code)

export function requireLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new TeeError('BAD_LENGTH', `${what} must be ${length} bytes, got ${bytes.length}`)
}
