import { keccak256 as js } from 'ethereum-cryptography/keccak.js'
import { createRequire } from 'node:module'
const native = createRequire(import.meta.url)('keccak/bindings') as (a: string) => { update(d: Buffer): { digest(): Buffer } }
const { waitReady, keccakAsU8a } = await import('@polkadot/wasm-crypto').then(async (m) => { await m.waitReady(); return { waitReady: m.waitReady, keccakAsU8a: (d: Uint8Array) => m.keccak256(d) } })
for (const size of [2, 113, 1024]) {
  const d = new Uint8Array(size).fill(7)
  for (const [name, f] of [['js', (x: Uint8Array) => js(x)], ['native', (x: Uint8Array) => native('keccak256').update(Buffer.from(x.buffer, x.byteOffset, x.byteLength)).digest()], ['wasm', (x: Uint8Array) => keccakAsU8a(x)]] as const) {
    for (let i = 0; i < 20000; i++) f(d)
    const t0 = performance.now(); for (let i = 0; i < 50000; i++) f(d); const us = (performance.now() - t0) * 1000 / 50000
    console.log(size, name, us.toFixed(2), 'µs')
  }
}
