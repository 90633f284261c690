/**
 * The import check (`make check-imports`, `.dependency-cruiser.cjs`): it passes on the tree, and on a small tree
 * with one wrong-way import planted per rule it fails and names each plant, while the right-way imports next to
 * them pass.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise')
const CONFIG = join(ROOT, '.dependency-cruiser.cjs')

interface Run {
  code: number
  /** `rule: from -> to` for every violation reported. */
  violations: string[]
  output: string
}

/** Runs the check as `npm run check-imports` does, in `cwd`. */
function checkImports(cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(DEPCRUISE, ['src', 'bench', 'testnets', 'bin', '--config', CONFIG, '--output-type', 'err'], { cwd, timeout: 300_000 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`
      // A cycle is reported over several lines (a → b →\n c); its first arrow is enough here.
      const violations = [...output.replace(/→\s+/g, '→ ').matchAll(/error ([\w-]+): (\S+) → (\S+)/g)].map((m) => `${m[1]}: ${m[2]} -> ${m[3]}`)
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, violations, output })
    })
  })
}

test('the tree passes the import check', async () => {
  const r = await checkImports(ROOT)
  assert.equal(r.code, 0, r.output)
  assert.deepEqual(r.violations, [])
  assert.match(r.output, /no dependency violations found/)
})

/** A module per layer; `imports` are relative specifiers. */
const TREE: Record<string, string[]> = {
  // Wrong way, one per rule.
  'src/shared/plant.ts': ['import type { N } from "../node/n.ts"'],
  'src/propagation/plant.ts': ['import { x } from "../p2p/x.ts"', 'import { Config } from "@ethereumjs/client"'],
  'src/tee/plant.ts': ['import { s } from "../sim/s.ts"'],
  'src/rpc/plant.ts': ['import type { N } from "../node/n.ts"'],
  'src/p2p/x.ts': ['import { r } from "../rpc/r.ts"'],
  'src/node/n.ts': ['import { t } from "../../testnets/t.ts"'],
  'src/sim/s.ts': ['import { b } from "../../bench/b.ts"'],
  'testnets/t.ts': ['import { b } from "../bench/b.ts"'],
  'bench/chain/c.ts': ['import { c } from "../../src/cli/c.ts"'],
  'src/cli/plant.ts': ['import "../../bin/teecast.js"'],
  'bin/teecast.js': ['import "../src/node/n.ts"'],
  'src/shared/c1.ts': ['import { c2 } from "./c2.ts"'],
  'src/shared/c2.ts': ['import { c1 } from "./c1.ts"'],
  // Right way: each layer importing below it, and the allowed siblings.
  'src/cli/c.ts': ['import { b } from "../../bench/b.ts"', 'import { s } from "../sim/s.ts"', 'import type { N } from "../node/n.ts"', 'import { k } from "../shared/k.ts"'],
  'bench/b.ts': ['import { k } from "../src/shared/k.ts"'],
  'bench/ok.ts': ['import { t } from "../testnets/t.ts"', 'import type { N } from "../src/node/n.ts"'],
  'src/node/ok.ts': ['import { x } from "../p2p/x.ts"', 'import { r } from "../rpc/r.ts"', 'import { p } from "../propagation/p.ts"'],
  'src/rpc/r.ts': ['import { p } from "../propagation/p.ts"'],
  'src/rpc/ok.ts': ['import type { X } from "../p2p/ok.ts"'],
  'src/p2p/ok.ts': ['import { p } from "../propagation/p.ts"', 'import { q } from "../tee/q.ts"', 'import { Config } from "@ethereumjs/client"'],
  'src/tee/q.ts': ['import { p } from "../propagation/p.ts"'],
  'src/propagation/p.ts': ['import { k } from "../shared/k.ts"'],
  'src/shared/k.ts': [],
}

const PLANTED = [
  'shared-imports-only-shared: src/shared/plant.ts -> src/node/n.ts',
  'propagation-tee-below-p2p: src/propagation/plant.ts -> src/p2p/x.ts',
  'propagation-tee-below-p2p: src/tee/plant.ts -> src/sim/s.ts',
  'p2p-rpc-below-node: src/rpc/plant.ts -> src/node/n.ts',
  'p2p-not-rpc: src/p2p/x.ts -> src/rpc/r.ts',
  'node-below-tools: src/node/n.ts -> testnets/t.ts',
  'sim-without-tools: src/sim/s.ts -> bench/b.ts',
  'testnets-below-bench: testnets/t.ts -> bench/b.ts',
  'bench-below-cli: bench/chain/c.ts -> src/cli/c.ts',
  'cli-below-bin: src/cli/plant.ts -> bin/teecast.js',
  'bin-only-cli: bin/teecast.js -> src/node/n.ts',
]

test('a wrong-way import fails the check, naming its rule, its importer and its target', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'teecast-imports-'))
  try {
    for (const [file, imports] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      writeFileSync(join(dir, file), `${imports.join('\n')}\nexport const ${file.replace(/\W/g, '_')} = 1\n`)
    }
    copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'))
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    const r = await checkImports(dir)
    assert.notEqual(r.code, 0, r.output)
    for (const v of PLANTED) assert.ok(r.violations.includes(v), `${v} not reported:\n${r.output}`)
    assert.ok(r.violations.some((v) => /^propagation-without-client: src\/propagation\/plant\.ts -> \S*node_modules\/@ethereumjs\/client\//.test(v)), r.output)
    assert.ok(r.violations.includes('no-circular: src/shared/c1.ts -> src/shared/c2.ts'), r.output)
    // Nothing else: the right-way imports pass.
    const other = r.violations.filter((v) => !PLANTED.includes(v) && !v.startsWith('propagation-without-client: src/propagation/plant.ts') && !v.startsWith('no-circular: src/shared/c'))
    assert.deepEqual(other, [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
