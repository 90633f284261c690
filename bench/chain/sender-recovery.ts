/** Sender recoveries per second with each crypto backend (second round of each counts; the first warms up). */
import { cryptoFunctions } from '../../src/node/crypto.ts'
import { cliqueFixture } from '../../testnets/inproc-chain.ts'
import { createCommonFromGethGenesis } from '@ethereumjs/common'
import { createFeeMarket1559Tx, createTxFromRLP } from '@ethereumjs/tx'
const fx = cliqueFixture(2000, 'ecr')
const out: Record<string, number> = {}
for (const kind of ['wasm', 'native', 'wasm', 'native'] as const) {
  const common = createCommonFromGethGenesis(fx.genesis as never, { chain: 'teecast' })
  const raw = fx.accountKeys.map((k) => createFeeMarket1559Tx({ chainId: 777001n, maxFeePerGas: 9n, gasLimit: 21000n }, { common }).sign(k).serialize())
  Object.assign(common, { customCrypto: await cryptoFunctions(kind) })
  const txs = raw.map((r) => createTxFromRLP(r, { common }))
  const t0 = performance.now()
  for (const tx of txs) tx.getSenderAddress()
  out[kind] = Math.round((txs.length * 1000) / (performance.now() - t0))
}
console.log(JSON.stringify({ senderRecoveriesPerS: out }))
