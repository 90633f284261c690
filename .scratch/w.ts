const t0 = performance.now()
const m = await import('@polkadot/wasm-crypto')
const t1 = performance.now()
await m.waitReady()
const t2 = performance.now()
console.log('import', (t1 - t0).toFixed(0), 'ms, init', (t2 - t1).toFixed(0), 'ms', m.isReady())
const { createRequire } = await import('node:module')
const native = createRequire(import.meta.url)('keccak/bindings') as (a: string) => { update(d: Buffer): { digest(): Buffer } }
for (const size of [16384, 131072]) {
  const d = new Uint8Array(size).fill(7)
  for (const [name, f] of [['native', (x: Uint8Array) => native('keccak256').update(Buffer.from(x.buffer, x.byteOffset, x.byteLength)).digest()], ['wasm', (x: Uint8Array) => m.keccak256(x)]] as const) {
    for (let i = 0; i < 200; i++) f(d)
    const t = performance.now(); for (let i = 0; i < 1000; i++) f(d); console.log(size, name, ((performance.now() - t)).toFixed(1), 'µs')
  }
}
