#!/usr/bin/env node
// Thin launcher: run the TypeScript CLI through tsx so a checkout needs no build step.
import { spawnSync } from 'node:child_process'
import { constants, totalmem } from 'node:os'

// A simulated network of thousands of nodes outgrows V8's default heap (about 4 GB): `sim` runs in a child with
// three quarters of the machine's memory, unless the caller set a heap size.
const heapSet = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--max-old-space-size'))
if (process.argv[2] === 'sim' && !heapSet) {
  const mb = Math.floor((totalmem() / 2 ** 20) * 0.75)
  const r = spawnSync(process.execPath, [`--max-old-space-size=${mb}`, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })
  if (r.error !== undefined) throw r.error
  process.exit(r.status ?? 128 + (r.signal === null ? 0 : constants.signals[r.signal]))
}

const { register } = await import('tsx/esm/api')
register()
await import('../src/cli/main.ts')
