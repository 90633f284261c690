/** The simulator sizes tee/1 items messages by arithmetic (tee-node.ts): it must match the codec byte for byte. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { teeWireBytes } from '../../src/sim/tee-node.ts'
import { rlpxFrameBytes } from '../../src/sim/network.ts'
import { encodeTeeMessage } from '../../src/propagation/tee/codec.ts'
import type { TeeMessage, WireItem } from '../../src/propagation/tee/messages.ts'
import { SeededRandom } from '../../src/shared/rng.ts'

test('sim teeWireBytes: an items message is sized as the codec encodes it, over sizes, origins, epochs and modes', () => {
  const rng = new SeededRandom('wire-bytes')
  const modes = ['tree', 'flood', 'entry', 'repair'] as const
  const sizes = [0, 1, 2, 54, 55, 56, 57, 110, 200, 255, 256, 300, 1000, 65_535, 65_536, 70_000]
  const origins = [0, 1, 127, 128, 255, 256, 65_535]
  const epochs = [0, 1, 127, 128, 256, 70_000, 2 ** 31]
  for (let k = 0; k < 400; k++) {
    const count = 1 + rng.int(k % 10 === 0 ? 300 : 4)
    const items: WireItem[] = Array.from({ length: count }, () => {
      const payload = new Uint8Array(sizes[rng.int(sizes.length)]!)
      if (payload.length > 0) payload[0] = rng.int(256)
      return { kind: 'tx', id: new Uint8Array(32), mode: modes[rng.int(4)]!, origin: origins[rng.int(origins.length)]!, payload }
    })
    const msg: TeeMessage = { t: 'items', epoch: epochs[rng.int(epochs.length)]!, items }
    assert.equal(teeWireBytes(msg), rlpxFrameBytes(encodeTeeMessage(msg).payload.length), `message ${k}: ${count} items`)
  }
})
