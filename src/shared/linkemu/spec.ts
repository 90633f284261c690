/**
 * Link parameters for the user-space link emulator (the kernel here has no netem): one-way delay with jitter, a
 * rate limit and a loss rate. Parsed from the units people write: `50ms`, `1.5s`, `20mbit`, `512kbit`, `0.5%`.
 */

export interface LinkSpec {
  /** One-way delay, ms. */
  delayMs: number
  /** Uniform jitter added to the delay, ms in [0, jitterMs]; order is preserved. */
  jitterMs: number
  /** Bits per second; Infinity = unlimited. */
  rateBps: number
  /** Probability that a segment is lost and has to be retransmitted, in [0, 1). */
  loss: number
  /**
   * Per-link specs that replace this one, keyed by the two ends' devp2p ports, lower first: "30600-30603" (every node
   * of a local testnet has its own port). Set from a topology file (testnets/topology-file.ts); absent = one spec for
   * every link.
   */
  perLink?: Record<string, LinkSpec>
}

/** Link values as written: "50ms", "20mbit", "0.5%". */
export interface LinkSpecInput {
  delay?: string
  jitter?: string
  rate?: string
  loss?: string
}

/** As stored in testnet.json: the default values plus per-link ones keyed by port pair (see LinkSpec.perLink). */
export interface LinkSpecFile extends LinkSpecInput {
  perLink?: Record<string, LinkSpecInput>
}

/** The perLink key of the link between two devp2p ports. */
export const portPairKey = (a: number, b: number): string => `${Math.min(a, b)}-${Math.max(a, b)}`

/** The spec of the link between `ownPort` and `peerPort`: its per-link entry, else the default. */
export function specForLink(spec: LinkSpec, ownPort: number, peerPort: number): LinkSpec {
  return spec.perLink?.[portPairKey(ownPort, peerPort)] ?? spec
}

export const UNLIMITED: LinkSpec = { delayMs: 0, jitterMs: 0, rateBps: Infinity, loss: 0 }

export class LinkSpecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LinkSpecError'
  }
}

const num = (s: string, what: string): number => {
  const v = Number(s)
  if (s.trim() === '' || !Number.isFinite(v) || v < 0) throw new LinkSpecError(`${what}: "${s}" is not a non-negative number`)
  return v
}

/** "50ms", "1.5s", "0" -> milliseconds. */
export function parseDuration(s: string, what = 'delay'): number {
  const m = /^\s*([0-9.]+)\s*(ms|s|us)?\s*$/.exec(s)
  if (m === null) throw new LinkSpecError(`${what}: "${s}" is not a duration like 50ms or 1.5s`)
  const v = num(m[1]!, what)
  return m[2] === 's' ? v * 1000 : m[2] === 'us' ? v / 1000 : v
}

/** "20mbit", "512kbit", "1gbit", "100bit" -> bits per second. */
export function parseRate(s: string): number {
  const m = /^\s*([0-9.]+)\s*(gbit|mbit|kbit|bit)\s*$/i.exec(s)
  if (m === null) throw new LinkSpecError(`rate: "${s}" is not a rate like 20mbit or 512kbit`)
  const v = num(m[1]!, 'rate')
  if (v === 0) throw new LinkSpecError('rate: must be above 0 (leave it out for an unlimited link)')
  const unit = m[2]!.toLowerCase()
  return v * (unit === 'gbit' ? 1e9 : unit === 'mbit' ? 1e6 : unit === 'kbit' ? 1e3 : 1)
}

/** "0.5%" -> 0.005. */
export function parseLoss(s: string): number {
  const m = /^\s*([0-9.]+)\s*%\s*$/.exec(s)
  if (m === null) throw new LinkSpecError(`loss: "${s}" is not a percentage like 0.5%`)
  const v = num(m[1]!, 'loss') / 100
  if (v >= 1) throw new LinkSpecError(`loss: "${s}" must be below 100%`)
  return v
}

export function parseLinkSpec(o: LinkSpecFile): LinkSpec {
  const base = parseOne(o)
  if (o.perLink === undefined) return base
  const perLink: Record<string, LinkSpec> = {}
  for (const [k, v] of Object.entries(o.perLink)) {
    if (!/^\d+-\d+$/.test(k)) throw new LinkSpecError(`perLink: "${k}" is not a port pair like 30600-30603`)
    try {
      perLink[k] = parseOne(v)
    } catch (err) {
      throw new LinkSpecError(`perLink ${k}: ${(err as Error).message}`)
    }
  }
  return { ...base, perLink }
}

function parseOne(o: LinkSpecInput): LinkSpec {
  return {
    delayMs: o.delay !== undefined ? parseDuration(o.delay) : 0,
    jitterMs: o.jitter !== undefined ? parseDuration(o.jitter, 'jitter') : 0,
    rateBps: o.rate !== undefined ? parseRate(o.rate) : Infinity,
    loss: o.loss !== undefined ? parseLoss(o.loss) : 0,
  }
}
