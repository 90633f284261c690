/** CORS origins and the Host check (src/rpc/access.ts), as geth's --http.corsdomain and --http.vhosts. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_RPC_CORS, DEFAULT_RPC_VHOSTS, hostAllowed, originAllowed, parseAccessList, validateCors } from '../../src/rpc/access.ts'

test('default CORS: pages from localhost and 127.0.0.1 on any port, nothing else', () => {
  for (const o of ['http://localhost:3000', 'http://localhost', 'http://127.0.0.1:5173']) assert.ok(originAllowed(o, DEFAULT_RPC_CORS), o)
  for (const o of ['https://localhost:3000', 'http://evil.example', 'http://localhost.evil.example:3000', 'null', 'garbage']) assert.ok(!originAllowed(o, DEFAULT_RPC_CORS), o)
})

test('CORS entries: exact origin, any port, or *', () => {
  assert.ok(originAllowed('https://app.example', ['https://app.example']))
  assert.ok(!originAllowed('https://app.example:8443', ['https://app.example']))
  assert.ok(originAllowed('https://app.example:8443', ['https://app.example:8443']))
  assert.ok(originAllowed('https://anything.example', ['*']))
  assert.ok(!originAllowed('http://localhost:3000', []))
  assert.throws(() => validateCors(['localhost:3000']), /not an origin/)
  assert.doesNotThrow(() => validateCors(['*', 'http://localhost:*', 'https://a.b:8443']))
})

test('vhosts: names on the list, any IP literal, or no Host; others refused', () => {
  for (const h of ['localhost:8545', 'LOCALHOST', '127.0.0.1:8545', '10.1.2.3', '[::1]:8545', undefined]) assert.ok(hostAllowed(h, DEFAULT_RPC_VHOSTS), String(h))
  for (const h of ['evil.example', 'evil.example:8545', 'localhost.evil.example']) assert.ok(!hostAllowed(h, DEFAULT_RPC_VHOSTS), h)
  assert.ok(hostAllowed('node.lan:8545', ['node.lan']))
  assert.ok(hostAllowed('whatever', ['*']))
})

test('flag lists split on commas; whitespace inside an entry is an error', () => {
  assert.deepEqual(parseAccessList('--rpc-cors', 'http://a.b, http://c.d ,'), ['http://a.b', 'http://c.d'])
  assert.deepEqual(parseAccessList('--rpc-vhosts', ''), [])
})
