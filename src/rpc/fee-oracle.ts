/**
 * eth_maxPriorityFeePerGas, after geth's gas price oracle: over the last ORACLE_BLOCKS blocks, take in each block
 * the ORACLE_SAMPLES lowest tips at or above ORACLE_IGNORE_WEI, and answer the ORACLE_PERCENTILE-th percentile of
 * them, capped at ORACLE_MAX_WEI. With no samples (an idle chain) the answer is the last one, initially
 * DEFAULT_TIP_WEI. Cached per head block.
 */
import type { Block } from '@ethereumjs/block'

export const ORACLE_BLOCKS = 20
export const ORACLE_SAMPLES = 3
export const ORACLE_PERCENTILE = 60
export const ORACLE_IGNORE_WEI = 2n
export const ORACLE_MAX_WEI = 500_000_000_000n
/** 1 gwei: what most wallets default to. */
export const DEFAULT_TIP_WEI = 1_000_000_000n

export function blockTipSamples(block: Block): bigint[] {
  const baseFee = block.header.baseFeePerGas ?? 0n
  return block.transactions
    .map((tx) => tx.getEffectivePriorityFee(baseFee))
    .filter((t) => t >= ORACLE_IGNORE_WEI)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, ORACLE_SAMPLES)
}

export function suggestTip(samples: bigint[], last: bigint): bigint {
  if (samples.length === 0) return last
  const s = [...samples].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const tip = s[Math.floor(((s.length - 1) * ORACLE_PERCENTILE) / 100)]!
  return tip > ORACLE_MAX_WEI ? ORACLE_MAX_WEI : tip
}

export class FeeOracle {
  private cached: { head: string; tip: bigint } | undefined
  private last = DEFAULT_TIP_WEI

  constructor(private readonly blockAt: (n: bigint) => Promise<Block>) {}

  async tip(head: Block): Promise<bigint> {
    const key = head.hash().toString()
    if (this.cached?.head === key) return this.cached.tip
    const samples: bigint[] = []
    for (let n = head.header.number, i = 0; n > 0n && i < ORACLE_BLOCKS; n--, i++) {
      const b = n === head.header.number ? head : await this.blockAt(n)
      samples.push(...blockTipSamples(b))
    }
    this.last = suggestTip(samples, this.last)
    this.cached = { head: key, tip: this.last }
    return this.last
  }
}
