import { keccakReady } from '../src/shared/keccak.ts'
await keccakReady
await import('./t.ts')
