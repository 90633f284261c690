/**
 * The tee/1 devp2p capability. devp2p instantiates `Tee` per connection once both hellos list tee/1; the client's
 * RlpxPeer hands it to our adapter (patch client 008, `bindCapability`) instead of binding it as an eth-style
 * protocol. It deliberately does not extend devp2p's Protocol: that base class disconnects a peer whose STATUS
 * does not arrive in 5 s, while tee/1's hello runs on its own terms (src/p2p/tee-adapter.ts).
 */
import * as snappy from 'snappyjs'
import { TEE_CODE_COUNT, TEE_MESSAGE_NAMES, TEE_PROTOCOL_VERSION } from '../propagation/tee/codec.ts'

export type TeeFrameHandler = (code: number, payload: Uint8Array) => void

/** The RLPx session's socket, as the adapter uses it (paused to throttle a peer, read for liveness). */
export interface PeerSocket {
  pause(): void
  resume(): void
  destroyed: boolean
  on(e: 'data', f: () => void): unknown
  off(e: 'data', f: () => void): unknown
}

interface RlpxPeerLike {
  disconnect(reason?: number): void
  _hello: { protocolVersion: number } | null
  /** Not public in devp2p; a session without one (tests) is neither paused nor watched. */
  _socket?: PeerSocket
}

export class Tee {
  private handler: TeeFrameHandler | undefined
  private early: [number, Uint8Array][] = []

  constructor(
    readonly version: number,
    readonly peer: RlpxPeerLike,
    private readonly sendFrame: (code: number, payload: Uint8Array) => void,
  ) {}

  /** devp2p calls this with the code relative to tee/1's offset and the (snappy-decompressed) payload. */
  _handleMessage(code: number, payload: Uint8Array): void {
    if (this.handler === undefined) {
      // Frames can arrive before the client binds the peer; keep them (bounded: a hello is 2 frames).
      if (this.early.length < 64) this.early.push([code, payload])
      return
    }
    this.handler(code, payload)
  }

  /** Installs the handler and replays what arrived before it. */
  onFrame(handler: TeeFrameHandler): void {
    this.handler = handler
    const early = this.early
    this.early = []
    for (const [c, p] of early) handler(c, p)
  }

  /** Subprotocols compress their own payloads on RLPx v5 (devp2p decompresses every received one). */
  send(code: number, payload: Uint8Array): void {
    const v5 = this.peer._hello !== null && this.peer._hello.protocolVersion >= 5
    this.sendFrame(code, v5 ? snappy.compress(payload) : payload)
  }

  getVersion(): number {
    return this.version
  }

  /** For the wire counters (message-names.ts). */
  messageName(code: number): string | undefined {
    return TEE_MESSAGE_NAMES[code]
  }
}

/** The entry for devp2p's capability list (config.teecast.capabilities). */
export const TEE_CAPABILITY = { name: 'tee', version: TEE_PROTOCOL_VERSION, length: TEE_CODE_COUNT, constructor: Tee }
