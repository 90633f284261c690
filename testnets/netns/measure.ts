/**
 * Kernel-shaped rate (`testnet up --netns`: htb class + tbf per peer) against the user-space emulator's, on this
 * machine: `node --import tsx testnets/netns/measure.ts` (root). For 5, 20 and 50 Mbit/s, 2 MB go one way
 * - kernel: from a namespace, through its shaped veth, over the bridge to a sink here;
 * - user space: through a linkemu proxy on loopback (as testnets/linkemu/measure.ts);
 * and each prints achieved / configured - 1. The namespace and the bridge are removed at the end.
 */
import net from 'node:net'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startLinkProxy } from '../../src/shared/linkemu/proxy.ts'
import { UNLIMITED } from '../../src/shared/linkemu/spec.ts'
import { tcCommands } from '../link-shaping/kernel.ts'
import { planNetns } from './plan.ts'
import { createNetns, netnsUnavailable, teardownNetns } from './setup.ts'

const BYTES = 2_000_000
const RATES_MBIT = [5, 20, 50]

/** A sink on `host`; resolves with the seconds from the first byte's connection to the last byte. */
async function sink(host: string): Promise<{ port: number; done: Promise<number>; close: () => void }> {
  let resolveDone: (s: number) => void = () => {}
  const done = new Promise<number>((r) => (resolveDone = r))
  const server = net.createServer((s) => {
    const t0 = performance.now()
    let n = 0
    s.on('data', (d: Buffer) => {
      n += d.length
      if (n >= BYTES) {
        resolveDone((performance.now() - t0) / 1000)
        s.destroy()
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, host, () => r()))
  return { port: (server.address() as net.AddressInfo).port, done, close: () => server.close() }
}

async function kernelRates(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-netns-measure-'))
  const plan = planNetns(dir, ['m0'])
  const n = plan.nodes[0]!
  const out: Record<string, number> = {}
  try {
    createNetns(plan)
    for (const [i, mbit] of RATES_MBIT.entries()) {
      if (i > 0) execFileSync('tc', ['-n', n.ns, 'qdisc', 'del', 'dev', n.nodeIf, 'root'])
      for (const args of tcCommands(n.nodeIf, [{ ip: plan.gateway, spec: { ...UNLIMITED, rateBps: mbit * 1e6 } }], { netem: false })) execFileSync('tc', ['-n', n.ns, ...args])
      const s = await sink(plan.gateway)
      const sender = spawn('ip', ['netns', 'exec', n.ns, process.execPath, '-e', `const s=require('net').connect(${s.port},'${plan.gateway}',()=>s.end(Buffer.alloc(${BYTES})));s.on('error',()=>{})`], { stdio: 'ignore' })
      const secs = await s.done
      sender.kill()
      s.close()
      out[`${mbit}mbit`] = +((BYTES * 8) / secs / (mbit * 1e6) - 1).toFixed(4)
    }
  } finally {
    teardownNetns(plan)
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}

async function userspaceRates(): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const mbit of RATES_MBIT) {
    const s = await sink('127.0.0.1')
    const p = await startLinkProxy({ targetPort: s.port, spec: { ...UNLIMITED, rateBps: mbit * 1e6 } })
    const c = net.connect(p.port, '127.0.0.1', () => c.end(randomBytes(BYTES)))
    const secs = await s.done
    c.destroy()
    await p.close()
    s.close()
    out[`${mbit}mbit`] = +((BYTES * 8) / secs / (mbit * 1e6) - 1).toFixed(4)
  }
  return out
}

const why = netnsUnavailable()
if (why !== undefined) {
  process.stderr.write(`kernel rates need network namespaces: ${why}\n`)
  process.exit(2)
}
process.stdout.write(`${JSON.stringify({ rateRelativeError: { kernel: await kernelRates(), userspace: await userspaceRates() } })}\n`)
