/**
 * A junk leaf: a hostile peer that keeps connecting to honest nodes for as long as it runs and feeds each connection
 * junk and forged items, one message every `everyMs`, until the node disconnects it (or `connectionMs` passes); then
 * it dials the next target with a fresh node key. Each connection does Hello and eth/68 Status, and with `tee` also
 * the tee/1 hello as an unattested leaf (empty quote). What it sends, in rotation:
 *
 * - tee: TxItems (flood mode) whose payload does not decode; TxItems carrying a signed tx of an unfunded key
 *   (well-formed, forged: no one can pay for it); TxItems carrying a tx whose signature is random bytes; Digests of
 *   random short ids (pulls that no one can answer). tee/1 sends no item ids (the receiver hashes the payload), so an
 *   item cannot claim another tx's id on the wire.
 * - eth/68: the same three txs in Transactions, and NewPooledTransactionHashes of random hashes.
 *
 * Stats say how each connection ended (the node's DISCONNECT reason, and which junk came last before it).
 */
import { randomBytes } from 'node:crypto'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { RLP } from '@ethereumjs/rlp'
import { encodeTeeMessage } from '../../src/propagation/tee/codec.ts'
import { ORIGIN_UNKNOWN } from '../../src/propagation/tee/messages.ts'
import { SHORT_ID_BYTES } from '../../src/propagation/tee/constants.ts'
import { AdversaryPeer, reasonName, type AdversaryTarget } from './peer.ts'
import { announcement, randomHash } from './payloads.ts'

export const TEE_JUNK = ['undecodable-tx', 'unfunded-tx', 'bad-signature-tx', 'junk-digest'] as const
export const ETH_JUNK = ['undecodable-tx', 'unfunded-tx', 'bad-signature-tx', 'junk-announcement'] as const
export type JunkKind = (typeof TEE_JUNK)[number] | (typeof ETH_JUNK)[number]

export interface JunkLeafOptions {
  /** tee: speak tee/1 as an unattested leaf; eth: eth/68 only. */
  protocol: 'tee' | 'eth'
  /** Honest nodes, dialled in turn starting at `first`. */
  targets: AdversaryTarget[]
  first?: number
  genesisHash: Uint8Array
  genesisTd: bigint
  /** tee: the epoch to put in TxItems (the network's current one). */
  epoch?: () => number
  /** Between two junk messages on a connection, ms. */
  everyMs?: number
  /** Longest a connection is kept if the node does not drop it, ms. */
  connectionMs?: number
  /** Before the next dial, ms. */
  pauseMs?: number
}

export interface JunkLeafStats {
  connections: number
  /** Dials that did not get through Hello (refused, closed early). */
  failedDials: number
  /** Connections the node closed, by its DISCONNECT reason. */
  disconnectedBy: Record<string, number>
  /** Connections the node closed, by the junk sent last before it. */
  disconnectedAfter: Partial<Record<JunkKind, number>>
  /** Connections still open after connectionMs (closed by the leaf). */
  notDisconnected: number
  /** Junk messages sent, by kind. */
  sent: Partial<Record<JunkKind, number>>
  /** ms from the first junk message to the node's disconnect, per disconnected connection. */
  disconnectAfterMs: number[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class JunkLeaf {
  readonly stats: JunkLeafStats = { connections: 0, failedDials: 0, disconnectedBy: {}, disconnectedAfter: {}, notDisconnected: 0, sent: {}, disconnectAfterMs: [] }
  private stopped = false
  private running: Promise<void> | undefined
  private current: AdversaryPeer | undefined
  private next: number
  private kind = 0

  constructor(private readonly o: JunkLeafOptions) {
    if (o.targets.length === 0) throw new Error('a junk leaf needs at least one target')
    this.next = o.first ?? 0
  }

  start(): void {
    this.running ??= this.loop()
  }

  /** Stops after the current message; resolves with the stats once the connection is closed. */
  async stop(): Promise<JunkLeafStats> {
    this.stopped = true
    this.current?.destroy()
    await this.running
    return this.stats
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const target = this.o.targets[this.next++ % this.o.targets.length]!
      try {
        await this.connection(target)
      } catch {
        this.stats.failedDials++
      }
      if (!this.stopped) await sleep(this.o.pauseMs ?? 500)
    }
  }

  private async connection(target: AdversaryTarget): Promise<void> {
    const p = await AdversaryPeer.connect(target, { tee: this.o.protocol === 'tee' })
    this.current = p
    this.stats.connections++
    try {
      p.status(target, { td: this.o.genesisTd, bestHash: this.o.genesisHash, genesisHash: this.o.genesisHash })
      if (this.o.protocol === 'tee') p.teeHello()
    } catch {
      // Closed during the handshake: counted below as a disconnect before any junk.
    }
    // Let both hellos finish before the junk, so that the node judges the junk and not a half-open session.
    await Promise.race([p.closed, sleep(500)])
    const kinds = this.o.protocol === 'tee' ? TEE_JUNK : ETH_JUNK
    const until = Date.now() + (this.o.connectionMs ?? 8_000)
    let last: JunkKind | undefined
    let firstAt: number | undefined
    while (!p.isClosed && !this.stopped && Date.now() < until) {
      const k = kinds[this.kind++ % kinds.length]!
      try {
        this.sendJunk(p, target, k)
        last = k
        firstAt ??= Date.now()
        this.stats.sent[k] = (this.stats.sent[k] ?? 0) + 1
      } catch {
        break
      }
      p.received.length = 0
      await Promise.race([p.closed, sleep(this.o.everyMs ?? 300)])
    }
    if (p.isClosed && !this.stopped) {
      const c = await p.closed
      const r = reasonName(c.reason)
      this.stats.disconnectedBy[r] = (this.stats.disconnectedBy[r] ?? 0) + 1
      if (last !== undefined) {
        this.stats.disconnectedAfter[last] = (this.stats.disconnectedAfter[last] ?? 0) + 1
        this.stats.disconnectAfterMs.push(Date.now() - firstAt!)
      }
    } else {
      if (!this.stopped) this.stats.notDisconnected++
      p.destroy()
    }
    this.current = undefined
  }

  private tee(p: AdversaryPeer, m: { code: number; payload: Uint8Array }): void {
    p.sendTee(m.code, m.payload)
  }

  private sendJunk(p: AdversaryPeer, target: AdversaryTarget, k: JunkKind): void {
    const txBytes = (): Uint8Array => {
      if (k === 'undecodable-tx') return Uint8Array.from([0x02, ...randomBytes(96)])
      if (k === 'unfunded-tx') return unfundedTx(target)
      return badSignatureTx(target)
    }
    if (this.o.protocol === 'tee') {
      if (k === 'junk-digest') {
        this.tee(p, encodeTeeMessage({ t: 'digest', ids: Array.from({ length: 64 }, () => new Uint8Array(randomBytes(SHORT_ID_BYTES))) }))
        return
      }
      const payload = txBytes()
      // The id is not sent (the receiver hashes the payload); the encoder wants one.
      const item = { kind: 'tx' as const, id: randomHash(), mode: 'flood' as const, origin: ORIGIN_UNKNOWN, payload }
      this.tee(p, encodeTeeMessage({ t: 'items', epoch: this.o.epoch?.() ?? 0, items: [item] }))
      return
    }
    if (k === 'junk-announcement') return p.sendEthBytes(0x08, announcement(64))
    p.sendEth(0x02, [txBytes()])
  }
}

/** A well-formed EIP-1559 transfer signed by a fresh key that holds nothing; `dataBytes` of calldata. */
export function unfundedTx(target: AdversaryTarget, dataBytes = 0): Uint8Array {
  const data = new Uint8Array(randomBytes(dataBytes))
  const tx = createFeeMarket1559Tx(
    { chainId: target.common.chainId(), nonce: 0n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gasLimit: 21_000n + 16n * BigInt(dataBytes), to: randomHash().subarray(0, 20), value: 1n, data },
    { common: target.common },
  )
  return tx.sign(new Uint8Array(randomBytes(32))).serialize()
}

/** An unfunded transfer whose r and s are replaced by random bytes (s kept below n/2, so it still decodes). */
function badSignatureTx(target: AdversaryTarget): Uint8Array {
  const raw = unfundedTx(target)
  const fields = RLP.decode(raw.subarray(1)) as Uint8Array[]
  fields[fields.length - 2] = randomHash()
  const s = randomHash()
  s[0] = s[0]! & 0x7f
  fields[fields.length - 1] = s
  return Uint8Array.from([raw[0]!, ...RLP.encode(fields)])
}
