/**
 * Accuracy and overhead of the link emulator on this machine: `node --import tsx bench/linkemu/measure.ts`.
 * - delay: small ping-pongs through a proxy with one-way delay D; error = measured RTT / 2 - D (median of 50);
 * - rate: 2 MB one way through a proxy limited to R; error = achieved / R - 1;
 * - CPU: this process's CPU time per MB forwarded during the rate runs.
 */
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { startLinkProxy } from '../../src/shared/linkemu/proxy.ts'
import { UNLIMITED } from '../../src/shared/linkemu/spec.ts'
import { setTimeout as sleep } from 'node:timers/promises'

async function sink(): Promise<{ port: number; close: () => Promise<void>; received: () => number; pong: boolean }> {
  let received = 0
  const server = net.createServer((s) => s.on('data', (d: Buffer) => ((received += d.length), d.length <= 8 && s.write(d))))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())), received: () => received, pong: true }
}

async function pingMs(port: number, n: number): Promise<number[]> {
  const s = net.connect(port, '127.0.0.1')
  s.setNoDelay(true)
  await new Promise((r) => s.once('connect', r))
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    s.write(Buffer.from([i & 255]))
    await new Promise((r) => s.once('data', r))
    out.push(performance.now() - t0)
  }
  s.destroy()
  return out
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const target = await sink()
const delay: Record<string, number> = {}
for (const d of [10, 50, 100]) {
  const p = await startLinkProxy({ targetPort: target.port, spec: { ...UNLIMITED, delayMs: d } })
  delay[`${d}ms`] = +(median(await pingMs(p.port, 50)) / 2 - d).toFixed(2)
  await p.close()
}
const rate: Record<string, number> = {}
const cpuMsPerMB: Record<string, number> = {}
for (const mbit of [5, 20, 50]) {
  const p = await startLinkProxy({ targetPort: target.port, spec: { ...UNLIMITED, rateBps: mbit * 1e6 } })
  const s = net.connect(p.port, '127.0.0.1')
  await new Promise((r) => s.once('connect', r))
  const before = target.received()
  const bytes = 2_000_000
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  s.write(randomBytes(bytes))
  while (target.received() - before < bytes) await sleep(2)
  const secs = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  rate[`${mbit}mbit`] = +((bytes * 8) / secs / (mbit * 1e6) - 1).toFixed(4)
  cpuMsPerMB[`${mbit}mbit`] = +((cpu.user + cpu.system) / 1000 / (bytes / 1e6)).toFixed(2)
  s.destroy()
  await p.close()
}
await target.close()
process.stdout.write(`${JSON.stringify({ delayErrorMs: delay, rateRelativeError: rate, cpuMsPerMB })}\n`)
