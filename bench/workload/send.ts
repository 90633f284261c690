/** Sending one raw tx over a node's JSON-RPC, with retries, and waiting for its receipt. */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { keccak256 } from 'ethereum-cryptography/keccak.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { rpcCall } from '../../src/rpc/client.ts'

/** Attempts per tx: a rejected tx leaves a nonce gap that stalls every later tx of its sender. */
export const SEND_ATTEMPTS = 4
const RETRY_DELAY_MS = 500

/**
 * A node briefly refuses txs while it is catching up ("not aware of the current chain height"); retry those.
 * "already in the TxPool" after a retry means an earlier attempt got through.
 */
export async function sendWithRetry(url: string, raw: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rpcCall<string>(url, 'eth_sendRawTransaction', [raw])
    } catch (err) {
      const msg = (err as Error).message
      if (/already in the TxPool|already known/i.test(msg)) return bytesToHex(keccakOfRaw(raw))
      if (attempt >= SEND_ATTEMPTS || /nonce too low|insufficient|invalid|could not be parsed/i.test(msg)) throw err
      await sleep(RETRY_DELAY_MS * attempt)
    }
  }
}

const keccakOfRaw = (raw: string): Uint8Array => keccak256(hexToBytes(raw as `0x${string}`))

export async function waitForReceipt(url: string, hash: string, timeoutMs: number): Promise<{ status: string; contractAddress: string | null }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await rpcCall<{ status: string; contractAddress: string | null } | null>(url, 'eth_getTransactionReceipt', [hash]).catch(() => null)
    if (r !== null) return r
    if (Date.now() > deadline) throw new Error(`tx ${hash} not in a block after ${timeoutMs} ms`)
    await sleep(250)
  }
}
