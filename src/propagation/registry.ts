import type { Propagation, PropagationMode } from './interface.ts'
import { FloodPropagation } from './flood.ts'
import { GethPropagation } from './geth.ts'
import { StockPropagation } from './stock.ts'

const factories: Record<PropagationMode, () => Propagation> = {
  stock: () => new StockPropagation(),
  geth: () => new GethPropagation(),
  flood: () => new FloodPropagation(),
}

export function createPropagation(mode: PropagationMode): Propagation {
  const make = factories[mode]
  if (make === undefined) throw new Error(`unknown propagation mode "${String(mode)}"`)
  return make()
}
