/**
 * A chaos run on a running testnet: the transfer workload, with the faults of plan.ts injected on schedule into the
 * real node processes and links, each with the times it started and ended. Then it checks what a user must be
 * able to trust: every tx the RPC accepted is committed, every node ends on one head, a restarted node kept its
 * chain on disk and caught up, and (tee) what the relays did meanwhile.
 */
import type { TestnetDescription, TestnetNode } from '../../testnets/description.ts'
import { writeTestnet } from '../../testnets/description.ts'
import { isAlive, startNodeProcess } from '../../testnets/launcher.ts'
import { linkFaultsFile, writeLinkFaults, type LinkFault } from '../../src/shared/linkemu/faults.ts'
import { runTransferWorkload } from '../workload/workload.ts'
import { rpcCall } from '../../src/rpc/client.ts'
import type { TeeStatus } from '../../src/rpc/teecast.ts'
import type { PlannedFault } from './plan.ts'

export interface FaultOutcome {
  kind: PlannedFault['kind']
  /** What was hit: a node, the two halves, a link. */
  target: string
  /** Seconds since the workload started. */
  startedAtSec: number
  endedAtSec: number
  /** From the end of the fault until every node was on one head again (seconds), or null if that never happened. */
  healedInSec: number | null
  /** A restarted node: its head right after the restart (from its own disk) and the head before the kill. */
  restart?: {
    headBefore: number
    headAfterRestart: number
    kept: boolean
    /** From the restart until its RPC answered (process start, LevelDB open). */
    answeredInSec: number | null
    /** From the restart until its head reached the others' head at the time it answered. */
    caughtUpInSec: number | null
    caughtUpInPeriods: number | null
  }
  note?: string
}

export interface ChaosResult {
  accepted: number
  committed: number
  lost: number
  rejected: number
  headsEqual: boolean
  finalHead: number
  faults: FaultOutcome[]
  /** tee: relay counters summed over the nodes, run end minus run start; plans = distinct epochs seen. */
  tee?: { plans: number; floodFallbacks: number; repaired: number; pulls: number; planPushes: number }
}

export interface ChaosOptions {
  dir: string
  count: number
  rate: number
  inclusionTimeoutMs: number
  onProgress?: (msg: string) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function headOf(n: TestnetNode): Promise<{ number: number; hash: string } | undefined> {
  try {
    const b = await rpcCall<{ number: string; hash: string }>(n.rpcUrl, 'eth_getBlockByNumber', ['latest', false], 2_000)
    return { number: Number(b.number), hash: b.hash }
  } catch {
    return undefined
  }
}

/** Polls until every live node reports the same head hash; seconds it took, or null after `timeoutMs`. */
async function timeToOneHead(nodes: TestnetNode[], timeoutMs: number): Promise<number | null> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    const hs = await Promise.all(nodes.map(headOf))
    if (hs.every((h) => h !== undefined && h.hash === hs[0]!.hash)) return (Date.now() - t0) / 1000
    await sleep(250)
  }
  return null
}

async function teeTotals(d: TestnetDescription): Promise<{ epochs: Set<number>; counters: Record<string, number> }> {
  const epochs = new Set<number>()
  const counters: Record<string, number> = {}
  for (const n of d.nodes.filter((x) => x.propagation === 'tee')) {
    try {
      const s = await rpcCall<TeeStatus>(n.rpcUrl, 'teecast_teeStatus', [], 2_000)
      if (s.epoch !== null) epochs.add(s.epoch)
      for (const [k, v] of Object.entries(s.counters)) counters[k] = (counters[k] ?? 0) + v
    } catch {
      // A node that is down right now counts nothing.
    }
  }
  return { epochs, counters }
}

export async function runChaos(d: TestnetDescription, plan: PlannedFault[], o: ChaosOptions): Promise<ChaosResult> {
  const log = o.onProgress ?? (() => undefined)
  const byName = new Map(d.nodes.map((n) => [n.name, n]))
  const faultsPath = linkFaultsFile(o.dir)
  writeLinkFaults(faultsPath, { version: 1, links: {} })
  const killed = new Set(plan.filter((f) => f.kind === 'kill').map((f) => (f as { node: string }).node))
  // Txs go to nodes that are never killed on purpose; a coordinator that gets killed is chosen at run time, so the
  // workload retries on another node when its target does not answer.
  const targets = d.nodes.filter((n) => !killed.has(n.name))
  const teeBefore = await teeTotals(d)
  const epochsSeen = new Set(teeBefore.epochs)
  const t0 = Date.now()
  const sinceStart = (): number => (Date.now() - t0) / 1000
  const outcomes: FaultOutcome[] = []

  const restart = async (n: TestnetNode, headBefore: number): Promise<FaultOutcome['restart']> => {
    n.pid = await startNodeProcess(o.dir, n)
    writeTestnet(o.dir, d)
    const restartedAt = Date.now()
    let first: number | undefined
    for (let i = 0; i < 240 && first === undefined; i++) {
      first = (await headOf(n))?.number
      if (first === undefined) await sleep(250)
    }
    const headAfterRestart = first ?? -1
    const answeredInSec = first === undefined ? null : (Date.now() - restartedAt) / 1000
    // Caught up: its head has reached the highest head the others had when it came back.
    const others = d.nodes.filter((x) => x !== n && x.pid !== null && isAlive(x.pid))
    const target = Math.max(...(await Promise.all(others.map(headOf))).map((h) => h?.number ?? 0))
    let caughtUpInSec: number | null = null
    for (let i = 0; i < 480; i++) {
      const h = await headOf(n)
      if (h !== undefined && h.number >= target) {
        caughtUpInSec = (Date.now() - restartedAt) / 1000
        break
      }
      await sleep(250)
    }
    return { headBefore, headAfterRestart, kept: headAfterRestart >= Math.max(0, headBefore - 1), answeredInSec, caughtUpInSec, caughtUpInPeriods: caughtUpInSec === null ? null : caughtUpInSec / d.period }
  }

  const killAndRestart = async (n: TestnetNode, kind: 'kill' | 'coordinator', downMs: number, atSec: number, note?: string): Promise<void> => {
    const headBefore = (await headOf(n))?.number ?? 0
    if (n.pid !== null && isAlive(n.pid)) process.kill(n.pid, 'SIGKILL')
    log(`[${atSec.toFixed(1)} s] ${kind}: SIGKILL ${n.name} (pid ${n.pid}, head ${headBefore})`)
    n.pid = null
    writeTestnet(o.dir, d)
    await sleep(downMs)
    const endedAtSec = sinceStart()
    log(`[${endedAtSec.toFixed(1)} s] ${kind}: restarting ${n.name} from its data`)
    const r = await restart(n, headBefore)
    const healedInSec = await timeToOneHead(d.nodes, 60_000)
    outcomes.push({ kind, target: n.name, startedAtSec: atSec, endedAtSec, healedInSec, restart: r, ...(note !== undefined ? { note } : {}) })
  }

  const setLinks = (links: Record<string, LinkFault>): void => writeLinkFaults(faultsPath, { version: 1, links })

  const injector = (async () => {
    for (const f of plan) {
      const wait = t0 + f.atMs - Date.now()
      if (wait > 0) await sleep(wait)
      const at = sinceStart()
      switch (f.kind) {
        case 'kill':
          await killAndRestart(byName.get(f.node)!, 'kill', f.downMs, at)
          break
        case 'coordinator': {
          // Wait for the next plan, then kill the node that made it.
          const deadline = Date.now() + 120_000
          let coordinator: TestnetNode | undefined
          let epoch: number | null = null
          while (coordinator === undefined && Date.now() < deadline) {
            const s = await rpcCall<TeeStatus>(targets[0]!.rpcUrl, 'teecast_teeStatus', [], 2_000).catch(() => undefined)
            if (s !== undefined && s.epoch !== null && !epochsSeen.has(s.epoch) && s.coordinator !== null) {
              epoch = s.epoch
              coordinator = d.nodes.find((n) => n.nodeId === s.coordinator)
            }
            if (s?.epoch !== null && s?.epoch !== undefined) epochsSeen.add(s.epoch)
            if (coordinator === undefined) await sleep(200)
          }
          if (coordinator === undefined) {
            outcomes.push({ kind: 'coordinator', target: '-', startedAtSec: at, endedAtSec: sinceStart(), healedInSec: null, note: 'no new plan within 120 s' })
            break
          }
          await killAndRestart(coordinator, 'coordinator', f.downMs, sinceStart(), `coordinator of epoch ${epoch}${coordinator.signerKey !== undefined ? ' (a Clique signer)' : ''}`)
          break
        }
        case 'partition': {
          setLinks(Object.fromEntries(f.links.map((k) => [k, { cut: true }])))
          log(`[${at.toFixed(1)} s] partition: ${f.sides[0].join(',')} | ${f.sides[1].join(',')} (${f.links.length} links cut)`)
          await sleep(f.downMs)
          setLinks({})
          const endedAtSec = sinceStart()
          log(`[${endedAtSec.toFixed(1)} s] partition healed`)
          const healedInSec = await timeToOneHead(d.nodes, 60_000)
          outcomes.push({ kind: 'partition', target: `${f.sides[0].join(',')} | ${f.sides[1].join(',')}`, startedAtSec: at, endedAtSec, healedInSec })
          break
        }
        case 'slow': {
          setLinks({ [f.link]: { delay: f.delay, loss: f.loss } })
          log(`[${at.toFixed(1)} s] slow link ${f.between.join('-')}: ${f.delay}, ${f.loss} loss`)
          await sleep(f.downMs)
          setLinks({})
          const endedAtSec = sinceStart()
          const healedInSec = await timeToOneHead(d.nodes, 60_000)
          outcomes.push({ kind: 'slow', target: `${f.between.join('-')} (${f.delay}, ${f.loss})`, startedAtSec: at, endedAtSec, healedInSec })
          break
        }
      }
    }
  })()

  const r = await runTransferWorkload(d, { count: o.count, rate: o.rate, targets, inclusionTimeoutMs: o.inclusionTimeoutMs, onProgress: log })
  await injector
  setLinks({})
  const healed = await timeToOneHead(d.nodes, 60_000)
  const heads = await Promise.all(d.nodes.map(headOf))
  const teeAfter = await teeTotals(d)
  const diff = (k: string): number => (teeAfter.counters[k] ?? 0) - (teeBefore.counters[k] ?? 0)
  for (const e of teeAfter.epochs) epochsSeen.add(e)
  const anyTee = d.nodes.some((n) => n.propagation === 'tee')
  return {
    accepted: r.sent.length,
    committed: r.committed,
    lost: r.sent.length - r.committed,
    rejected: r.rejected.length,
    headsEqual: healed !== null,
    finalHead: heads[0]?.number ?? -1,
    faults: outcomes,
    ...(anyTee
      ? { tee: { plans: [...epochsSeen].filter((e) => !teeBefore.epochs.has(e)).length, floodFallbacks: diff('floodFallbacks'), repaired: diff('repaired'), pulls: diff('pulls'), planPushes: diff('planPushes') } }
      : {}),
  }
}
