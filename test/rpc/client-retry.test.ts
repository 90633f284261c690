/**
 * The JSON-RPC client's one retry after a kept-alive socket was closed under it goes over a connection of its own:
 * a pool holding two sockets to a server that went away (a node restarted between calls) must not fail the call on
 * the second stale socket. A raw HTTP server answers the first request on each connection, and hangs up on any later
 * one once told to (as a restarted node's sockets behave).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { rpcCall } from '../../src/rpc/client.ts'

test('rpc client: after a hang-up on a reused socket the retry uses a fresh connection, not another stale one from the pool', async () => {
  let stale = false
  const served = new WeakSet<Socket>()
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((sock) => {
    connections++
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('data', () => {
      if (stale && served.has(sock)) return void sock.destroy()
      served.add(sock)
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x1' })
      sock.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\nkeep-alive: timeout=60\r\n\r\n${body}`)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  try {
    // Two calls at once: the pool keeps two sockets to this server.
    await Promise.all([rpcCall(url, 'eth_blockNumber'), rpcCall(url, 'eth_blockNumber')])
    assert.equal(connections, 2)
    stale = true
    assert.equal(await rpcCall<string>(url, 'eth_blockNumber'), '0x1', 'the call survives two stale pooled sockets')
    assert.equal(connections, 3, 'the retry opened a connection of its own')
  } finally {
    for (const s of sockets) s.destroy()
    server.close()
  }
})
