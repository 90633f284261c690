import type { CommandModule } from 'yargs'
import { SUMMARIES } from './summaries.ts'

/**
 * Every top-level command: its name, its one-line summary, and how to load it. A command's module (and all it
 * imports: the client, the bench, the simulator) is loaded only when that command runs, so `teecast --help`, bad
 * input and each node process (`teecast node`) do not pay for the others. Each module's `describe` is its summary
 * (summaries.ts).
 */
export interface CommandEntry {
  name: string
  summary: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  load: () => Promise<CommandModule<any, any>>
}


export const COMMANDS: CommandEntry[] = [
  { name: 'node', summary: SUMMARIES.node, load: async () => (await import('./node.ts')).nodeCommand },
  { name: 'testnet', summary: SUMMARIES.testnet, load: async () => (await import('./testnet.ts')).testnetCommand },
  { name: 'bench', summary: SUMMARIES.bench, load: async () => (await import('./bench.ts')).benchCommand },
  { name: 'attest', summary: SUMMARIES.attest, load: async () => (await import('./attest.ts')).attestCommand },
  { name: 'sim', summary: SUMMARIES.sim, load: async () => (await import('./sim.ts')).simCommand },
]
