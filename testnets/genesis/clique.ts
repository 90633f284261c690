/**
 * A geth-style genesis for a private Clique network. The hardfork list stops at London on purpose: with Paris in
 * the list the EthereumJS consensus silently becomes Casper and validates nothing (field notes).
 */
import { hexToBytes } from '@ethereumjs/util'

export interface CliqueGenesisOptions {
  chainId: number
  /** Seconds between blocks. */
  period: number
  /** Signer addresses (0x-prefixed). */
  signers: string[]
  /** Address -> balance in wei. */
  alloc: Record<string, bigint>
  gasLimit: bigint
  /** Unix seconds; fixed by the caller so the same seed gives the same genesis hash. */
  timestamp: number
}

export interface GethGenesis {
  config: Record<string, unknown>
  nonce: string
  timestamp: string
  extraData: string
  gasLimit: string
  difficulty: string
  mixHash: string
  coinbase: string
  number: string
  gasUsed: string
  parentHash: string
  baseFeePerGas: string
  alloc: Record<string, { balance: string }>
}

const ZERO32 = '00'.repeat(32)
const hex = (n: bigint | number): string => `0x${n.toString(16)}`

export function cliqueGenesis(o: CliqueGenesisOptions): GethGenesis {
  if (o.signers.length === 0) throw new Error('a Clique genesis needs at least one signer')
  const signerHex = [...o.signers]
    .map((a) => {
      if (hexToBytes(a as `0x${string}`).length !== 20) throw new Error(`signer ${a} is not a 20-byte address`)
      return a.toLowerCase().slice(2)
    })
    // Clique orders the signer list in extraData by address.
    .sort()
    .join('')
  const alloc: GethGenesis['alloc'] = {}
  for (const [addr, bal] of Object.entries(o.alloc)) alloc[addr.toLowerCase().replace(/^0x/, '')] = { balance: hex(bal) }
  return {
    config: {
      chainId: o.chainId,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      clique: { period: o.period, epoch: 30000 },
    },
    nonce: '0x0',
    timestamp: hex(o.timestamp),
    extraData: `0x${ZERO32}${signerHex}${'00'.repeat(65)}`,
    gasLimit: hex(o.gasLimit),
    difficulty: '0x1',
    mixHash: `0x${ZERO32}`,
    coinbase: `0x${'00'.repeat(20)}`,
    number: '0x0',
    gasUsed: '0x0',
    parentHash: `0x${ZERO32}`,
    baseFeePerGas: '0x7',
    alloc,
  }
}
