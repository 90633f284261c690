/**
 * An in-process Clique chain (no network, memory DB): common, blockchain with Clique consensus, and a VM at the
 * genesis state. Used to check block building and import without node processes (patch tests, chain benchmark).
 */
import { CliqueConsensus, createBlockchain, type Blockchain } from '@ethereumjs/blockchain'
import { ConsensusAlgorithm, createCommonFromGethGenesis, parseGethGenesisState, type Common } from '@ethereumjs/common'
import { createVM, type VM } from '@ethereumjs/vm'
import type { Block } from '@ethereumjs/block'
import { cliqueGenesis, type GethGenesis } from './genesis/clique.ts'
import { addressOf, deriveKey } from './keys.ts'

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
  const vm = await createVM({ common, blockchain })
  await vm.stateManager.generateCanonicalGenesis!(genesisState)
  return { common, blockchain, vm, genesis: blockchain.genesisBlock }
}
