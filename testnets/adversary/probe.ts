/**
 * Watches a node process during an attack: JSON-RPC latency (eth_blockNumber every `everyMs`), the longest call,
 * failed calls, RSS (VmRSS) and CPU time from /proc, the head before and after, and the longest time the head stood
 * still. Linux only (/proc).
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

/** The worker's loop, plain JS (a worker started from source gets no TypeScript loader). */
const LOOP = `
const { parentPort, workerData } = require('node:worker_threads')
const { readFileSync } = require('node:fs')
const { rpcUrl, pid, everyMs, headStart } = workerData
const rss = () => { const m = /VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + pid + '/status', 'utf8')); return m === null ? 0 : Number(m[1]) / 1024 }
const r = { maxRpcMs: 0, failedCalls: 0, calls: 0, rssPeakMb: 0, maxHeadGapMs: 0 }
let running = true
let head = headStart
let headAt = Date.now()
let lastOk = true
parentPort.on('message', () => { running = false })
;(async () => {
  while (running) {
    const t = Date.now()
    try {
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}', signal: AbortSignal.timeout(60000) })
      const h = Number((await res.json()).result)
      if (h !== head) { r.maxHeadGapMs = Math.max(r.maxHeadGapMs, Date.now() - headAt); head = h; headAt = Date.now() }
      lastOk = true
    } catch { r.failedCalls++; lastOk = false }
    r.calls++
    const ms = Date.now() - t
    r.maxRpcMs = Math.max(r.maxRpcMs, ms)
    let now = 0
    try { now = rss(); r.rssPeakMb = Math.max(r.rssPeakMb, now) } catch { running = false }
    if (workerData.samples) parentPort.postMessage({ sample: { at: Date.now(), ms, ok: lastOk, head, rss: now } })
    await new Promise((ok) => setTimeout(ok, everyMs))
  }
  r.maxHeadGapMs = Math.max(r.maxHeadGapMs, Date.now() - headAt)
  parentPort.postMessage(r)
})()
`

/**
 * One probe for a whole campaign, on one kept-alive connection (a probe that dials anew per attack is refused while
 * an attack fills the RPC listener's connection slots, and would charge that to every call): `window()` starts a
 * sub-report whose `stop()` gives the figures since, from the same samples.
 */
export async function longProbe(rpcUrl: string, pid: number, everyMs = 100): Promise<{ window(): Promise<{ stop(): Promise<ProbeReport> }>; stop(): Promise<ProbeReport> }> {
  const worker = new Worker(LOOP, { eval: true, workerData: { rpcUrl, pid, everyMs, headStart: Number(await rpcCall<string>(rpcUrl, 'eth_blockNumber')), samples: true } })
  const samples: Sample[] = []
  worker.on('message', (m: { sample?: Sample }) => {
    if (m.sample !== undefined) samples.push(m.sample)
  })
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
