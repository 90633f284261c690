/**
 * A discrete-event queue on a virtual clock: events run in (time, insertion) order.
 *
 * A 4-ary min-heap whose keys (time, then insertion number) sit in typed arrays beside the array of callbacks: a
 * run at 8,000 nodes keeps hundreds of thousands of events queued, and comparing keys held in one object per event
 * cost a cache miss per comparison. Invariant: for every slot i > 0, key(parent(i)) <= key(i), with parent(i) =
 * (i - 1) >> 2; so slot 0 holds the next event.
 */
/** An event's callback; `arg` is the number it was queued with (0 if none). */
export type EventFn = (arg: number) => void

export class EventQueue {
  private times = new Float64Array(1024)
  private seqs = new Float64Array(1024)
  private fns: (EventFn | undefined)[] = new Array<EventFn | undefined>(1024)
  /** Per slot: the number the callback is called with (a shared callback with an argument needs no closure). */
  private args = new Float64Array(1024)
  private n = 0
  private seq = 0
  now = 0

  get size(): number {
    return this.n
  }

  at(time: number, fn: EventFn, arg = 0): void {
    if (!(time >= this.now)) throw new Error(`event scheduled in the past: ${time} < ${this.now}`)
    if (this.n === this.times.length) this.grow()
    const t = this.times
    const s = this.seqs
    const f = this.fns
    const a = this.args
    const seq = this.seq++
    // Sift up by moving parents down into the hole.
    let i = this.n++
    while (i > 0) {
      const p = (i - 1) >> 2
      const pt = t[p]!
      if (pt < time || (pt === time && s[p]! < seq)) break
      t[i] = pt
      s[i] = s[p]!
      f[i] = f[p]
      a[i] = a[p]!
      i = p
    }
    t[i] = time
    s[i] = seq
    f[i] = fn
    a[i] = arg
  }

  after(delayMs: number, fn: () => void): void {
    this.at(this.now + delayMs, fn)
  }

  /** Runs events up to and including `until`; the clock ends at `until`. Returns the number run. */
  runUntil(until: number): number {
    let ran = 0
    while (this.n > 0 && this.times[0]! <= until) {
      this.now = this.times[0]!
      const arg = this.args[0]!
      const fn = this.popFn()
      fn(arg)
      ran++
    }
    this.now = Math.max(this.now, until)
    return ran
  }

  /** Removes the head and returns its callback. */
  private popFn(): EventFn {
    const t = this.times
    const s = this.seqs
    const f = this.fns
    const a = this.args
    const top = f[0]!
    const last = --this.n
    const lt = t[last]!
    const ls = s[last]!
    const lf = f[last]
    const la = a[last]!
    f[last] = undefined
    if (last > 0) {
      // Sift the last slot down from the root, moving the smallest child up into the hole.
      let i = 0
      for (;;) {
        const first = 4 * i + 1
        if (first >= last) break
        let c = first
        let ct = t[first]!
        let cs = s[first]!
        const end = Math.min(first + 4, last)
        for (let k = first + 1; k < end; k++) {
          const kt = t[k]!
          if (kt < ct || (kt === ct && s[k]! < cs)) {
            c = k
            ct = kt
            cs = s[k]!
          }
        }
        if (lt < ct || (lt === ct && ls < cs)) break
        t[i] = ct
        s[i] = cs
        f[i] = f[c]
        a[i] = a[c]!
        i = c
      }
      t[i] = lt
      s[i] = ls
      f[i] = lf
      a[i] = la
    }
    return top
  }

  private grow(): void {
    const cap = this.times.length * 2
    const t = new Float64Array(cap)
    t.set(this.times)
    const s = new Float64Array(cap)
    s.set(this.seqs)
    const a = new Float64Array(cap)
    a.set(this.args)
    this.times = t
    this.seqs = s
    this.args = a
    this.fns.length = cap
  }
}
