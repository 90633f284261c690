/**
 * Which malloc a node process runs with. glibc's malloc keeps the memory of a burst of freed buffers inside its heap
 * (it gives back only the heap's top, and a long-lived object above them pins the rest), so a node's RSS ratchets up
 * with each burst of large messages and never comes down. jemalloc gives freed pages back to the system within
 * seconds (its dirty-page decay). Measured with one round of the attack campaign (bench/adversary/campaign.ts): RSS
 * grew 93-109 MB under glibc and stayed there; 44 MB under jemalloc, 38 MB below its peak at the end.
 *
 * A testnet's node processes run with jemalloc when libjemalloc2 is installed (`make install` installs it, as root),
 * preloaded by the launcher; otherwise with glibc's. TEECAST_MALLOC=glibc keeps glibc's; TEECAST_MALLOC=jemalloc
 * insists. Stock and tee nodes alike, so the comparison is unchanged. Each node says which it runs on its first line.
 */
import { existsSync, readFileSync } from 'node:fs'

/** Where Debian's libjemalloc2 (and most distributions') puts the library, per architecture. */
export const JEMALLOC_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
]

export type Malloc = 'jemalloc' | 'glibc'

/**
 * The environment a node process is started with: `env` plus jemalloc in LD_PRELOAD when it is wanted and found.
 * Throws when TEECAST_MALLOC is not a known name, or asks for jemalloc that is not installed.
 */
export function nodeProcessEnv(env: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): NodeJS.ProcessEnv {
  const want = env.TEECAST_MALLOC ?? 'auto'
  if (want !== 'auto' && want !== 'jemalloc' && want !== 'glibc') throw new Error(`TEECAST_MALLOC must be jemalloc or glibc, got "${want}"`)
  if (want === 'glibc') return env
  const lib = JEMALLOC_PATHS.find((p) => exists(p))
  if (lib === undefined) {
    if (want === 'jemalloc') throw new Error(`TEECAST_MALLOC=jemalloc, but libjemalloc2 is not installed (looked in ${JEMALLOC_PATHS.join(', ')}); run make install as root, or apt-get install libjemalloc2`)
    return env
  }
  const preload = (env.LD_PRELOAD ?? '').split(/[ :]/).filter((p) => p !== '')
  if (preload.some((p) => p.includes('libjemalloc'))) return env
  return { ...env, LD_PRELOAD: [lib, ...preload].join(':') }
}

/** The malloc this process runs with, from its own memory map. */
export function runningMalloc(maps: string = readFileSync('/proc/self/maps', 'utf8')): Malloc {
  return /libjemalloc/.test(maps) ? 'jemalloc' : 'glibc'
}
