/**
 * `teecast` command line. Each command lives in src/cli/commands/<name>.ts and exports a yargs CommandModule.
 * Bad input prints a message and exits 2; a failed run exits 1.
 */
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { commands } from './commands/index.ts'
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

for (const c of commands) cli.command(c)

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
