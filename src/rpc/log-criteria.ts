/**
 * The log filter object of eth_newFilter, eth_getLogs and eth_subscribe("logs"), checked strictly, and the match
 * rule of the execution-apis spec: each topic position is null (any), one topic, or a list (any of); a log must
 * have at least as many topics as there are positions; `address` is one address or a list (any of). fromBlock and
 * toBlock bound block numbers when they are numbers ("latest", "pending", "safe", "finalized" leave that side open).
 */
import type { JsonLog } from './json.ts'
import { INVALID_PARAMS, type RpcError } from './teecast.ts'

export interface LogCriteria {
  addresses: string[] | undefined
  topics: (string[] | null)[]
  fromBlock: bigint | undefined
  toBlock: bigint | undefined
  /** The criteria as given, for eth_getFilterLogs (which hands them to eth_getLogs). */
  raw: Record<string, unknown>
}

/** Upper bounds so that one filter cannot make every block's check expensive. */
export const MAX_FILTER_ADDRESSES = 1_000
export const MAX_FILTER_TOPICS = 4
export const MAX_TOPIC_ALTERNATIVES = 1_000

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const TOPIC = /^0x[0-9a-fA-F]{64}$/
const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/
const BLOCK_TAGS = new Set(['latest', 'pending', 'earliest', 'safe', 'finalized'])

const bad = (message: string): RpcError => ({ code: INVALID_PARAMS, message })

function blockBound(name: string, v: unknown): bigint | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw bad(`${name} must be a block number (hex) or tag, got ${JSON.stringify(v)}`)
  if (v === 'earliest') return 0n
  if (BLOCK_TAGS.has(v)) return undefined
  if (!QUANTITY.test(v)) throw bad(`${name} must be a block number (hex) or tag, got ${JSON.stringify(v)}`)
  return BigInt(v)
}

export function parseLogCriteria(v: unknown): LogCriteria {
  if (v === undefined || v === null) v = {}
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('the filter must be an object { address?, topics?, fromBlock?, toBlock? }')
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!['address', 'topics', 'fromBlock', 'toBlock', 'blockHash'].includes(k)) throw bad(`unknown filter field "${k}"`)
  }
  if (o.blockHash !== undefined) throw bad('blockHash is not supported in filters (use eth_getLogs)')
  let addresses: string[] | undefined
  if (o.address !== undefined && o.address !== null) {
    const list = Array.isArray(o.address) ? o.address : [o.address]
    if (list.length > MAX_FILTER_ADDRESSES) throw bad(`at most ${MAX_FILTER_ADDRESSES} addresses per filter`)
    for (const a of list) if (typeof a !== 'string' || !ADDRESS.test(a)) throw bad(`address ${JSON.stringify(a)} is not a 20-byte hex address`)
    addresses = (list as string[]).map((a) => a.toLowerCase())
  }
  const topics: (string[] | null)[] = []
  if (o.topics !== undefined && o.topics !== null) {
    if (!Array.isArray(o.topics)) throw bad('topics must be an array')
    if (o.topics.length > MAX_FILTER_TOPICS) throw bad(`at most ${MAX_FILTER_TOPICS} topic positions`)
    for (const t of o.topics) {
      if (t === null) topics.push(null)
      else if (typeof t === 'string' && TOPIC.test(t)) topics.push([t.toLowerCase()])
      else if (Array.isArray(t)) {
        if (t.length > MAX_TOPIC_ALTERNATIVES) throw bad(`at most ${MAX_TOPIC_ALTERNATIVES} alternatives per topic position`)
        for (const x of t) if (typeof x !== 'string' || !TOPIC.test(x)) throw bad(`topic ${JSON.stringify(x)} is not a 32-byte hex value`)
        // An empty list matches anything, as null does (geth).
        topics.push(t.length === 0 ? null : (t as string[]).map((x) => x.toLowerCase()))
      } else throw bad(`topic ${JSON.stringify(t)} is not a 32-byte hex value, a list of them, or null`)
    }
  }
  const fromBlock = blockBound('fromBlock', o.fromBlock)
  const toBlock = blockBound('toBlock', o.toBlock)
  if (fromBlock !== undefined && toBlock !== undefined && fromBlock > toBlock) throw bad('fromBlock is after toBlock')
  return { addresses, topics, fromBlock, toBlock, raw: o }
}

export function logMatches(c: LogCriteria, log: JsonLog): boolean {
  const n = BigInt(log.blockNumber)
  if (c.fromBlock !== undefined && n < c.fromBlock) return false
  if (c.toBlock !== undefined && n > c.toBlock) return false
  if (c.addresses !== undefined && !c.addresses.includes(log.address.toLowerCase())) return false
  if (c.topics.length > log.topics.length) return false
  return c.topics.every((alts, i) => alts === null || alts.includes(log.topics[i]!.toLowerCase()))
}
