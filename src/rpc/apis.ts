/**
 * Which JSON-RPC namespaces a node serves. `debug_` (setHead, verbosity) and `admin_` (addPeer) change the node and
 * have no authentication, so like geth (`--http.api`) they are served only when asked for (`--rpc-api`).
 */
export const RPC_NAMESPACES = ['eth', 'net', 'web3', 'txpool', 'teecast', 'debug', 'admin'] as const
export const DEFAULT_RPC_APIS: readonly string[] = ['eth', 'net', 'web3', 'txpool', 'teecast']

/** Parses `eth,net,debug`: a message naming the bad entry, or the list. */
export function parseRpcApis(csv: string): string[] | string {
  const apis = csv.split(',').map((a) => a.trim()).filter((a) => a !== '')
  const bad = apis.find((a) => !(RPC_NAMESPACES as readonly string[]).includes(a))
  if (bad !== undefined) return `unknown RPC namespace "${bad}"; known: ${RPC_NAMESPACES.join(', ')}`
  if (apis.length === 0) return 'no RPC namespace given'
  return [...new Set(apis)]
}

export function selectApis<M>(methods: Record<string, M>, apis: readonly string[]): Record<string, M> {
  return Object.fromEntries(Object.entries(methods).filter(([name]) => apis.includes(name.split('_')[0]!)))
}
