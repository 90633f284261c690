/**
 * `teecast` command line. Each command lives in src/cli/commands/<name>.ts and exports a yargs CommandModule.
 * Bad input prints a message and exits 2; a failed run exits 1.
 */
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { COMMANDS } from './commands/index.ts'
import { CliError } from './errors.ts'

const cli = yargs(hideBin(process.argv))
  .scriptName('teecast')
  .strict()
  .demandCommand(1, 'Name a command; see --help.')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((msg, err) => {
    if (err !== undefined && err !== null) throw err
    process.stderr.write(`teecast: ${msg}\nRun with --help for usage.\n`)
    process.exit(2)
  })

// Only the named command's module is loaded; the others are listed by name and summary (for --help and
// "did you mean"), which is all yargs needs of a command that does not run.
const named = hideBin(process.argv).find((a) => !a.startsWith('-'))
for (const c of COMMANDS) {
  if (c.name === named) cli.command(await c.load())
  else cli.command(c.name, c.summary)
}

try {
  await cli.parseAsync()
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`teecast: ${err.message}\n`)
    process.exit(err.exitCode)
  }
  process.stderr.write(`teecast: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
}
