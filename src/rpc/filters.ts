/**
 * Installed filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter), polled with
 * eth_getFilterChanges. No I/O and no clock of its own: the caller passes `now` and feeds chain events in.
 *
 * Each filter holds what happened since its last poll (`items`): matching logs, block hashes or tx hashes.
 * Invariants: a filter not polled for FILTER_IDLE_MS is gone at the next `expire` (geth: 5 minutes); at most
 * MAX_FILTERS live at once; a filter buffers at most MAX_ITEMS_PER_FILTER items, and past that drops the oldest
 * (counted in `dropped`), so an unpolled filter costs bounded memory.
 */
import { randomBytes } from 'node:crypto'
import type { JsonLog } from './json.ts'
import { logMatches, type LogCriteria } from './log-criteria.ts'

export const FILTER_IDLE_MS = 5 * 60_000
export const MAX_FILTERS = 10_000
export const MAX_ITEMS_PER_FILTER = 10_000

export type FilterKind = 'logs' | 'blocks' | 'pendingTxs'

interface Filter {
  kind: FilterKind
  criteria: LogCriteria | undefined
  items: (JsonLog | string)[]
  lastPoll: number
  dropped: number
}

export class FilterError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

export class FilterStore {
  private readonly filters = new Map<string, Filter>()

  constructor(private readonly newId: () => string = () => `0x${randomBytes(16).toString('hex')}`) {}

  get size(): number {
    return this.filters.size
  }

  install(kind: FilterKind, criteria: LogCriteria | undefined, now: number): string {
    this.expire(now)
    if (this.filters.size >= MAX_FILTERS) throw new FilterError(-32000, `too many filters installed (${MAX_FILTERS}); uninstall some or let them expire`)
    const id = this.newId()
    this.filters.set(id, { kind, criteria, items: [], lastPoll: now, dropped: 0 })
    return id
  }

  uninstall(id: string): boolean {
    return this.filters.delete(id.toLowerCase())
  }

  /** The filter, for eth_getFilterLogs; polling it keeps it alive. */
  get(id: string, now: number): { kind: FilterKind; criteria: LogCriteria | undefined } {
    const f = this.live(id, now)
    f.lastPoll = now
    return f
  }

  /** What happened since the last poll; empties the buffer. */
  changes(id: string, now: number): (JsonLog | string)[] {
    const f = this.live(id, now)
    f.lastPoll = now
    const out = f.items
    f.items = []
    return out
  }

  expire(now: number): void {
    for (const [id, f] of this.filters) if (now - f.lastPoll >= FILTER_IDLE_MS) this.filters.delete(id)
  }

  onBlock(hash: string, logs: JsonLog[], now: number): void {
    this.expire(now)
    for (const f of this.filters.values()) {
      if (f.kind === 'blocks') push(f, hash)
      else if (f.kind === 'logs') for (const l of logs) if (logMatches(f.criteria!, l)) push(f, l)
    }
  }

  /** Logs of blocks a reorg took off the canonical chain, as `removed: true` (geth sends them to log filters). */
  onRemoved(logs: JsonLog[], now: number): void {
    this.expire(now)
    for (const f of this.filters.values()) if (f.kind === 'logs') for (const l of logs) if (logMatches(f.criteria!, l)) push(f, l)
  }

  onPendingTx(hash: string, now: number): void {
    for (const f of this.filters.values()) if (f.kind === 'pendingTxs' && now - f.lastPoll < FILTER_IDLE_MS) push(f, hash)
  }

  private live(id: string, now: number): Filter {
    this.expire(now)
    const f = typeof id === 'string' ? this.filters.get(id.toLowerCase()) : undefined
    // geth's message and code for an unknown or expired filter.
    if (f === undefined) throw new FilterError(-32000, 'filter not found')
    return f
  }
}

function push(f: Filter, item: JsonLog | string): void {
  f.items.push(item)
  if (f.items.length > MAX_ITEMS_PER_FILTER) {
    f.items.shift()
    f.dropped++
  }
}
