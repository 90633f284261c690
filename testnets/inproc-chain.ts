/**
 * An in-process Clique chain (no network, memory DB): common, blockchain with Clique consensus, and a VM at the
 * genesis state. Used to check block building and import without node processes (patch tests, chain benchmark).
 */
import { CliqueConsensus, createBlockchain, type Blockchain } from '@ethereumjs/blockchain'
import { ConsensusAlgorithm, createCommonFromGethGenesis, parseGethGenesisState, type Common } from '@ethereumjs/common'
import { buildBlock, createVM, type VM } from '@ethereumjs/vm'
import type { TypedTransaction } from '@ethereumjs/tx'
import { cliqueSigner, type Block } from '@ethereumjs/block'
import { cliqueGenesis, type GethGenesis } from './genesis/clique.ts'
import { addressOf, deriveKey } from '../src/shared/keys.ts'

export interface InprocChain {
  common: Common
  blockchain: Blockchain
  vm: VM
  genesis: Block
}

export interface CliqueFixture {
  genesis: GethGenesis
  signerKey: Uint8Array
  accountKeys: Uint8Array[]
}

export function cliqueFixture(accounts: number, seed = 'inproc'): CliqueFixture {
  const signerKey = deriveKey(seed, 'signer', 0)
  const accountKeys = Array.from({ length: accounts }, (_, i) => deriveKey(seed, 'account', i))
  const genesis = cliqueGenesis({
    chainId: 777001,
    period: 1,
    signers: [addressOf(signerKey)],
    alloc: Object.fromEntries(accountKeys.map((k) => [addressOf(k), 10n ** 24n])),
    gasLimit: 60_000_000n,
    timestamp: 1_700_000_000,
  })
  return { genesis, signerKey, accountKeys }
}

export async function inprocChain(genesis: GethGenesis, customCrypto?: Common['customCrypto']): Promise<InprocChain> {
  const common = createCommonFromGethGenesis(genesis as never, { chain: 'teecast' })
  if (customCrypto !== undefined) Object.assign(common, { customCrypto })
  const genesisState = parseGethGenesisState(genesis as never)
  const blockchain = await createBlockchain({
    common,
    genesisState,
    validateBlocks: true,
    validateConsensus: true,
    consensusDict: { [ConsensusAlgorithm.Clique]: new CliqueConsensus() },
  })
  // cliqueSigner: the EVM runs no contract code on Clique without it (as client patch 019 gives the node's VM).
  const vm = await createVM({ common, blockchain, evmOpts: { cliqueSigner: (h) => cliqueSigner(h as Parameters<typeof cliqueSigner>[0]) } })
  await vm.stateManager.generateCanonicalGenesis!(genesisState)
  return { common, blockchain, vm, genesis: blockchain.genesisBlock }
}

/** Builds block 1 on the genesis as the Clique miner does (BlockBuilder, sealed by the signer). */
export async function buildCliqueBlock(
  chain: InprocChain,
  signerKey: Uint8Array,
  txs: TypedTransaction[],
  o: { difficulty?: bigint; period?: bigint } = {},
): Promise<Block> {
  const parent = chain.genesis
  const builder = await buildBlock(chain.vm, {
    parentBlock: parent,
    headerData: {
      number: 1n,
      // Clique: 2 in turn, 1 out of turn.
      difficulty: o.difficulty ?? 2n,
      gasLimit: parent.header.gasLimit,
      timestamp: parent.header.timestamp + (o.period ?? 1n),
      baseFeePerGas: parent.header.calcNextBaseFee(),
    },
    blockOpts: { cliqueSigner: signerKey, setHardfork: true, putBlockIntoBlockchain: false },
  })
  for (const tx of txs) await builder.addTransaction(tx)
  return (await builder.build()).block
}
