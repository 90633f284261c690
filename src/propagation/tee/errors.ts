/** Typed errors of the tee broadcast. Callers switch on `code`; the message is for humans. */

export const TEE_ERROR_CODES = [
  'MALFORMED_MESSAGE',
  'UNKNOWN_MESSAGE_CODE',
  'MESSAGE_TOO_LARGE',
  'BAD_PLAN_SIGNATURE',
  'STALE_PLAN',
  'CONFLICTING_PLAN',
  'COORDINATOR_NOT_ATTESTED',
  'INVALID_PLAN',
  'INVALID_PARAMS',
  'CLOCK_WENT_BACKWARDS',
  'INVARIANT_VIOLATED',
  'PLANNER_FAILED',
] as const

export type TeeErrorCode = (typeof TEE_ERROR_CODES)[number]

export class TeeError extends Error {
  override readonly name = 'TeeError'
  constructor(
    readonly code: TeeErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`)
  }
}

export function isTeeError(e: unknown, code?: TeeErrorCode): e is TeeError {
  return e instanceof TeeError && (code === undefined || e.code === code)
}
