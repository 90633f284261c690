import { keccak_256 } from '@noble/hashes/sha3'
import { keccak256 as js } from 'ethereum-cryptography/keccak.js'
const d = new Uint8Array(113).fill(7)
for (const [name, f] of [['noble', keccak_256], ['ec', js]] as const) {
  for (let i = 0; i < 50000; i++) f(d)
  const t = performance.now(); for (let i = 0; i < 50000; i++) f(d); console.log(name, ((performance.now() - t) * 1000 / 50000).toFixed(2), 'µs')
}
