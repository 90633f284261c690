/** Per item: when each node first held it, and how many full copies each node received. */
export class ItemTracker {
  readonly firstSeen = new Map<string, Map<number, number>>()
  readonly published = new Map<string, { origin: number; at: number; kind: 'tx' | 'block' }>()
  /** Full-payload receipts per node (duplicates included). */
  readonly receipts: number[]
  /** With `perItem`: full-payload receipts per item, over all nodes (duplicates included). */
  readonly receiptsOf = new Map<string, number>()

  constructor(
    n: number,
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
      m = new Map()
      this.firstSeen.set(key, m)
    }
    if (!m.has(node)) m.set(node, at)
  }

  receipt(node: number, count = 1): void {
    this.receipts[node]! += count
  }

  /** One full copy of `key` received (only with `perItem`; the per-node count is `receipt`'s). */
  receiptOf(key: string): void {
    this.receiptsOf.set(key, (this.receiptsOf.get(key) ?? 0) + 1)
  }
}
