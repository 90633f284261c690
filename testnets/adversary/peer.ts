/**
 * A raw devp2p peer for hostile tests: it dials a node on 127.0.0.1 with devp2p's own RLPx pieces (the `Peer` class:
 * ECIES auth/ack, framing, snappy), can stop after ECIES (no Hello), does Hello, optionally an eth/68 Status, and then
 * sends whatever it is told: RLP values or raw payload bytes under any eth/68 code, whole frames trickled byte by byte.
 * It never handles what the node sends beyond recording it, so it stays connected however the node behaves, and it
 * reports how the node ended the connection (the DISCONNECT reason, or a bare close).
 *
 * Stages: dialing -> ecies (auth/ack) -> hello (both Hellos) -> status (ours sent) -> closed. `closed` resolves once.
 */
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { ETH, Peer, pk2id } from '@ethereumjs/devp2p'
import type { Common } from '@ethereumjs/common'
import { RLP, type Input } from '@ethereumjs/rlp'
import { bigIntToBytes, hexToBytes, intToBytes, utf8ToBytes } from '@ethereumjs/util'
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js'
import * as snappy from 'snappyjs'
import { TEE_CAPABILITY, Tee } from '../../src/p2p/tee-capability.ts'
import { encodeTeeMessage, TEE_PROTOCOL_VERSION } from '../../src/propagation/tee/codec.ts'

/** eth/68 message codes sit after the 16 base-protocol codes when eth is the only shared capability. */
export const ETH_OFFSET = 16

export const DISCONNECT = {
  PROTOCOL_ERROR: 0x02,
  USELESS_PEER: 0x03,
  TOO_MANY_PEERS: 0x04,
  TIMEOUT: 0x0b,
  SUBPROTOCOL_ERROR: 0x10,
} as const

export interface AdversaryTarget {
  host: string
  port: number
  /** The node's devp2p id, 128 hex chars. */
  nodeId: string
  /** The node's chain (forkHash and chainId go into Status). */
  common: Common
}

export interface Closed {
  /** The DISCONNECT reason the node sent, if it sent one. */
  reason: number | undefined
  /** ms from the dial to the close. */
  afterMs: number
}

export interface StatusClaim {
  td: bigint
  bestHash: Uint8Array
  genesisHash: Uint8Array
}

/** The private parts of devp2p's Peer this peer drives. */
interface RawPeer {
  events: { on(ev: string, fn: (...a: unknown[]) => void): void; once(ev: string, fn: (...a: unknown[]) => void): void }
  _sendMessage(code: number, data: Uint8Array): boolean | undefined
  _sendHello(): void
  _handleHello(payload: unknown): void
  _socket: net.Socket
  _disconnectReason?: number
  _handshakeTimeoutId?: NodeJS.Timeout
  _eciesSession: { createBlockHeader(n: number): Uint8Array | undefined }
  getProtocols(): { _statusTimeoutId?: NodeJS.Timeout; _handleMessage(code: number, data: Uint8Array): void }[]
}

export class AdversaryPeer {
  /** What the node sent, per subprotocol (tee: codes within tee/1); the caller empties it on long connections. */
  readonly received: { code: number; payload: Uint8Array; proto: 'eth' | 'tee' }[] = []
  readonly closed: Promise<Closed>
  private readonly raw: RawPeer
  private readonly started = Date.now()
  private helloDone: Promise<void>

  private constructor(socket: net.Socket, target: AdversaryTarget, o: { hello: boolean; tee: boolean }) {
    const privateKey = randomBytes(32)
    const peer = new Peer({
      socket,
      remoteId: hexToBytes(`0x${target.nodeId}`),
      privateKey,
      id: pk2id(secp256k1.getPublicKey(privateKey, false)),
      timeout: 60_000,
      clientId: utf8ToBytes('teecast-adversary'),
      // With tee/1 as well, the peer looks like an unattested tee/1 leaf (it sends an empty quote).
      capabilities: o.tee ? [ETH.eth68, TEE_CAPABILITY as never] : [ETH.eth68],
      common: target.common,
      port: 0,
    })
    this.raw = peer as unknown as RawPeer
    // Our own side must not time the node out (devp2p patch 004 arms a handshake timer on both ends).
    clearTimeout(this.raw._handshakeTimeoutId)
    if (!o.hello) {
      // Neither send Hello nor take the node's: our side then never starts eth (whose Status timer would close us).
      this.raw._sendHello = () => undefined
      this.raw._handleHello = () => undefined
    }
    this.raw.events.on('error', () => undefined)
    this.closed = new Promise((resolve) =>
      socket.once('close', () => resolve({ reason: this.raw._disconnectReason, afterMs: Date.now() - this.started })))
    this.helloDone = new Promise((resolve, reject) => {
      this.raw.events.once('connect', () => {
        // Record eth traffic instead of handling it, and never time the node out for its Status.
        for (const p of this.raw.getProtocols()) {
          clearTimeout(p._statusTimeoutId)
          const proto = p instanceof Tee ? 'tee' : 'eth'
          p._handleMessage = (code, payload) => void this.received.push({ code, payload, proto })
        }
        resolve()
      })
      void this.closed.then((c) => reject(new Error(`node closed the connection before Hello (reason ${c.reason ?? 'none'})`)))
    })
    this.helloDone.catch(() => undefined)
  }

  /**
   * Dials the node and finishes ECIES; with `hello` (default) waits for both Hellos as well. `tee`: offer tee/1 too
   * (the node must run tee propagation for it to be shared).
   */
  static async connect(target: AdversaryTarget, o: { hello?: boolean; tee?: boolean } = {}): Promise<AdversaryPeer> {
    const socket = await dial(target.host, target.port)
    const p = new AdversaryPeer(socket, target, { hello: o.hello ?? true, tee: o.tee ?? false })
    if (o.hello ?? true) await p.helloDone
    return p
  }

  get isClosed(): boolean {
    return this.raw._socket.destroyed
  }

  /** Sends an eth/68 Status with whatever td and head it is told to claim. */
  status(target: AdversaryTarget, claim: StatusClaim): void {
    const c = target.common
    const hf = c.hardfork()
    const forkHash = hexToBytes(c.forkHash(hf) as `0x${string}`)
    const next = c.nextHardforkBlockOrTimestamp(hf) ?? 0n
    this.sendEth(0x00, [intToBytes(68), bigIntToBytes(c.chainId()), bigIntToBytes(claim.td), claim.bestHash, claim.genesisHash, [forkHash, next === 0n ? new Uint8Array() : bigIntToBytes(next)]])
  }

  /** Sends an RLP value under eth/68 code `code` (snappy-compressed, as the node's Hello asks). */
  sendEth(code: number, value: Input): void {
    this.sendEthBytes(code, RLP.encode(value))
  }

  /** Sends raw payload bytes (RLP or not) under eth/68 code `code`. */
  sendEthBytes(code: number, payload: Uint8Array): void {
    if (this.raw._sendMessage(ETH_OFFSET + code, snappy.compress(payload)) !== true) throw new Error(`could not send eth code ${code}: connection closed`)
  }

  /** The tee/1 hello of an unattested leaf: Status without an enclave, then an empty quote. */
  teeHello(): void {
    const st = encodeTeeMessage({ t: 'status', version: TEE_PROTOCOL_VERSION, challenge: new Uint8Array(randomBytes(32)), hasEnclave: false })
    this.sendTee(st.code, st.payload)
    const at = encodeTeeMessage({ t: 'attest', quote: new Uint8Array() })
    this.sendTee(at.code, at.payload)
  }

  /** Sends a tee/1 message (code within tee/1, payload as the tee/1 codec encodes it); needs `connect({ tee: true })`. */
  sendTee(code: number, payload: Uint8Array): void {
    const tee = this.raw.getProtocols().find((p): p is never => p instanceof Tee) as Tee | undefined
    if (tee === undefined) throw new Error('tee/1 is not shared with this node (connect with { tee: true } to a tee node)')
    if (this.isClosed) throw new Error(`could not send tee code ${code}: connection closed`)
    tee.send(code, payload)
  }

  /** Sends an already-compressed payload as is (for snappy-level attacks). */
  sendEthCompressed(code: number, compressed: Uint8Array): void {
    if (this.raw._sendMessage(ETH_OFFSET + code, compressed) !== true) throw new Error(`could not send eth code ${code}: connection closed`)
  }

  /**
   * Announces a frame of `bodySize` bytes with a valid frame header, then trickles that many bytes (never a valid
   * body: the node must buffer it all before it can check the MAC) in `chunk`-byte pieces, one every `everyMs` ms,
   * until sent or until the node closes the connection. Resolves with the body bytes written.
   */
  async trickle(bodySize: number, chunk: number, everyMs: number): Promise<number> {
    const header = this.raw._eciesSession.createBlockHeader(bodySize)
    if (header === undefined) throw new Error('no ECIES session to frame with')
    this.raw._socket.write(header)
    const piece = new Uint8Array(chunk).fill(0x80)
    const total = Math.ceil(bodySize / 16) * 16 + 16
    let sent = 0
    while (sent < total && !this.isClosed) {
      this.raw._socket.write(piece.subarray(0, Math.min(chunk, total - sent)))
      sent += Math.min(chunk, total - sent)
      await new Promise((r) => setTimeout(r, everyMs))
    }
    return sent
  }

  /** Stops reading from the node: whatever it sends from now on piles up in its own send buffer. */
  stopReading(): void {
    this.raw._socket.pause()
  }

  /** Reads again (a paused socket does not notice that the node closed it). */
  resumeReading(): void {
    this.raw._socket.resume()
  }

  destroy(): void {
    this.raw._socket.destroy()
  }
}

/** A TCP connection to the node that never says anything. */
export function dial(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => {
      s.off('error', reject)
      s.on('error', () => undefined)
      resolve(s)
    })
    s.once('error', reject)
  })
}

/** Reads a DISCONNECT reason name for messages. */
export const reasonName = (r: number | undefined): string =>
  r === undefined ? 'no DISCONNECT (socket closed)' : (Object.entries(DISCONNECT).find(([, v]) => v === r)?.[0] ?? `reason 0x${r.toString(16)}`)
