/**
 * Watches a node process during a campaign: JSON-RPC latency (eth_blockNumber every `everyMs`), the longest call,
 * failed calls, RSS (VmRSS) and CPU time from /proc, the head before and after, and the longest time the head stood
 * still, for the whole run and per attack (a window). Linux only (/proc).
 *
 * The polling loop runs in a worker thread: an attack that keeps this process busy (signing 25 MB of txs, 50 ECIES
 * handshakes) would otherwise hold the probe's own calls, and the stall would be charged to the node.
 */
import { readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
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

/** The worker's loop, plain JS (a worker started from source gets no TypeScript loader): one sample per call. */
const LOOP = `
const { parentPort, workerData } = require('node:worker_threads')
const { readFileSync } = require('node:fs')
const { rpcUrl, pid, everyMs } = workerData
const rss = () => { const m = /VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + pid + '/status', 'utf8')); return m === null ? 0 : Number(m[1]) / 1024 }
;(async () => {
  for (;;) {
    const t = Date.now()
    let head = -1
    try {
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}', signal: AbortSignal.timeout(60000) })
      head = Number((await res.json()).result)
    } catch {}
    const ms = Date.now() - t
    let now
    try { now = rss() } catch { return } // the process is gone
    parentPort.postMessage({ at: Date.now(), ms, ok: head >= 0, head, rss: now })
    await new Promise((ok) => setTimeout(ok, everyMs))
  }
})()
`

/**
 * One probe for a whole campaign, on one kept-alive connection (a probe that dials anew per attack is refused while
 * an attack fills the RPC listener's connection slots, and would charge that to every call): `window()` starts a
 * sub-report whose `stop()` gives the figures since, from the same samples.
 */
export async function longProbe(rpcUrl: string, pid: number, everyMs = 100): Promise<{ window(): Promise<{ stop(): Promise<ProbeReport> }>; stop(): Promise<ProbeReport> }> {
  const worker = new Worker(LOOP, { eval: true, workerData: { rpcUrl, pid, everyMs } })
  const samples: Sample[] = []
  worker.on('message', (m: Sample) => samples.push(m))
  const windowOf = async (): Promise<{ stop(): Promise<ProbeReport> }> => {
    const from = samples.length
    const t0 = Date.now()
    const cpu0 = cpuSec(pid)
    const rssStartMb = rssMb(pid)
    const headStart = Number(await rpcCall<string>(rpcUrl, 'eth_blockNumber', [], 10_000).catch(() => -1))
    return {
      async stop() {
        const s = samples.slice(from)
        const r: ProbeReport = { maxRpcMs: 0, failedCalls: 0, calls: s.length, rssStartMb, rssPeakMb: rssStartMb, cpuSec: 0, headStart, headEnd: headStart, maxHeadGapMs: 0, elapsedMs: Date.now() - t0 }
        let head = headStart
        let headAt = t0
        for (const x of s) {
          r.maxRpcMs = Math.max(r.maxRpcMs, x.ms)
          if (!x.ok) r.failedCalls++
          r.rssPeakMb = Math.max(r.rssPeakMb, x.rss)
          if (x.ok && x.head !== head) {
            r.maxHeadGapMs = Math.max(r.maxHeadGapMs, x.at - headAt)
            head = x.head
            headAt = x.at
          }
        }
        r.maxHeadGapMs = Math.max(r.maxHeadGapMs, Date.now() - headAt)
        r.headEnd = head
        try {
          r.cpuSec = cpuSec(pid) - cpu0
        } catch {
          // the process is gone
        }
        return r
      },
    }
  }
  const whole = await windowOf()
  return {
    window: windowOf,
    async stop() {
      const r = await whole.stop()
      await worker.terminate()
      return r
    },
  }
}

interface Sample {
  at: number
  ms: number
  ok: boolean
  head: number
  rss: number
}
