/**
 * The one shape of a propagation core, for every mode (stock, geth, flood over eth/68; tee over tee/1).
 *
 * A core is sans-IO, as quinn-proto and go-ethereum's tx fetcher are: events go in with the current time `now`
 * (ms, never decreasing), actions come out, and `nextTimeout()` says when the driver must call `onTimeout`. The
 * core never reads a clock, never schedules a timer and never touches a socket, the client or the disk. The node's
 * devp2p driver, the simulator and the tests run the same core; only the drivers differ.
 *
 * Inputs:
 * - `onLocal`: an item that starts here (a tx submitted over RPC, a block this node sealed). Published at its
 *   origin, once; nothing loops back through the pool.
 * - `onMessage`: a decoded wire message from a peer.
 * - `onPoolResult`: the verdict of the pool (or chain) on an item the core handed over with a `deliver`-like
 *   action, so that a core can forward only what was checked.
 * - `onPeerUp` / `onPeerDown`: session changes.
 * - `onTimeout`: the deadline given by `nextTimeout()` has passed.
 *
 * Outputs are plain data actions, tagged by `t`. A driver interprets them with `runActions` and one handler per
 * tag, so the compiler checks that every kind of action is handled.
 */
import type { Hex, Origin, PeerId } from './interface.ts'

export interface PropagationCore<Msg, Action extends { t: string }, Local, PeerInfo> {
  onLocal(item: Local, now: number): Action[]
  onMessage(from: PeerId, msg: Msg, now: number): Action[]
  onPoolResult(id: Hex, accepted: boolean, from: Origin, now: number): Action[]
  onPeerUp(peer: PeerId, info: PeerInfo, now: number): Action[]
  onPeerDown(peer: PeerId, now: number): Action[]
  onTimeout(now: number): Action[]
  /** The earliest time (ms) at which `onTimeout` has work to do; undefined when nothing is scheduled. */
  nextTimeout(): number | undefined
}

/** One handler per action tag: a missing handler is a type error. */
export type ActionHandlers<A extends { t: string }> = { [K in A['t']]: (action: Extract<A, { t: K }>) => void }

/** Runs actions in order, each by the handler of its tag. */
export function runActions<A extends { t: string }>(actions: readonly A[], handlers: ActionHandlers<A>): void {
  for (const a of actions) {
    const h = (handlers as unknown as Record<string, ((action: A) => void) | undefined>)[a.t]
    if (h === undefined) throw new Error(`no handler for action "${a.t}"`)
    h(a)
  }
}
