/**
 * The devp2p attacks of the hostile-peer issue, each against one node: what it sends and what it saw the node do
 * (the outcome line). The campaign (campaign.ts) runs them against a real node process and measures around them;
 * the patch tests run single ones against an in-process node.
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToBytes, hexToBytes } from '@ethereumjs/util'
import type net from 'node:net'
import { AdversaryPeer, dial, reasonName, type AdversaryTarget } from './peer.ts'
import { announcement, bombRequest, deepList, emptyStringList, randomHash } from './payloads.ts'

export interface AttackContext {
  target: AdversaryTarget
  /** The node's genesis and head hashes (for Status and for requests naming a real block). */
  genesisHash: Uint8Array
  headHash: Uint8Array
  genesisTd: bigint
  /** The node's JSON-RPC URL (RPC attacks). */
  rpcUrl?: string
}

export type Attack = (c: AttackContext) => Promise<string>

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** How the node ended the attacker's connection, waiting at most `ms`. */
export async function outcome(p: AdversaryPeer, ms: number): Promise<string> {
  const c = await Promise.race([p.closed, sleep(ms).then(() => undefined)])
  if (c === undefined) {
    p.destroy()
    return `still connected after ${ms} ms`
  }
  return `disconnected after ${c.afterMs} ms: ${reasonName(c.reason)}`
}

export async function withStatus(c: AttackContext, td = c.genesisTd, bestHash = c.genesisHash): Promise<AdversaryPeer> {
  const p = await AdversaryPeer.connect(c.target)
  p.status(c.target, { td, bestHash, genesisHash: c.genesisHash })
  await sleep(200)
  return p
}

const bomb = (items: number): Attack => async (c) => {
  const p = await AdversaryPeer.connect(c.target)
  p.sendEthBytes(0x0b, emptyStringList(items))
  return outcome(p, 60_000)
}

const deep = (depth: number): Attack => async (c) => {
  const p = await AdversaryPeer.connect(c.target)
  p.sendEthBytes(0x0b, deepList(depth))
  return outcome(p, 60_000)
}

/** A GetBlockBodies-shaped bomb after Status (the decoder sees it as a request). */
const requestBomb = (items: number): Attack => async (c) => {
  const p = await withStatus(c)
  p.sendEthBytes(0x05, bombRequest(items))
  return outcome(p, 60_000)
}

const announce = (perMessage: number, messages: number): Attack => async (c) => {
  const p = await withStatus(c)
  for (let i = 0; i < messages && !p.isClosed; i++) p.sendEthBytes(0x08, announcement(perMessage))
  return outcome(p, 20_000)
}

/** GetBlockBodies naming one block `times` times; reports the bytes of the answer. */
const duplicateBodies = (times: number): Attack => async (c) => {
  const p = await withStatus(c)
  p.sendEth(0x05, [bigIntToBytes(7n), Array.from({ length: times }, () => c.headHash)])
  await sleep(3_000)
  const answer = p.received.filter((m) => m.code === 0x06)
  const bytes = answer.reduce((s, m) => s + m.payload.length, 0)
  const bodies = answer.reduce((s, m) => s + ((RLP.decode(m.payload) as unknown[][])[1]?.length ?? 0), 0)
  const end = await outcome(p, 1_000)
  return `answered ${answer.length} BlockBodies, ${bodies} bodies, ${bytes} bytes (request ${RLP.encode([7, Array.from({ length: times }, () => c.headHash)]).length} B); ${end}`
}

const headersAbsurd = (): Attack => async (c) => {
  const p = await withStatus(c)
  p.sendEth(0x03, [bigIntToBytes(8n), [new Uint8Array(), bigIntToBytes(1n << 20n), new Uint8Array(), new Uint8Array()]])
  await sleep(3_000)
  const answer = p.received.filter((m) => m.code === 0x04)
  const headers = answer.reduce((s, m) => s + ((RLP.decode(m.payload) as unknown[][])[1]?.length ?? 0), 0)
  return `answered ${answer.length} BlockHeaders with ${headers} headers; ${await outcome(p, 1_000)}`
}

/** GetBlockBodies whose hash list is a byte string. */
const bodiesAsBytes = (): Attack => async (c) => {
  const p = await withStatus(c)
  p.sendEth(0x05, [bigIntToBytes(9n), new Uint8Array(64).fill(1)])
  return outcome(p, 5_000)
}

const silentSockets = (n: number, waitMs: number): Attack => async (c) => {
  const t0 = Date.now()
  const closedAt: number[] = []
  const socks: net.Socket[] = await Promise.all(Array.from({ length: n }, async () => {
    const s = await dial(c.target.host, c.target.port)
    // Read, so that the node's close is seen when it happens.
    s.resume()
    s.once('close', () => closedAt.push(Date.now() - t0))
    return s
  }))
  await sleep(waitMs)
  const open = socks.filter((s) => !s.destroyed && !s.readableEnded).length
  for (const s of socks) s.destroy()
  return `${open} of ${n} silent sockets open after ${waitMs} ms${lastClose(closedAt)}`
}

/** When the node had closed the last of the sockets it closed (ms after they were dialled), as a phrase. */
export function lastClose(closedAt: readonly number[]): string {
  return closedAt.length === 0 ? '' : `, the node closed them within ${Math.max(...closedAt)} ms`
}

const noHello = (n: number, waitMs: number): Attack => async (c) => {
  const t0 = Date.now()
  const closedAt: number[] = []
  const ps = await Promise.all(Array.from({ length: n }, async () => {
    const p = await AdversaryPeer.connect(c.target, { hello: false })
    void p.closed.then(() => closedAt.push(Date.now() - t0))
    return p
  }))
  await sleep(waitMs)
  const open = ps.filter((p) => !p.isClosed).length
  for (const p of ps) p.destroy()
  return `${open} of ${n} ECIES-only peers (no Hello) open after ${waitMs} ms${lastClose(closedAt)}`
}

const noStatus = (waitMs: number): Attack => async (c) => {
  const p = await AdversaryPeer.connect(c.target)
  return outcome(p, waitMs)
}

/**
 * Claims td 2^64 with a head 2 blocks ahead, then repeats NewBlockHashes [[random, 2^64-1]] for `ms` and leaves;
 * the caller checks that the node takes txs again.
 */
const syncLie = (ms: number): Attack => async (c) => {
  const p = await withStatus(c, 1n << 64n, randomHash())
  const until = Date.now() + ms
  while (Date.now() < until && !p.isClosed) {
    p.sendEth(0x01, [[randomHash(), bigIntToBytes((1n << 64n) - 1n)]])
    await sleep(100)
  }
  const end = p.isClosed ? `disconnected: ${reasonName((await p.closed).reason)}` : 'still connected'
  p.destroy()
  return end
}

/** Two sessions trickling a 16 MiB frame in 1 KiB pieces for `ms`. */
const trickle = (ms: number): Attack => async (c) => {
  const ps = await Promise.all([withStatus(c), withStatus(c)])
  const sent = await Promise.race([Promise.all(ps.map((p) => p.trickle(16 * 1024 * 1024 - 64, 1024, 1))), sleep(ms).then(() => undefined)])
  // A whole frame sent: its MAC is wrong, so the node drops the session (DISCONNECT, then the socket within 7 s).
  if (sent !== undefined) await Promise.race([Promise.all(ps.map((p) => p.closed)), sleep(10_000)])
  const open = ps.filter((p) => !p.isClosed).length
  for (const p of ps) p.destroy()
  return `${sent === undefined ? `still trickling after ${ms} ms` : `sent ${sent.join(', ')} B`}; ${open} of 2 sessions open${sent !== undefined ? ' 10 s after the frame' : ''}`
}

/** Garbage NewBlock, invalid txs, an unsolicited response: well-formed RLP, hostile content. */
const hostileWellFormed = (): Attack => async (c) => {
  const p = await withStatus(c)
  p.sendEth(0x07, [[new Uint8Array(3), [], []], bigIntToBytes(5n)])
  return outcome(p, 5_000)
}

const invalidTxs = (): Attack => async (c) => {
  const p = await withStatus(c)
  p.sendEth(0x02, [hexToBytes('0x02c0'), [new Uint8Array(1)]])
  return outcome(p, 5_000)
}

const unsolicited = (): Attack => async (c) => {
  const p = await withStatus(c)
  p.sendEth(0x04, [bigIntToBytes(12345n), []])
  p.sendEth(0x0a, [bigIntToBytes(12346n), []])
  return outcome(p, 5_000)
}

export const ATTACKS: Record<string, Attack> = {
  'bomb-4m': bomb(4_000_000),
  'bomb-16m': bomb(16_000_000),
  'deep-100k': deep(100_000),
  'request-bomb-4m': requestBomb(4_000_000),
  'announce-10k-x7': announce(10_000, 7),
  'announce-200k': announce(200_000, 1),
  'bodies-dup-5777': duplicateBodies(5_777),
  'headers-1m': headersAbsurd(),
  'bodies-as-bytes': bodiesAsBytes(),
  'silent-100': silentSockets(100, 10_000),
  'no-hello-50': noHello(50, 10_000),
  'no-status': noStatus(10_000),
  'sync-lie': syncLie(5_000),
  'trickle-16m': trickle(20_000),
  'garbage-new-block': hostileWellFormed(),
  'invalid-txs': invalidTxs(),
  'unsolicited-responses': unsolicited(),
}

