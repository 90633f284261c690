/** A discrete-event queue on a virtual clock: events run in (time, insertion) order. */
export class EventQueue {
  private heap: { at: number; seq: number; fn: () => void }[] = []
  private seq = 0
  now = 0

  get size(): number {
    return this.heap.length
  }

  at(time: number, fn: () => void): void {
    if (!(time >= this.now)) throw new Error(`event scheduled in the past: ${time} < ${this.now}`)
    const h = this.heap
    const e = { at: time, seq: this.seq++, fn }
    // Sift up by moving parents down into the hole (no swaps: this loop runs once per simulated message).
    let i = h.length
    h.push(e)
    while (i > 0) {
      const p = (i - 1) >> 1
      const up = h[p]!
      if (this.less(up, e)) break
      h[i] = up
      i = p
    }
    h[i] = e
  }

  after(delayMs: number, fn: () => void): void {
    this.at(this.now + delayMs, fn)
  }

  /** Runs events up to and including `until`; the clock ends at `until`. Returns the number run. */
  runUntil(until: number): number {
    let n = 0
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const e = this.pop()
      this.now = e.at
      e.fn()
      n++
    }
    this.now = Math.max(this.now, until)
    return n
  }

  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  private pop(): { at: number; seq: number; fn: () => void } {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    const n = h.length
    if (n > 0) {
      // Sift `last` down from the root, moving the smaller child up into the hole.
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && this.less(h[r]!, h[l]!) ? r : l
        const child = h[c]!
        if (!this.less(child, last)) break
        h[i] = child
        i = c
      }
      h[i] = last
    }
    return top
  }
}
