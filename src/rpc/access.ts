/**
 * Who may talk to a node's JSON-RPC, over HTTP and WebSocket alike, after geth's `--http.corsdomain` and
 * `--http.vhosts`:
 * - CORS: a browser page may read answers only if its Origin is on the allow-list (`--rpc-cors`). Entries are
 *   origins (`https://app.example`), origins with any port (`http://localhost:*`), or `*` (any origin). A
 *   WebSocket upgrade that carries an Origin off the list is refused (403); requests without an Origin (curl, node
 *   scripts, every non-browser client) are not affected by CORS.
 * - vhosts: the Host header must name one of `--rpc-vhosts` (`*` = any), or be an IP address, or be absent. This is
 *   the defence against DNS rebinding (a hostile name resolving to 127.0.0.1); an IP literal cannot be rebound, as
 *   geth reasons too. A request with another Host gets 403.
 * Defaults, for a local testnet: pages served from localhost or 127.0.0.1 on any port may connect, nothing else;
 * the Host must be localhost (or an IP).
 */
import { isIP } from 'node:net'

export const DEFAULT_RPC_CORS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*']
export const DEFAULT_RPC_VHOSTS: readonly string[] = ['localhost', '127.0.0.1']

export interface RpcAccess {
  cors: readonly string[]
  vhosts: readonly string[]
}

export const DEFAULT_RPC_ACCESS: RpcAccess = { cors: DEFAULT_RPC_CORS, vhosts: DEFAULT_RPC_VHOSTS }

/** `a,b , c` -> ['a','b','c']; `""` -> [] (nothing allowed). */
export function parseAccessList(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  for (const it of items) {
    if (/\s/.test(it)) throw new Error(`${flag}: "${it}" contains whitespace`)
  }
  return items
}

/** Checks that every CORS entry is `*` or a scheme://host[:port|:*] origin. */
export function validateCors(list: readonly string[]): void {
  for (const e of list) {
    if (e === '*') continue
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^/:]+(:(\d{1,5}|\*))?$/i.test(e)) throw new Error(`--rpc-cors: "${e}" is not an origin like http://localhost:3000, http://localhost:* or *`)
  }
}

export function originAllowed(origin: string, list: readonly string[]): boolean {
  let o: URL
  try {
    o = new URL(origin)
  } catch {
    return false
  }
  const norm = `${o.protocol}//${o.hostname}`
  for (const e of list) {
    if (e === '*') return true
    const m = /^(.+:\/\/[^/:]+)(?::(\d+|\*))?$/.exec(e.toLowerCase())
    if (m === null || m[1] !== norm.toLowerCase()) continue
    if (m[2] === '*') return true
    // URL drops the scheme's default port; compare as written.
    if ((m[2] ?? '') === o.port) return true
  }
  return false
}

/** The hostname of a Host header value (`name:port`, `[::1]:port`, `name`). */
export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined)
  const i = host.lastIndexOf(':')
  return i >= 0 && host.indexOf(':') === i ? host.slice(0, i) : host
}

export function hostAllowed(host: string | undefined, list: readonly string[]): boolean {
  if (host === undefined || host === '') return true
  const name = hostName(host).toLowerCase()
  if (isIP(name) !== 0) return true
  return list.some((v) => v === '*' || v.toLowerCase() === name)
}
