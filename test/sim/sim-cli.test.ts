/** `teecast sim` input checks: bad input gets a message and exit 2, before any simulation starts. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { parseDetectMs, parseUploadMbps } from '../../src/cli/commands/sim.ts'

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/teecast.js', 'sim', ...args], { encoding: 'utf8', timeout: 60_000 })

test('teecast sim: --nodes up to 20,000 passes the size check (the cap was 5,000); beyond, or bad --detect-ms, exit 2 with a message', () => {
  // 6,001 x 3 is odd: refused by the degree check, so the node count itself was accepted.
  const big = run('--nodes', '6001', '--degree', '3')
  assert.equal(big.status, 2, big.stderr)
  assert.match(big.stderr, /--degree must be/)
  for (const [args, msg] of [
    [['--nodes', '20001'], /--nodes must be an integer in 3\.\.20000/],
    [['--nodes', '2.5'], /--nodes must be an integer/],
    [['--detect-ms', '5000-1000'], /--detect-ms must be N, MIN-MAX \(ms\) or never, got "5000-1000"/],
    [['--detect-ms', 'soon'], /--detect-ms must be/],
  ] as const) {
    const r = run(...args)
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, msg)
    assert.equal(r.stdout, '')
  }
})

test('teecast sim --detect-ms: a delay, a per-link range, or never', () => {
  assert.equal(parseDetectMs('0'), 0)
  assert.equal(parseDetectMs('5000'), 5000)
  assert.deepEqual(parseDetectMs('1000-9000'), [1000, 9000])
  assert.equal(parseDetectMs('never'), Infinity)
})

test('teecast sim: bad --block-interval, --block-gas or --upload-mbps exit 2 with a message', () => {
  for (const [args, msg] of [
    [['--block-interval', '-1'], /--block-interval must be 0 \(no blocks\) or at least 0\.1 s, got -1/],
    [['--block-interval', 'soon'], /--block-interval must be/],
    [['--block-gas', '20999'], /--block-gas must be an integer >= 21000/],
    [['--block-gas', '1e6.5'], /--block-gas must be/],
    [['--upload-mbps', '0'], /--upload-mbps must be a rate in Mbit\/s above 0, or unlimited, got "0"/],
    [['--upload-mbps', 'fast'], /--upload-mbps must be/],
    [['--upload-mbps', '-5'], /--upload-mbps must be/],
  ] as const) {
    const r = run(...args)
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, msg)
    assert.equal(r.stdout, '')
  }
})

test('teecast sim --upload-mbps: a rate or unlimited', () => {
  assert.equal(parseUploadMbps('10'), 10)
  assert.equal(parseUploadMbps('0.5'), 0.5)
  assert.equal(parseUploadMbps('unlimited'), Infinity)
})
