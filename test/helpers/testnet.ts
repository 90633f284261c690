/** Real local testnets for end-to-end tests: node processes on 127.0.0.1, free ports, a temp dir, always stopped. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestnet, DEFAULT_TESTNET, type CreateTestnetOptions } from '../../testnets/create.ts'
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { stopTestnet } from '../../testnets/launcher.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import { freePortRange } from './ports.ts'
import { setTimeout as sleep } from 'node:timers/promises'

export async function makeTestnet(o: Partial<CreateTestnetOptions> & { nodes: number }): Promise<{ dir: string; d: TestnetDescription; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-e2e-'))
  const base = await freePortRange(o.nodes * 4)
  const d = createTestnet({ ...DEFAULT_TESTNET, basePort: base, baseRpcPort: base + o.nodes, baseMetricsPort: base + 2 * o.nodes, baseWsPort: base + 3 * o.nodes, ...o, dir })
  const cleanup = async () => {
    await stopTestnet(dir).catch(() => undefined)
    if (process.env.TEECAST_KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true })
  }
  return { dir, d, cleanup }
}

export interface Head {
  number: number
  hash: string
}

export async function head(n: TestnetNode): Promise<Head> {
  const b = await rpcCall<{ number: string; hash: string }>(n.rpcUrl, 'eth_getBlockByNumber', ['latest', false])
  return { number: Number(b.number), hash: b.hash }
}


/** Polls `check` until it returns a value, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last !== undefined ? ` (last error: ${(last as Error).message})` : ''}`)
    await sleep(everyMs)
  }
}

/** All nodes report the same head hash. */
export async function agreedHead(nodes: TestnetNode[], timeoutMs: number): Promise<Head> {
  return eventually('all nodes on one head', timeoutMs, async () => {
    const hs = await Promise.all(nodes.map(head))
    return hs.every((h) => h.hash === hs[0]!.hash) ? hs[0] : undefined
  })
}
