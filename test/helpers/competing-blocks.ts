/**
 * The two blocks 1 of a 2-signer Clique testnet: the in-turn signer's (difficulty 2, the heavier) and the other's
 * (difficulty 1), built from the testnet's genesis, for tests of fork resolution.
 */
import { readFileSync } from 'node:fs'
import { hexToBytes } from '@ethereumjs/util'
import type { Block } from '@ethereumjs/block'
import type { TestnetDescription } from '../../testnets/description.ts'
import { buildCliqueBlock, inprocChain } from '../../testnets/inproc-chain.ts'

export async function competingBlocks(d: TestnetDescription): Promise<{ inTurn: Block; outOfTurn: Block }> {
  const genesis = JSON.parse(readFileSync(d.genesisPath, 'utf8'))
  // Clique's in-turn signer for block 1 is the second in address order.
  const signers = d.nodes.filter((n) => n.signerKey !== undefined).sort((a, b) => a.signerAddress!.localeCompare(b.signerAddress!))
  const build = async (key: string, difficulty: bigint) =>
    buildCliqueBlock(await inprocChain(genesis), hexToBytes(key as `0x${string}`), [], { difficulty, period: BigInt(d.period) })
  return { inTurn: await build(signers[1]!.signerKey!, 2n), outOfTurn: await build(signers[0]!.signerKey!, 1n) }
}
