/**
 * The simulated network: nodes joined by links with a per-link latency (and jitter), message drops and crashes, on
 * the virtual clock of an EventQueue. It carries opaque messages with their wire size and counts them per node and
 * type; the protocol logic lives in the node drivers (tee-node.ts, eth-node.ts).
 *
 * Each node handles what it receives one message at a time (`handleMs`): a real node is one event loop, so a message
 * that arrives while it is busy waits. Stages of a received message: on the wire (until its arrival time) -> queued
 * at the receiver (counted as received; waits for the node's loop) -> handled (the driver's `receive` runs, once).
 * Invariants: a node's messages are handled in arrival order; a message is handled no earlier than
 * arrival + handleMs, and never while the node handles another (handling spans of one node do not overlap).
 */
import { SeededRandom } from '../shared/rng.ts'
import { EventQueue } from './event-queue.ts'

/** RLPx framing of one message of `payload` bytes (code byte included): 32-byte header, body padded to 16, 16-byte MAC. */
export const rlpxFrameBytes = (payload: number): number => 32 + Math.ceil((payload + 1) / 16) * 16 + 16

export interface LinkModel {
  /** One-way latency of the link a-b, ms. */
  latencyMs(a: number, b: number): number
  jitterMs: number
}

export interface SimNetworkOptions {
  seed: string
  link: LinkModel
  /** Probability that a message is lost on the wire (a host omitting it). */
  dropRate: number
  /**
   * How long after a crash each peer sees the disconnect, ms: 0 is a TCP reset; a silent crash (a hung host, a dropped
   * route) is noticed after a keepalive timeout. A number is the same delay on every link; [min, max] draws one per
   * link, uniform, from the seed; Infinity: never (until then, messages to the crashed node are lost silently).
   */
  detectMs: number | readonly [number, number]
  /**
   * Each node's upload rate, bits per second (Infinity or absent: unlimited). A node's sends queue behind its one
   * uplink: a message leaves at max(now, uplink free) + bytes * 8 / rate, then takes the link's latency.
   */
  uploadBps?: number
  /**
   * How long a node takes to handle one received message, ms (0 or absent: no time). A node handles one message at a
   * time, in arrival order: a message arriving at t is handled at max(t, node free) + handleMs, and the node's
   * reaction (its sends) leaves then. Timers (batch flushes, timeouts) and local submissions are not queued.
   */
  handleMs?: number
}

export interface TypeCount {
  msgs: number
  bytes: number
}

export interface NodeCounters {
  in: Map<string, TypeCount>
  out: Map<string, TypeCount>
}

export interface SimPeerNode {
  peerDown(peer: number): void
  /** A link to `peer` came (back) up. */
  peerUp(peer: number): void
  receive(from: number, msg: unknown): void
}

export class SimNetwork {
  readonly q = new EventQueue()
  readonly alive: boolean[]
  readonly adj: Set<number>[]
  readonly counters: NodeCounters[]
  readonly rng: SeededRandom
  /** Detection delays draw from their own stream, so that a range leaves the rest of a seeded run unchanged. */
  private readonly detectRng: SeededRandom
  nodes: SimPeerNode[] = []
  dropped = 0
  /** Per node: when its uplink is free again (virtual ms); stays 0 with unlimited upload. */
  readonly uplinkFreeAt: Float64Array
  /** Per node: the longest queue its uplink had, ms of sending ahead of a new message. */
  readonly maxUplinkBacklogMs: Float64Array
  private readonly msPerByte: number
  private readonly handleMs: number
  /** Per node: when it is done handling what it has received so far (virtual ms); stays 0 with handleMs 0. */
  readonly busyUntil: Float64Array
  /** Per node: the longest a received message waited for the node's loop, ms (the handling itself excluded). */
  readonly maxHandleWaitMs: Float64Array

  constructor(
    readonly n: number,
    edges: readonly (readonly [number, number])[],
    readonly o: SimNetworkOptions,
  ) {
    this.rng = new SeededRandom(`${o.seed}/network`)
    this.detectRng = new SeededRandom(`${o.seed}/detect`)
    this.alive = new Array<boolean>(n).fill(true)
    this.adj = Array.from({ length: n }, () => new Set<number>())
    for (const [a, b] of edges) {
      this.adj[a]!.add(b)
      this.adj[b]!.add(a)
    }
    this.counters = Array.from({ length: n }, () => ({ in: new Map(), out: new Map() }))
    this.linkStart = new Int32Array(n + 1)
    for (let i = 0; i < n; i++) this.linkStart[i + 1] = this.linkStart[i]! + this.adj[i]!.size
    this.nbrs = new Int32Array(this.linkStart[n]!)
    for (let i = 0; i < n; i++) this.nbrs.set([...this.adj[i]!], this.linkStart[i]!)
    this.lastArrival = new Float64Array(this.nbrs.length)
    const bps = o.uploadBps ?? Infinity
    if (!(bps > 0)) throw new Error(`sim network: upload rate must be > 0 bit/s, got ${bps}`)
    this.msPerByte = Number.isFinite(bps) ? 8000 / bps : 0
    this.uplinkFreeAt = new Float64Array(n)
    this.maxUplinkBacklogMs = new Float64Array(n)
    const h = o.handleMs ?? 0
    if (!(h >= 0 && Number.isFinite(h))) throw new Error(`sim network: handling time must be a finite number of ms >= 0, got ${h}`)
    this.handleMs = h
    this.busyUntil = new Float64Array(n)
    this.maxHandleWaitMs = new Float64Array(n)
  }

  /** How long node i's uplink is busy from now with what it already queued, ms. */
  uplinkBacklogMs(i: number): number {
    return Math.max(0, this.uplinkFreeAt[i]! - this.q.now)
  }

  get now(): number {
    return this.q.now
  }

  private count(m: Map<string, TypeCount>, type: string, bytes: number): void {
    const c = m.get(type)
    if (c === undefined) m.set(type, { msgs: 1, bytes })
    else {
      c.msgs++
      c.bytes += bytes
    }
  }

  /** Sends one message; it is counted as sent, and as received only if it arrives. Per-link order is kept. */
  send(from: number, to: number, type: string, bytes: number, msg: unknown): void {
    if (!this.alive[from] || !this.adj[from]!.has(to)) return
    this.count(this.counters[from]!.out, type, bytes)
    // The message occupies the sender's uplink whether or not it is lost on the way.
    let departs = this.q.now
    if (this.msPerByte > 0) {
      const free = this.uplinkFreeAt[from]!
      if (free > departs) {
        if (free - departs > this.maxUplinkBacklogMs[from]!) this.maxUplinkBacklogMs[from] = free - departs
        departs = free
      }
      departs += bytes * this.msPerByte
      this.uplinkFreeAt[from] = departs
    }
    if (this.o.dropRate > 0 && this.rng.next() < this.o.dropRate) {
      this.dropped++
      return
    }
    const lat = this.o.link.latencyMs(from, to) + (this.o.link.jitterMs > 0 ? this.rng.next() * this.o.link.jitterMs : 0)
    // TCP keeps order on a link: never deliver before the previous message on it.
    const slot = this.arrivalSlot(from, to)
    const at = Math.max(departs + lat, this.lastArrival[slot]!)
    this.lastArrival[slot] = at
    // A message in flight when its link goes down is lost with the connection, even if the link is back by then.
    const gen = this.linkGen(from, to)
    this.q.at(at, this.deliver, this.putInFlight(from, to, gen, type, bytes, msg))
  }

  /**
   * Messages on the wire, as records in parallel arrays: a closure per message was the largest garbage of a large
   * run. A record is taken at send and given back at arrival, before the receiver runs (which may send).
   */
  private flFrom = new Int32Array(1024)
  private flTo = new Int32Array(1024)
  private flGen = new Float64Array(1024)
  private flBytes = new Float64Array(1024)
  private flType: string[] = []
  private flMsg: unknown[] = []
  private flFree: number[] = []
  private flUsed = 0

  private putInFlight(from: number, to: number, gen: number, type: string, bytes: number, msg: unknown): number {
    let r = this.flFree.pop()
    if (r === undefined) {
      r = this.flUsed++
      if (r === this.flFrom.length) this.growInFlight()
    }
    this.flFrom[r] = from
    this.flTo[r] = to
    this.flGen[r] = gen
    this.flBytes[r] = bytes
    this.flType[r] = type
    this.flMsg[r] = msg
    return r
  }

  private growInFlight(): void {
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2)
      b.set(a)
      return b
    }
    this.flFrom = grow(this.flFrom, (n) => new Int32Array(n))
    this.flTo = grow(this.flTo, (n) => new Int32Array(n))
    this.flGen = grow(this.flGen, (n) => new Float64Array(n))
    this.flBytes = grow(this.flBytes, (n) => new Float64Array(n))
  }

  private readonly deliver = (r: number): void => {
    const from = this.flFrom[r]!
    const to = this.flTo[r]!
    const gen = this.flGen[r]!
    const bytes = this.flBytes[r]!
    const type = this.flType[r]!
    const msg = this.flMsg[r]
    this.flMsg[r] = undefined
    this.flFree.push(r)
    if (!this.alive[to] || !this.connection(from, to, gen)) return
    this.count(this.counters[to]!.in, type, bytes)
    if (this.handleMs === 0) return this.nodes[to]!.receive(from, msg)
    // A message still queued when its link goes down is dropped with the connection, as a closed peer's are.
    this.enqueue(to, () => {
      if (this.connection(from, to, gen)) this.nodes[to]!.receive(from, msg)
    })
  }

  /** The connection a message was sent on (link generation `gen`) still stands, and its sender is up. */
  private connection(from: number, to: number, gen: number): boolean {
    return this.alive[from] === true && this.adj[to]!.has(from) && this.linkGen(from, to) === gen
  }

  /** Queues a received message behind what node `to` is handling; it is handled handleMs after the node is free. */
  private enqueue(to: number, handle: () => void): void {
    const now = this.q.now
    const start = Math.max(now, this.busyUntil[to]!)
    if (start - now > this.maxHandleWaitMs[to]!) this.maxHandleWaitMs[to] = start - now
    const done = start + this.handleMs
    this.busyUntil[to] = done
    // A node that crashes while the message waits never handles it.
    this.q.at(done, () => {
      if (this.alive[to]) handle()
    })
  }

  /**
   * Per directed link: when its last message arrives (virtual ms), at slot linkStart[from] + the index of `to` among
   * from's first neighbours (`nbrs`). A typed array, not a map keyed by from * n + to: a boxed number per message
   * was garbage for the collector at every send. Links only ever come back (linkUp), so the slots are fixed.
   */
  private readonly lastArrival: Float64Array
  private readonly linkStart: Int32Array
  private readonly nbrs: Int32Array

  private arrivalSlot(from: number, to: number): number {
    const nb = this.nbrs
    for (let i = this.linkStart[from]!, end = this.linkStart[from + 1]!; i < end; i++) if (nb[i] === to) return i
    throw new Error(`sim network: ${from} -> ${to} is not a link`)
  }
  /** Per link (a < b): how many times it went down. */
  private readonly generations = new Map<number, number>()
  /** Links taken down by `linkDown` (a < b), to put back with `linkUp`. */
  private readonly downLinks = new Set<number>()

  private linkKey(a: number, b: number): number {
    return Math.min(a, b) * this.n + Math.max(a, b)
  }

  private linkGen(a: number, b: number): number {
    return this.generations.get(this.linkKey(a, b)) ?? 0
  }

  /** Churn: the connection a-b drops; both live ends see the disconnect at once (TCP reset). */
  linkDown(a: number, b: number): void {
    const k = this.linkKey(a, b)
    if (!this.adj[a]!.has(b) || this.downLinks.has(k)) return
    this.adj[a]!.delete(b)
    this.adj[b]!.delete(a)
    this.downLinks.add(k)
    this.generations.set(k, this.linkGen(a, b) + 1)
    if (this.alive[a]) this.nodes[a]!.peerDown(b)
    if (this.alive[b]) this.nodes[b]!.peerDown(a)
  }

  /** Churn: a link taken down by `linkDown` reconnects; both ends get peerUp if both are alive. */
  linkUp(a: number, b: number): void {
    const k = this.linkKey(a, b)
    if (!this.downLinks.delete(k)) return
    this.adj[a]!.add(b)
    this.adj[b]!.add(a)
    if (this.alive[a] && this.alive[b]) {
      this.nodes[a]!.peerUp(b)
      this.nodes[b]!.peerUp(a)
    }
  }

  /** The delay after which a peer notices that its link to a crashed node is dead (Infinity: never). */
  private detectDelay(): number {
    const d = this.o.detectMs
    if (typeof d === 'number') return d
    return d[0] + this.detectRng.next() * (d[1] - d[0])
  }

  /**
   * Node i stops: it sends and receives nothing from now on, and what it had in flight is lost. Each live peer gets
   * peerDown after its link's detection delay; until then its sends to i are counted as sent and lost silently.
   */
  crash(i: number): void {
    if (!this.alive[i]) return
    this.alive[i] = false
    for (const p of this.adj[i]!) {
      if (!this.alive[p]) continue
      const delay = this.detectDelay()
      if (!Number.isFinite(delay)) continue
      this.q.after(delay, () => {
        if (this.alive[p]) this.nodes[p]!.peerDown(i)
      })
    }
  }

  /** Live nodes reachable from `origin` over links between live nodes. */
  reachableFrom(origin: number): Set<number> {
    const seen = new Set<number>()
    if (!this.alive[origin]) return seen
    const stack = [origin]
    seen.add(origin)
    while (stack.length > 0) {
      const x = stack.pop()!
      for (const y of this.adj[x]!) if (this.alive[y] && !seen.has(y)) {
        seen.add(y)
        stack.push(y)
      }
    }
    return seen
  }
}
