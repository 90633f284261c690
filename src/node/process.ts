/** A node as an OS process: start, print where it listens, stop cleanly on SIGTERM/SIGINT within a bound. */
import type { NodeOptions } from './options.ts'
import { startNode } from './start.ts'
import { runningMalloc } from './allocator.ts'

/** After this long a stop that has not finished exits anyway, so `testnet down` is never stuck. */
export const STOP_DEADLINE_MS = 2_500

export async function runNodeProcess(o: NodeOptions): Promise<void> {
  const node = await startNode(o)
  process.stdout.write(`teecast node ${o.name} up: enode=${node.enode} rpc=${node.rpcUrl}${node.wsUrl !== undefined ? ` ws=${node.wsUrl}` : ''} propagation=${o.propagation} malloc=${runningMalloc()}\n`)
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    const t0 = Date.now()
    const deadline = setTimeout(() => {
      process.stderr.write(`teecast node ${o.name}: stop took over ${STOP_DEADLINE_MS} ms after ${signal}; exiting\n`)
      process.exit(1)
    }, STOP_DEADLINE_MS)
    node
      .stop()
      .then(() => {
        clearTimeout(deadline)
        process.stdout.write(`teecast node ${o.name} stopped in ${Date.now() - t0} ms (LevelDB closed)\n`)
        process.exit(0)
      })
      .catch((err: Error) => {
        process.stderr.write(`teecast node ${o.name}: stop failed: ${err.stack ?? err.message}\n`)
        process.exit(1)
      })
  }
  // The client fires many promises without awaiting them; one failing must not take the node down mid-run.
  process.on('unhandledRejection', (reason) => {
    node.client.config.logger?.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`)
  })
  process.on('uncaughtException', (err) => {
    node.client.config.logger?.error(`uncaught exception: ${err.stack ?? err.message}`)
  })
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
  // Never exit without reason: the client's timers keep the loop alive; this promise just never resolves.
  await new Promise<never>(() => {})
}
