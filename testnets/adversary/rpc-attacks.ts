/**
 * The JSON-RPC abuse of the hostile-peer issue, each against one node's HTTP endpoint: an endless eth_call and
 * eth_estimateGas with gas 2^64-1, a batch of 10,000 full blocks, batches of nested batches, malformed block
 * numbers, a body over the size cap. Each returns what came back and how long it took; the campaign
 * (bench/adversary/campaign.ts) measures the node around it.
 */
import net from 'node:net'
import { request as httpRequest } from 'node:http'
import { postRaw } from '../../src/rpc/client.ts'
import { lastClose, type Attack } from './attacks.ts'

const req = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })
const LOOP = { data: '0x5b600056', gas: '0xffffffffffffffff' }

/** The answer's first error message (or "a result"), its size, and the time it took. */
async function ask(url: string | undefined, body: string, timeoutMs = 30_000): Promise<string> {
  if (url === undefined) throw new Error('an RPC attack needs the node\'s rpcUrl')
  const t = Date.now()
  try {
    const a = await postRaw(url, body, timeoutMs)
    let what: string
    try {
      const j = JSON.parse(a.text) as { error?: { message: string } } | { error?: { message: string }; result?: unknown }[]
      const first = Array.isArray(j) ? j.find((e) => e.error !== undefined) : j
      const answered = Array.isArray(j) ? `${j.length} answers, ` : ''
      what = `${answered}${first?.error !== undefined ? `error "${first.error.message.slice(0, 80)}"` : 'a result'}`
    } catch {
      what = `not JSON: ${a.text.slice(0, 60)}`
    }
    return `HTTP ${a.status}, ${what}, ${a.text.length} B, after ${Date.now() - t} ms`
  } catch (e) {
    return `no answer: ${(e as Error).message} (after ${Date.now() - t} ms)`
  }
}

const one = (method: string, params: unknown[]): Attack => async (c) => ask(c.rpcUrl, JSON.stringify(req(1, method, params)))

const batch = (n: number): Attack => async (c) => ask(c.rpcUrl, JSON.stringify(Array.from({ length: n }, (_, i) => req(i + 1, 'eth_getBlockByNumber', ['latest', true]))))

/** Each malformed number; the outcomes joined. */
const badNumbers = (): Attack => async (c) => {
  const out: string[] = []
  for (const n of ['0xzz', '0x-1', `0x${'9'.repeat(1000)}`]) out.push(`${n.slice(0, 8)}: ${await ask(c.rpcUrl, JSON.stringify(req(1, 'eth_getBlockByNumber', [n, false])))}`)
  return out.join('; ')
}

const nested = (): Attack => async (c) => {
  const out: string[] = []
  for (const body of ['[]', '[[]]', `[[${JSON.stringify(req(1, 'eth_blockNumber'))}]]`]) out.push(`${body.slice(0, 6)}: ${await ask(c.rpcUrl, body, 10_000)}`)
  return out.join('; ')
}

const bigBody = (): Attack => async (c) => ask(c.rpcUrl, JSON.stringify(req(1, 'eth_call', [{ data: `0x${'00'.repeat(3_000_000)}` }, 'latest'])))

export const RPC_ATTACKS: Record<string, Attack> = {
  'rpc-call-endless-loop': one('eth_call', [LOOP, 'latest']),
  'rpc-estimate-endless-loop': one('eth_estimateGas', [LOOP]),
  'rpc-batch-10k-full-blocks': batch(10_000),
  'rpc-nested-batches': nested(),
  'rpc-bad-block-numbers': badNumbers(),
  'rpc-body-6mb': bigBody(),
}

/** `n` sockets that start a request and never finish its headers; how many the node still holds after `ms`. */
const slowloris = (n: number, ms: number): Attack => async (c) => {
  if (c.rpcUrl === undefined) throw new Error('an RPC attack needs the node\'s rpcUrl')
  const { hostname, port } = new URL(c.rpcUrl)
  const dialled = Date.now()
  const closedAt: number[] = []
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((resolve) => {
    const s = net.connect(Number(port), hostname, () => {
      s.write('POST / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ')
      resolve(s)
    })
    s.on('error', () => resolve(s))
    s.once('close', () => closedAt.push(Date.now() - dialled))
    // Read what the node sends (a 408), so that its close is seen.
    s.resume()
  })))
  // What a new client sees meanwhile: one fresh connection per call (no keep-alive), every second.
  const fresh: string[] = []
  const t0 = Date.now()
  while (Date.now() - t0 < ms) {
    const t = Date.now()
    const r = await freshCall(c.rpcUrl, 2_000)
    fresh.push(`${Math.round((t - t0) / 1000)}s:${r}`)
    await new Promise((res) => setTimeout(res, Math.max(0, 1_000 - (Date.now() - t))))
  }
  const open = socks.filter((s) => !s.destroyed && !s.readableEnded).length
  const closedBy = lastClose(closedAt)
  for (const s of socks) s.destroy()
  return `${open} of ${n} slow HTTP clients (headers never ended) still open after ${ms} ms${closedBy}; a new client each second: ${fresh.join(' ')}`
}

/** eth_blockNumber on a connection of its own: 'ok', or 'refused' (closed, reset, no answer in `ms`). */
function freshCall(url: string, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const u = new URL(url)
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length }, timeout: ms }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `HTTP ${res.statusCode}`))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve('refused'))
    req.end(body)
  })
}

RPC_ATTACKS['rpc-slowloris-2000'] = slowloris(2_000, 15_000)
