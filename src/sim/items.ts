/**
 * When each node first held one item: a time per node (NaN: not yet), so that N nodes x M items costs 8 bytes each,
 * not a Map entry each (at 8,000 nodes x 1,000 items the Maps were ~0.5 GB of small objects for the collector).
 */
export class SeenTimes {
  readonly at: Float64Array
  size = 0

  constructor(n: number) {
    this.at = new Float64Array(n).fill(NaN)
  }

  has(node: number): boolean {
    return !Number.isNaN(this.at[node]!)
  }

  get(node: number): number | undefined {
    const t = this.at[node]!
    return Number.isNaN(t) ? undefined : t
  }

  /** Records the first time only. */
  set(node: number, t: number): void {
    if (!this.has(node)) {
      this.at[node] = t
      this.size++
    }
  }

  /** The nodes that hold the item, in index order. */
  *keys(): IterableIterator<number> {
    for (let i = 0; i < this.at.length; i++) if (!Number.isNaN(this.at[i]!)) yield i
  }
}

/** Per item: when each node first held it, and how many full copies each node received. */
export class ItemTracker {
  readonly firstSeen = new Map<string, SeenTimes>()
  readonly published = new Map<string, { origin: number; at: number; kind: 'tx' | 'block' }>()
  /** Full-payload receipts per node (duplicates included). */
  readonly receipts: number[]
  /** With `perItem`: full-payload receipts per item, over all nodes (duplicates included). */
  readonly receiptsOf = new Map<string, number>()

  constructor(
    readonly n: number,
    readonly perItem = false,
  ) {
    this.receipts = new Array<number>(n).fill(0)
  }

  publish(key: string, origin: number, at: number, kind: 'tx' | 'block'): void {
    this.published.set(key, { origin, at, kind })
    this.seen(key, origin, at)
  }

  seen(key: string, node: number, at: number): void {
    let m = this.firstSeen.get(key)
    if (m === undefined) {
      m = new SeenTimes(this.n)
      this.firstSeen.set(key, m)
    }
    m.set(node, at)
  }

  receipt(node: number, count = 1): void {
    this.receipts[node]! += count
  }

  /** One full copy of `key` received (only with `perItem`; the per-node count is `receipt`'s). */
  receiptOf(key: string): void {
    this.receiptsOf.set(key, (this.receiptsOf.get(key) ?? 0) + 1)
  }
}
