import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { createECDH } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/teecast.js', 'attest', ...args], { encoding: 'utf8', timeout: 60_000 })

const NODE_KEY = '11'.repeat(32)
const CHALLENGE = 'ab'.repeat(32)
const ecdh = createECDH('secp256k1')
ecdh.setPrivateKey(Buffer.from(NODE_KEY, 'hex'))
const NODE_ID = ecdh.getPublicKey('hex').slice(2)

test('attest init, quote, verify, inspect end to end; rejections exit 1; bad arguments exit 2', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tc-attest-'))
  const dir = join(tmp, 'att')
  const other = join(tmp, 'other')
  const q = join(tmp, 'q.bin')
  const dq = join(tmp, 'debug.bin')
  try {
    let r = run('init', '--dir', dir)
    assert.equal(r.status, 0, r.stderr)
    for (const f of ['root.key', 'signer.key', 'policy.json']) assert.ok(existsSync(join(dir, f)), f)
    assert.equal(run('init', '--dir', dir).status, 1, 'init refuses to overwrite')
    assert.equal(run('init', '--dir', other).status, 0)

    r = run('quote', '--dir', dir, '--node-key', NODE_KEY, '--challenge', CHALLENGE, '--out', q)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`node-id ${NODE_ID}`))

    r = run('verify', '--dir', dir, '--quote', q, '--node-pubkey', NODE_ID, '--challenge', CHALLENGE)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /mrenclave\s+[0-9a-f]{64}/)
    assert.match(r.stdout, /\nOK\n$/)

    const rejects: [string[], string][] = [
      [['--dir', other, '--quote', q, '--node-pubkey', NODE_ID, '--challenge', CHALLENGE], 'bad-root'],
      [['--dir', dir, '--quote', q, '--node-pubkey', NODE_ID, '--challenge', 'cd'.repeat(32)], 'report-data-mismatch'],
      [['--dir', dir, '--quote', q, '--node-pubkey', 'ee'.repeat(64), '--challenge', CHALLENGE], 'report-data-mismatch'],
    ]
    assert.equal(run('quote', '--dir', dir, '--node-key', NODE_KEY, '--challenge', CHALLENGE, '--out', dq, '--debug').status, 0)
    rejects.push([['--dir', dir, '--quote', dq, '--node-pubkey', NODE_ID, '--challenge', CHALLENGE], 'debug-enclave'])
    const flipped = join(tmp, 'flipped.bin')
    const bytes = readFileSync(q)
    bytes[200] = bytes[200]! ^ 1
    writeFileSync(flipped, bytes)
    rejects.push([['--dir', dir, '--quote', flipped, '--node-pubkey', NODE_ID, '--challenge', CHALLENGE], 'bad-signature'])
    const short = join(tmp, 'short.bin')
    writeFileSync(short, readFileSync(q).subarray(0, 500))
    rejects.push([['--dir', dir, '--quote', short, '--node-pubkey', NODE_ID, '--challenge', CHALLENGE], 'truncated'])
    for (const [args, reason] of rejects) {
      r = run('verify', ...args)
      assert.equal(r.status, 1, `${reason}: ${r.stderr}`)
      assert.match(r.stdout, new RegExp(`REJECT ${reason}\\n$`), reason)
    }

    r = run('inspect', q)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /isvsvn\s+1/)
    const garbage = join(tmp, 'garbage.bin')
    writeFileSync(garbage, 'not a quote at all')
    r = run('inspect', garbage)
    assert.equal(r.status, 1)
    assert.match(r.stderr, /not a quote: unsupported-version/)

    const bad: [string[], RegExp][] = [
      [['quote', '--dir', dir, '--node-key', 'zz', '--challenge', CHALLENGE, '--out', q], /--node-key must be 32 bytes/],
      [['quote', '--dir', dir, '--node-key', '00'.repeat(32), '--challenge', CHALLENGE, '--out', q], /not a valid secp256k1 private key/],
      [['quote', '--dir', dir, '--node-key', NODE_KEY, '--challenge', 'ab', '--out', q], /--challenge must be 32 bytes/],
      [['quote', '--dir', dir, '--node-key', NODE_KEY, '--challenge', CHALLENGE], /Missing required argument: out/],
      [['verify', '--dir', dir, '--quote', q, '--node-pubkey', 'ab'.repeat(33), '--challenge', CHALLENGE], /--node-pubkey must be 64 bytes/],
      [['verify', '--dir', dir, '--quote', q, '--node-pubkey', NODE_ID], /Missing required argument: challenge/],
      [['init'], /Missing required argument: dir/],
      [['frobnicate'], /Unknown argument|Did you mean|Name an attest command/],
    ]
    for (const [args, re] of bad) {
      r = run(...args)
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, ${r.stderr}`)
      assert.match(r.stderr, re, args.join(' '))
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
    }
    r = run('verify', '--dir', join(tmp, 'missing'), '--quote', q, '--node-pubkey', NODE_ID, '--challenge', CHALLENGE)
    assert.equal(r.status, 1, 'a missing attestation dir is a failure')
    assert.match(r.stderr, /attest init/)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
})
