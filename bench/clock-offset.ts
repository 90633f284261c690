/**
 * Clock offset of a node against this process, NTP style over JSON-RPC (`teecast_time`): per probe, t0 = send,
 * s = the node's clock, t1 = receipt; offset = s - (t0 + t1) / 2, with error at most (t1 - t0) / 2. Of several
 * probes the one with the shortest round trip is kept (the least queueing, as NTP's clock filter does).
 * A node's first-seen time minus its offset is on this process's clock.
 */
import { rpcCall } from '../src/rpc/client.ts'

export interface ClockOffset {
  /** Node clock - local clock, ms. */
  offsetMs: number
  /** Round trip of the probe kept, ms: the offset is exact to +- half of it. */
  rttMs: number
}

export interface OffsetProbe {
  t0: number
  server: number
  t1: number
}

export function offsetFromProbes(probes: readonly OffsetProbe[]): ClockOffset {
  if (probes.length === 0) throw new Error('no clock probes')
  const best = probes.reduce((a, b) => (b.t1 - b.t0 < a.t1 - a.t0 ? b : a))
  return { offsetMs: best.server - (best.t0 + best.t1) / 2, rttMs: best.t1 - best.t0 }
}

export async function measureClockOffset(rpcUrl: string, probes = 8, clock: () => number = () => performance.timeOrigin + performance.now()): Promise<ClockOffset> {
  const out: OffsetProbe[] = []
  for (let i = 0; i < probes; i++) {
    const t0 = clock()
    const server = await rpcCall<number>(rpcUrl, 'teecast_time', [], 5_000)
    const t1 = clock()
    if (typeof server !== 'number' || !Number.isFinite(server)) throw new Error(`${rpcUrl}: teecast_time returned ${JSON.stringify(server)}`)
    out.push({ t0, server, t1 })
  }
  return offsetFromProbes(out)
}
