/**
 * Link faults injected while a testnet runs (`teecast testnet chaos`): DIR/link-faults.json names links by their
 * port pair ("30600-30603", as spec.perLink does) with the fault each has now: cut (a partition), or other link
 * values (a slow or lossy link). Every node's link proxies watch the file, so a fault reaches the dialing end of each
 * link within a poll interval, and a node restarted during a fault starts with it. Written via a temp file and a
 * rename, so a reader never sees half of it.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LinkSpecInput } from './spec.ts'

export interface LinkFault extends LinkSpecInput {
  /** Nothing crosses the link, either way, until the fault is removed. */
  cut?: boolean
}

export interface LinkFaults {
  version: 1
  /** By port pair, lower port first. A link that is not named has no fault. */
  links: Record<string, LinkFault>
}

export const NO_FAULTS: LinkFaults = { version: 1, links: {} }

/** How often a node looks at the faults file. */
export const FAULTS_POLL_MS = 200

export const linkFaultsFile = (dir: string): string => join(dir, 'link-faults.json')

export function writeLinkFaults(path: string, f: LinkFaults): void {
  const tmp = `${path}.tmp`
  writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`)
  renameSync(tmp, path)
}

/** The faults in force; none when the file is missing or unreadable (a half-written file is never seen). */
export function readLinkFaults(path: string): LinkFaults {
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as LinkFaults
    return f.version === 1 && typeof f.links === 'object' && f.links !== null ? f : NO_FAULTS
  } catch {
    return NO_FAULTS
  }
}

/** What tells one version of the file from the next: a rename gives a new inode, an edit in place a new mtime or size. */
function fileVersion(path: string): string {
  try {
    const st = statSync(path, { bigint: true })
    return `${st.ino}:${st.mtimeNs}:${st.size}`
  } catch {
    return 'missing'
  }
}

/**
 * Calls `onChange` with the faults now and on every change of the file; returns a function that stops watching.
 * Polls by itself rather than with fs.watchFile: watchFile takes its baseline from a first stat on the thread pool,
 * so a file written between the read here and that stat was never reported.
 */
export function watchLinkFaults(path: string, onChange: (f: LinkFaults) => void): () => void {
  let seen = fileVersion(path)
  onChange(readLinkFaults(path))
  const timer = setInterval(() => {
    const now = fileVersion(path)
    if (now === seen) return
    seen = now
    onChange(readLinkFaults(path))
  }, FAULTS_POLL_MS)
  timer.unref()
  return () => clearInterval(timer)
}
