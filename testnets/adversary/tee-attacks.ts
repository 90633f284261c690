/**
 * The tee/1 attacks of the hostile-peer issue, each from one unattested tee/1 leaf against a tee node: junk items,
 * big txs nobody can pay for, a GetBlockTxs that repeats one index, a flood of Digests of unknown ids, unsolicited
 * BlockTxs. Each returns what the attacker saw the node do; the campaign (bench/adversary/campaign.ts) measures the
 * node around it.
 */
import { randomBytes } from 'node:crypto'
import { encodeTeeMessage, TEE_CODES, type AnyTeeMessage } from '../../src/propagation/tee/codec.ts'
import { ORIGIN_UNKNOWN } from '../../src/propagation/tee/messages.ts'
import { MAX_IDS_PER_MESSAGE, SHORT_ID_BYTES } from '../../src/propagation/tee/constants.ts'
import { AdversaryPeer } from './peer.ts'
import { randomHash } from './payloads.ts'
import { unfundedTx } from './junk-leaf.ts'
import { outcome, sleep, type Attack, type AttackContext } from './attacks.ts'

/** A leaf with Hello, eth/68 Status and the tee/1 hello done. */
async function teeLeaf(c: AttackContext): Promise<AdversaryPeer> {
  const p = await AdversaryPeer.connect(c.target, { tee: true })
  p.status(c.target, { td: c.genesisTd, bestHash: c.genesisHash, genesisHash: c.genesisHash })
  p.teeHello()
  await Promise.race([p.closed, sleep(500)])
  return p
}

const send = (p: AdversaryPeer, m: AnyTeeMessage): void => {
  const e = encodeTeeMessage(m)
  p.sendTee(e.code, e.payload)
}

const txItems = (payloads: Uint8Array[]): AnyTeeMessage => ({
  t: 'items',
  epoch: 0,
  // The id is not sent (the receiver hashes the payload); the encoder wants one.
  items: payloads.map((payload) => ({ kind: 'tx' as const, id: randomHash(), mode: 'flood' as const, origin: ORIGIN_UNKNOWN, payload })),
})

const bytesFrom = (p: AdversaryPeer, code: number): number => p.received.filter((m) => m.proto === 'tee' && m.code === code).reduce((s, m) => s + m.payload.length, 0)

/** One flood-mode TxItems whose payload does not decode as a tx. */
const undecodableItem = (): Attack => async (c) => {
  const p = await teeLeaf(c)
  send(p, txItems([Uint8Array.from([0x02, ...randomBytes(96)])]))
  return outcome(p, 5_000)
}

/** `count` signed txs of ~`kb` KB each from fresh keys that hold nothing, in messages of 8. */
const unfundedBig = (count: number, kb: number): Attack => async (c) => {
  // Built before connecting: signing 25 MB in this process would compete with the node for the CPU meanwhile.
  const txs = Array.from({ length: count }, () => unfundedTx(c.target, kb * 1024))
  const p = await teeLeaf(c)
  let sent = 0
  for (let i = 0; i < count && !p.isClosed; i += 8) {
    const batch = txs.slice(i, i + 8)
    try {
      send(p, txItems(batch))
    } catch {
      break
    }
    sent += batch.length
    await sleep(20)
  }
  return `sent ${sent} of ${count} txs of ${kb} KB; ${await outcome(p, 5_000)}`
}

/** GetBlockTxs naming the head block with index 0 repeated `times` times; reports the bytes answered. */
const blockTxsRepeat = (times: number): Attack => async (c) => {
  const p = await teeLeaf(c)
  const m = encodeTeeMessage({ t: 'getBlockTxs', block: c.headHash, indexes: Array.from({ length: times }, () => 0) })
  p.sendTee(m.code, m.payload)
  await Promise.race([p.closed, sleep(3_000)])
  return `request ${m.payload.length} B, answered ${bytesFrom(p, TEE_CODES.blockTxs)} B; ${await outcome(p, 1_000)}`
}

/** Digests of `MAX_IDS_PER_MESSAGE` random ids every 100 ms for `ms`; reports the ids the node pulled. */
const digestFlood = (ms: number): Attack => async (c) => {
  const p = await teeLeaf(c)
  const until = Date.now() + ms
  let digests = 0
  while (Date.now() < until && !p.isClosed) {
    try {
      send(p, { t: 'digest', ids: Array.from({ length: MAX_IDS_PER_MESSAGE }, () => new Uint8Array(randomBytes(SHORT_ID_BYTES))) })
    } catch {
      break
    }
    digests++
    p.received.splice(0, p.received.length, ...p.received.filter((r) => r.code === TEE_CODES.pull))
    await sleep(100)
  }
  const pulled = p.received.filter((r) => r.proto === 'tee' && r.code === TEE_CODES.pull).reduce((s, r) => s + Math.floor(r.payload.length / SHORT_ID_BYTES), 0)
  return `${digests} digests of ${MAX_IDS_PER_MESSAGE} ids, ~${pulled} ids pulled; ${await outcome(p, 1_000)}`
}

/** BlockTxs nobody asked for (tolerated: a late answer is not hostile). */
const unsolicitedBlockTxs = (): Attack => async (c) => {
  const p = await teeLeaf(c)
  for (let i = 0; i < 20 && !p.isClosed; i++) send(p, { t: 'blockTxs', block: randomHash(), txs: [unfundedTx(c.target)] })
  return outcome(p, 3_000)
}

export const TEE_ATTACKS: Record<string, Attack> = {
  'tee-undecodable-item': undecodableItem(),
  'tee-unfunded-120k-x208': unfundedBig(208, 120),
  'tee-getblocktxs-repeat-16k': blockTxsRepeat(16_384),
  'tee-digest-flood-20s': digestFlood(20_000),
  'tee-unsolicited-blocktxs': unsolicitedBlockTxs(),
}
