/**
 * The bundle that testnet node processes run (testnets/node-bundle.ts): each bundled file keeps its own location
 * and class names, the build is reused only while every input is unchanged, and teecast's own bundle runs the CLI
 * as bin/teecast.js does.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { bundledScript, nodeScript, type BundleSite } from '../../testnets/node-bundle.ts'

let root: string
let site: BundleSite

const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 60_000 })

before(() => {
  root = mkdtempSync(join(tmpdir(), 'tc-bundle-'))
  mkdirSync(join(root, 'lib'))
  mkdirSync(join(root, 'node_modules/cjs-dep'), { recursive: true })
  writeFileSync(join(root, 'package.json'), '{"type":"module"}')
  writeFileSync(join(root, 'node_modules/cjs-dep/package.json'), '{"name":"cjs-dep","main":"index.js"}')
  writeFileSync(join(root, 'node_modules/cjs-dep/index.js'), 'class Peer {}\nmodule.exports = { dir: __dirname, Peer }\n')
  // Two classes named Peer: a bundler renames one apart unless it keeps names.
  writeFileSync(join(root, 'lib/where.ts'), 'export class Peer {}\nexport const where: string = import.meta.url\n')
  writeFileSync(
    join(root, 'main.ts'),
    [
      "import { where, Peer } from './lib/where.ts'",
      "import dep from 'cjs-dep'",
      'console.log(JSON.stringify({ main: import.meta.url, where, dep: dep.dir, names: [Peer.name, dep.Peer.name], version: 1 }))',
    ].join('\n'),
  )
  site = { root, entry: join(root, 'main.ts'), cacheDir: join(root, 'cache') }
})
after(() => rmSync(root, { recursive: true, force: true }))

test('a bundled file keeps its own import.meta.url, __dirname and class names', async () => {
  const script = await bundledScript(site)
  assert.ok(script.startsWith(site.cacheDir))
  const r = run(script)
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { main: string; where: string; dep: string; names: string[] }
  assert.equal(out.main, pathToFileURL(join(root, 'main.ts')).href)
  assert.equal(out.where, pathToFileURL(join(root, 'lib/where.ts')).href)
  assert.equal(out.dep, join(root, 'node_modules/cjs-dep'))
  assert.deepEqual(out.names, ['Peer', 'Peer'])
})

test('the build is reused while its inputs are unchanged, and rebuilt when one changes', async () => {
  const first = await bundledScript(site)
  assert.equal(await bundledScript(site), first, 'unchanged inputs: the same build')
  // A dependency under node_modules counts as much as the project's own files (a patched package).
  writeFileSync(join(root, 'node_modules/cjs-dep/index.js'), 'class Peer {}\nmodule.exports = { dir: "patched", Peer }\n')
  const second = await bundledScript(site)
  assert.notEqual(second, first)
  assert.equal((JSON.parse(run(second).stdout) as { dep: string }).dep, 'patched')
  // Same size, new mtime: rebuilt too.
  const t = new Date(Date.now() + 5_000)
  utimesSync(join(root, 'main.ts'), t, t)
  assert.notEqual(await bundledScript(site), second)
})

test("teecast's bundle runs the CLI as bin/teecast.js does", async () => {
  const said: string[] = []
  const script = await nodeScript('bin/teecast.js', (m) => said.push(m))
  assert.deepEqual(said.filter((m) => m.includes('unbundled')), [])
  assert.notEqual(script, 'bin/teecast.js')
  const help = run(script, 'node', '--help')
  assert.equal(help.status, 0, help.stderr)
  assert.match(help.stdout, /--dir/)
  const bad = run(script, 'node', '--dir', '/nonexistent/teecast')
  assert.equal(bad.status, 2, 'bad input: exit 2')
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'a message, not a stack')
  assert.equal(bad.stderr, run('bin/teecast.js', 'node', '--dir', '/nonexistent/teecast').stderr)
})

test('TEECAST_NODE_BUNDLE=0 runs the unbundled script', async () => {
  process.env.TEECAST_NODE_BUNDLE = '0'
  try {
    assert.equal(await nodeScript('bin/teecast.js'), 'bin/teecast.js')
  } finally {
    delete process.env.TEECAST_NODE_BUNDLE
  }
})
