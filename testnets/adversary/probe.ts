/**
 * Watches a node process during an attack: JSON-RPC latency (eth_blockNumber every `everyMs`), the longest call,
 * failed calls, RSS (VmRSS) and CPU time from /proc, the head before and after, and the longest time the head stood
 * still. Linux only (/proc).
 */
import { readFileSync } from 'node:fs'
import { rpcCall } from '../../src/rpc/client.ts'

export interface ProbeReport {
  maxRpcMs: number
  failedCalls: number
  calls: number
  rssStartMb: number
  rssPeakMb: number
  cpuSec: number
  headStart: number
  headEnd: number
  /** The longest time between two head changes seen (or from the start, or until the end), ms. */
  maxHeadGapMs: number
  elapsedMs: number
}

export const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) / 1024
}

/** utime + stime of `pid`, seconds (clock ticks of 1/100 s). */
export const cpuSec = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

export async function probe(rpcUrl: string, pid: number, everyMs = 100): Promise<{ stop(): Promise<ProbeReport> }> {
  const headStart = Number(await rpcCall<string>(rpcUrl, 'eth_blockNumber'))
  const t0 = Date.now()
  const cpu0 = cpuSec(pid)
  const r: ProbeReport = { maxRpcMs: 0, failedCalls: 0, calls: 0, rssStartMb: rssMb(pid), rssPeakMb: 0, cpuSec: 0, headStart, headEnd: headStart, maxHeadGapMs: 0, elapsedMs: 0 }
  r.rssPeakMb = r.rssStartMb
  let running = true
  let head = headStart
  let headAt = t0
  const loop = (async () => {
    while (running) {
      const t = Date.now()
      try {
        const h = Number(await rpcCall<string>(rpcUrl, 'eth_blockNumber', [], 60_000))
        if (h !== head) {
          r.maxHeadGapMs = Math.max(r.maxHeadGapMs, Date.now() - headAt)
          head = h
          headAt = Date.now()
        }
      } catch {
        r.failedCalls++
      }
      r.calls++
      r.maxRpcMs = Math.max(r.maxRpcMs, Date.now() - t)
      try {
        r.rssPeakMb = Math.max(r.rssPeakMb, rssMb(pid))
      } catch {
        running = false // the process is gone
      }
      await new Promise((res) => setTimeout(res, everyMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      r.elapsedMs = Date.now() - t0
      r.maxHeadGapMs = Math.max(r.maxHeadGapMs, Date.now() - headAt)
      try {
        r.cpuSec = cpuSec(pid) - cpu0
        r.headEnd = Number(await rpcCall<string>(rpcUrl, 'eth_blockNumber', [], 5_000))
      } catch {
        r.headEnd = -1
      }
      return r
    },
  }
}
