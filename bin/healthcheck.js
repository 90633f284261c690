#!/usr/bin/env node
// Container healthcheck: exit 0 when the node answers eth_blockNumber on JSON-RPC, 1 otherwise. Plain JS, no tsx:
// it runs every few seconds. The URL: TEECAST_RPC_URL, else the rpcUrl of TEECAST_NAME in TEECAST_DIR/testnet.json
// (default /data), else http://127.0.0.1:8545.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

function rpcUrl() {
  if (process.env.TEECAST_RPC_URL) return process.env.TEECAST_RPC_URL
  try {
    const dir = process.env.TEECAST_DIR ?? '/data'
    const d = JSON.parse(readFileSync(join(dir, 'testnet.json'), 'utf8'))
    const name = process.env.TEECAST_NAME ?? readFileSync(join(dir, 'node-name'), 'utf8').trim()
    const n = d.nodes.find((x) => x.name === name)
    if (n) return n.rpcUrl
  } catch {
    // No description here: fall back to the image's default port.
  }
  return 'http://127.0.0.1:8545'
}

const url = rpcUrl()
try {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    signal: AbortSignal.timeout(4000),
  })
  const body = await res.json()
  if (typeof body.result !== 'string') throw new Error(`no result: ${JSON.stringify(body).slice(0, 200)}`)
  process.exit(0)
} catch (err) {
  process.stderr.write(`unhealthy: ${url}: ${err.message}\n`)
  process.exit(1)
}
