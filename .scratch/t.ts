import { RLP } from '@ethereumjs/rlp'
import { decodeTeeMessage, encodeTeeMessage } from '../src/propagation/tee/codec.ts'
const rows = Array.from({ length: 4096 }, () => [new Uint8Array(), Uint8Array.from([0x94, 0x0b]), Uint8Array.from([0x4b, 0xb1])])
const payload = RLP.encode([Uint8Array.from([1]), rows.map((r) => [new Uint8Array(), Uint8Array.from([0x94,0x0b]).subarray(0,2), Uint8Array.from([0x4b,0xb1])])])
for (let k = 0; k < 8; k++) {
  const u0 = process.cpuUsage(); const t0 = performance.now()
  let m: unknown
  try { m = decodeTeeMessage(0x10, payload) } catch (e) { console.log('err', (e as Error).message); }
  const t1 = performance.now()
  if (m) encodeTeeMessage(m as never)
  const u = process.cpuUsage(u0)
  console.log(payload.length, 'decode', (t1 - t0).toFixed(1), 'ms total', (performance.now() - t0).toFixed(1), 'cpu', ((u.user + u.system) / 1000).toFixed(1))
}
