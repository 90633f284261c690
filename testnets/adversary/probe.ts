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
parentPort.on('message', () => { running = false })
;(async () => {
  while (running) {
    const t = Date.now()
    try {
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}', signal: AbortSignal.timeout(60000) })
      const h = Number((await res.json()).result)
      if (h !== head) { r.maxHeadGapMs = Math.max(r.maxHeadGapMs, Date.now() - headAt); head = h; headAt = Date.now() }
    } catch { r.failedCalls++ }
    r.calls++
    r.maxRpcMs = Math.max(r.maxRpcMs, Date.now() - t)
    try { r.rssPeakMb = Math.max(r.rssPeakMb, rss()) } catch { running = false }
    await new Promise((ok) => setTimeout(ok, everyMs))
  }
  r.maxHeadGapMs = Math.max(r.maxHeadGapMs, Date.now() - headAt)
  parentPort.postMessage(r)
})()
`

export async function probe(rpcUrl: string, pid: number, everyMs = 100): Promise<{ stop(): Promise<ProbeReport> }> {
  const headStart = Number(await rpcCall<string>(rpcUrl, 'eth_blockNumber'))
  const t0 = Date.now()
  const cpu0 = cpuSec(pid)
  const rssStartMb = rssMb(pid)
  const worker = new Worker(LOOP, { eval: true, workerData: { rpcUrl, pid, everyMs, headStart } })
  const done = new Promise<Pick<ProbeReport, 'maxRpcMs' | 'failedCalls' | 'calls' | 'rssPeakMb' | 'maxHeadGapMs'>>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  return {
    async stop() {
      worker.postMessage('stop')
      const w = await done
      await worker.terminate()
      const r: ProbeReport = { ...w, rssStartMb, rssPeakMb: Math.max(rssStartMb, w.rssPeakMb), cpuSec: 0, headStart, headEnd: headStart, elapsedMs: Date.now() - t0 }
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
