/** The storage counter that the workload's contract calls go to, and its deployment before a run. */
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { TestnetDescription } from '../../testnets/description.ts'
import { commonOf, MAX_FEE, pendingNonces, TIP, type Account } from './tx-factory.ts'
import { sendWithRetry, waitForReceipt } from './send.ts'

/**
 * A storage counter: runtime `PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE STOP` (every call adds 1 to slot 0), behind
 * init code that copies those 10 bytes and returns them.
 */
export const COUNTER_RUNTIME = '0x60005460010160005500'
export const COUNTER_INITCODE = `0x600a600c600039600a6000f3${COUNTER_RUNTIME.slice(2)}`
const DEPLOY_GAS = 200_000n

/** Deploys the storage counter from `from` and waits for its receipt; returns its address. */
export async function deployCounter(d: TestnetDescription, url: string, from: Account, timeoutMs = 60_000): Promise<string> {
  const [nonce] = await pendingNonces(url, [from])
  const tx = createFeeMarket1559Tx({ chainId: BigInt(d.chainId), nonce: nonce!, maxPriorityFeePerGas: TIP, maxFeePerGas: MAX_FEE, gasLimit: DEPLOY_GAS, data: hexToBytes(COUNTER_INITCODE as `0x${string}`) }, { common: commonOf(d) }).sign(from.key)
  const hash = await sendWithRetry(url, bytesToHex(tx.serialize()))
  const r = await waitForReceipt(url, hash, timeoutMs)
  if (r.status !== '0x1' || r.contractAddress === null) throw new Error(`counter deployment ${hash} failed (status ${r.status})`)
  return r.contractAddress
}
