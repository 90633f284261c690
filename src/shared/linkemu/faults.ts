/**
 * Link faults injected while a testnet runs (`teecast testnet chaos`): DIR/link-faults.json names links by their
 * port pair ("30600-30603", as spec.perLink does) with the fault each has now: cut (a partition), or other link
 * values (a slow or lossy link). Every node's link proxies watch the file, so a fault reaches the dialing end of each
 * link within a poll interval, and a node restarted during a fault starts with it. Written via a temp file and a
 * rename, so a reader never sees half of it.
 */
import { readFileSync, renameSync, watchFile, unwatchFile, writeFileSync } from 'node:fs'
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

/** Calls `onChange` with the faults now and on every change of the file; returns a function that stops watching. */
export function watchLinkFaults(path: string, onChange: (f: LinkFaults) => void): () => void {
  onChange(readLinkFaults(path))
  const listener = (): void => onChange(readLinkFaults(path))
  watchFile(path, { interval: FAULTS_POLL_MS, persistent: false }, listener)
  return () => unwatchFile(path, listener)
}
