/** An error meant for the user: printed without a stack, with its exit code (2 = bad input, 1 = failed run). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

export const badInput = (message: string): CliError => new CliError(message, 2)
