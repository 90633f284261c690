import type { Propagation, PropagationMode } from './interface.ts'
import { FloodPropagation } from './flood.ts'
import { GethPropagation } from './geth.ts'
import { StockPropagation } from './stock.ts'
import { TeePropagation } from './tee/propagation.ts'
import { EthCore, type EthCoreParams } from './eth/core.ts'

const factories: Record<PropagationMode, () => Propagation> = {
  stock: () => new StockPropagation(),
  geth: () => new GethPropagation(),
  flood: () => new FloodPropagation(),
  // The node's adapter binds it to its tee/1 sessions (src/p2p/tee-adapter.ts); unbound, every peer is an eth peer.
  tee: () => new TeePropagation(),
}

export function createPropagation(mode: PropagationMode): Propagation {
  const make = factories[mode]
  if (make === undefined) throw new Error(`unknown propagation mode "${String(mode)}"`)
  return make()
}

/** The eth/68 modes: one engine (EthCore), the mode's rules as its policy. */
export type EthMode = Exclude<PropagationMode, 'tee'>

export function createEthCore(mode: EthMode, params: Partial<EthCoreParams> = {}): EthCore {
  if (mode === ('tee' as PropagationMode)) throw new Error('tee is not an eth/68 mode: its eth side is built by the node adapter')
  return new EthCore(createPropagation(mode), params)
}
