/**
 * The malloc of a node process: the launcher preloads jemalloc when it is installed (unless TEECAST_MALLOC=glibc),
 * refuses a bad TEECAST_MALLOC, and a process started with that environment really runs on jemalloc (its memory map
 * holds the library), which the node reports.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { JEMALLOC_PATHS, nodeProcessEnv, runningMalloc } from '../../src/node/allocator.ts'

const lib = JEMALLOC_PATHS[0]!
const only = (p: string) => (q: string) => q === p

test('jemalloc is preloaded when found, first, once; TEECAST_MALLOC=glibc keeps glibc; none found keeps the env', () => {
  assert.equal(nodeProcessEnv({ PATH: '/bin' }, only(lib)).LD_PRELOAD, lib)
  assert.equal(nodeProcessEnv({ LD_PRELOAD: '/x/libfoo.so' }, only(lib)).LD_PRELOAD, `${lib}:/x/libfoo.so`)
  assert.equal(nodeProcessEnv({ LD_PRELOAD: lib }, only(lib)).LD_PRELOAD, lib, 'not twice')
  assert.equal(nodeProcessEnv({ TEECAST_MALLOC: 'glibc' }, only(lib)).LD_PRELOAD, undefined)
  assert.equal(nodeProcessEnv({}, () => false).LD_PRELOAD, undefined)
  assert.equal(nodeProcessEnv({}, only(JEMALLOC_PATHS[3]!)).LD_PRELOAD, JEMALLOC_PATHS[3])
})

test('a bad TEECAST_MALLOC, or jemalloc asked for but missing, is an error that says what to do', () => {
  assert.throws(() => nodeProcessEnv({ TEECAST_MALLOC: 'tcmalloc' }, only(lib)), /TEECAST_MALLOC must be jemalloc or glibc, got "tcmalloc"/)
  assert.throws(() => nodeProcessEnv({ TEECAST_MALLOC: 'jemalloc' }, () => false), /libjemalloc2 is not installed.*apt-get install libjemalloc2/)
})

test('runningMalloc reads the memory map', () => {
  assert.equal(runningMalloc(`7f00-7f01 r--p 0 fe:00 1 ${lib}\n`), 'jemalloc')
  assert.equal(runningMalloc('7f00-7f01 r--p 0 fe:00 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n'), 'glibc')
})

const installed = JEMALLOC_PATHS.some((p) => existsSync(p))
test('a process started with the node environment runs on jemalloc', { skip: installed ? false : 'libjemalloc2 is not installed (make install installs it as root)' }, () => {
  const src = "import('./src/node/allocator.ts').then((m) => process.stdout.write(m.runningMalloc()))"
  const run = (env: NodeJS.ProcessEnv) => execFileSync(process.execPath, ['--import', 'tsx', '-e', src], { env, encoding: 'utf8' })
  assert.equal(run(nodeProcessEnv({ ...process.env, TEECAST_MALLOC: undefined, LD_PRELOAD: undefined })), 'jemalloc')
  assert.equal(run(nodeProcessEnv({ ...process.env, TEECAST_MALLOC: 'glibc', LD_PRELOAD: undefined })), 'glibc')
})
