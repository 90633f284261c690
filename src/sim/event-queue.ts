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
    h.push({ at: time, seq: this.seq++, fn })
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.less(h[p]!, h[i]!)) break
      ;[h[p], h[i]] = [h[i]!, h[p]!]
      i = p
    }
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
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i]!, h[m]!]
        i = m
      }
    }
    return top
  }
}
