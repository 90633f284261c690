import type { CommandModule } from 'yargs'
import { nodeCommand } from './node.ts'
import { testnetCommand } from './testnet.ts'
import { benchCommand } from './bench.ts'
import { attestCommand } from './attest.ts'
import { simCommand } from './sim.ts'

/** Every top-level command; one import and one entry per command file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [nodeCommand, testnetCommand, benchCommand, attestCommand, simCommand]
