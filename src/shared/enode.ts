/** enode URLs: `enode://<128 hex node id>@<host>:<port>`. */
export interface EnodeAddress {
  id: string
  host: string
  port: number
}

const ENODE = /^enode:\/\/([0-9a-fA-F]{128})@([^:/?#]+):(\d{1,5})(?:\?.*)?$/

export function parseEnode(url: string): EnodeAddress {
  const m = ENODE.exec(url.trim())
  if (m === null) throw new Error(`not an enode URL (want enode://<128 hex>@host:port): "${url}"`)
  const port = Number(m[3])
  if (port < 1 || port > 65535) throw new Error(`enode port out of range: "${url}"`)
  return { id: m[1]!.toLowerCase(), host: m[2]!, port }
}
