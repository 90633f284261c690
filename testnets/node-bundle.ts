/**
 * The script a testnet's node processes run: `teecast` bundled by esbuild (the packages it imports included), so a
 * node starts without resolving and compiling some 2,000 ES modules one by one. That took about 3 s of a node's
 * start on a quiet machine and twice that on a loaded one; the bundle starts in about half the time, which is what
 * lets a node killed and restarted from its data catch up with the head within 3 block periods.
 *
 * What runs is the same code as `bin/teecast.js` (tsx uses esbuild's transform too):
 * - each bundled file keeps its own `import.meta.url`, `__dirname` and `__filename`, so paths relative to a source
 *   file (the enclave programs it measures, package data files) resolve as they do unbundled;
 * - class and function names are kept (devp2p dispatches on a constructor's name);
 * - native addons and packages that load files beside themselves stay external, resolved from node_modules;
 * - commands stay lazily loaded (one chunk each), as in src/cli/main.ts.
 *
 * Cache: node_modules/.cache/teecast/node-bundle/ holds the newest builds and the list of the last one's inputs with
 * their sizes and modification times. A launch reuses the build only when every input is unchanged, so an edit under src/ or a
 * patched file under node_modules/ is never run stale. TEECAST_NODE_BUNDLE=0 runs bin/teecast.js (tsx) instead.
 */
import { build, type Plugin } from 'esbuild'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
/** Addons and packages that read files next to their own modules at run time. */
const EXTERNAL = ['classic-level', 'secp256k1', '@polkadot/wasm-crypto', 'prom-client']
/** Builds kept besides the newest: a testnet started before an edit may still restart nodes from one. */
const KEEP_BUILDS = 4

/** What is bundled where: `teecast` itself, or a test's small project. */
export interface BundleSite {
  /** Paths in the manifest are relative to it; a CommonJS require() resolves from it. */
  root: string
  entry: string
  cacheDir: string
  external?: string[]
}

export const TEECAST_BUNDLE: BundleSite = {
  root: REPO_ROOT,
  entry: join(REPO_ROOT, 'src/cli/main.ts'),
  cacheDir: join(REPO_ROOT, 'node_modules/.cache/teecast/node-bundle'),
  external: EXTERNAL,
}

interface Manifest {
  version: 1
  /** The build's entry script, relative to the cache dir. */
  main: string
  /** Every file esbuild read, relative to the site's root, with its size and mtime at build time. */
  inputs: [path: string, size: number, mtimeMs: number][]
}

const manifestPath = (site: BundleSite): string => join(site.cacheDir, 'manifest.json')

function unchanged(site: BundleSite, [path, size, mtimeMs]: Manifest['inputs'][number]): boolean {
  try {
    const s = statSync(resolve(site.root, path))
    return s.size === size && s.mtimeMs === mtimeMs
  } catch {
    return false
  }
}

function cachedBuild(site: BundleSite): string | undefined {
  try {
    const m = JSON.parse(readFileSync(manifestPath(site), 'utf8')) as Manifest
    const main = join(site.cacheDir, m.main)
    return m.version === 1 && existsSync(main) && m.inputs.every((i) => unchanged(site, i)) ? main : undefined
  } catch {
    return undefined
  }
}

/** Gives each bundled file the `import.meta.url`, `__dirname` and `__filename` it has when it is not bundled. */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(b) {
    b.onLoad({ filter: /\.(ts|js|mjs|cjs)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8')
      const usesMeta = text.includes('import.meta.url')
      const usesDirname = /\b__(dirname|filename)\b/.test(text) && !/\b(const|let|var|function)\s+__(dirname|filename)\b/.test(text)
      if (!usesMeta && !usesDirname) return undefined
      let contents = usesMeta ? text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)) : text
      // Only where a CommonJS module would get them from node: an ES module that names __dirname declares it.
      if (usesDirname && !/^\s*(import|export)\s/m.test(text)) {
        contents = `var __filename = ${JSON.stringify(args.path)}, __dirname = ${JSON.stringify(dirname(args.path))};\n${contents}`
      }
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js', resolveDir: dirname(args.path) }
    })
  },
}

async function buildBundle(site: BundleSite): Promise<string> {
  mkdirSync(site.cacheDir, { recursive: true })
  const outName = `build-${Date.now()}-${process.pid}`
  const r = await build({
    entryPoints: [site.entry],
    absWorkingDir: site.root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: join(site.cacheDir, outName),
    external: site.external ?? [],
    // devp2p dispatches on `protocol.constructor.name === 'Peer'`: a bundle must not rename classes apart.
    keepNames: true,
    plugins: [ownLocation],
    // Packages that are CommonJS call require(); an ES bundle has none of its own. It resolves from the root.
    banner: { js: `import { createRequire as __teecastRequire } from 'node:module'; const require = __teecastRequire(${JSON.stringify(pathToFileURL(join(site.root, 'package.json')).href)});` },
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.keys(r.metafile.inputs).map((p): Manifest['inputs'][number] => {
    const s = statSync(resolve(site.root, p))
    return [p, s.size, s.mtimeMs]
  })
  const manifest: Manifest = { version: 1, main: join(outName, basename(site.entry).replace(/\.[cm]?[jt]s$/, '.js')), inputs }
  // Written under a temporary name and renamed, so a concurrent launch reads a whole manifest, old or new.
  const tmp = `${manifestPath(site)}.${process.pid}`
  writeFileSync(tmp, JSON.stringify(manifest))
  renameSync(tmp, manifestPath(site))
  dropOldBuilds(site)
  return join(site.cacheDir, manifest.main)
}

function dropOldBuilds(site: BundleSite): void {
  try {
    // Names start with the build time, so they sort oldest first.
    const builds = readdirSync(site.cacheDir).filter((n) => n.startsWith('build-')).sort()
    for (const name of builds.slice(0, -(KEEP_BUILDS + 1))) rmSync(join(site.cacheDir, name), { recursive: true, force: true })
  } catch {
    // Best effort: a build left behind costs disk space, nothing else.
  }
}

const pending = new Map<string, Promise<string>>()

/**
 * The site's bundled entry script, built when missing or when any of its inputs changed; `onBuilt` hears how long
 * a build this call started took.
 */
export async function bundledScript(site: BundleSite, onBuilt?: (ms: number) => void): Promise<string> {
  const hit = cachedBuild(site)
  if (hit !== undefined) return hit
  let p = pending.get(site.cacheDir)
  if (p === undefined) {
    const t0 = Date.now()
    p = buildBundle(site).finally(() => pending.delete(site.cacheDir))
    pending.set(site.cacheDir, p)
    if (onBuilt !== undefined) void p.then(() => onBuilt(Date.now() - t0), () => undefined)
  }
  return p
}

/**
 * The script for `node <script> node --dir ...`: teecast's up-to-date bundle (a few seconds to build after a
 * change, said on `say`), or `fallback` (bin/teecast.js) when TEECAST_NODE_BUNDLE=0 or bundling fails (why, on `say`).
 */
export async function nodeScript(fallback: string, say: (msg: string) => void = () => undefined): Promise<string> {
  if (process.env.TEECAST_NODE_BUNDLE === '0') return fallback
  try {
    return await bundledScript(TEECAST_BUNDLE, (ms) => say(`bundled teecast for the node processes in ${(ms / 1000).toFixed(1)} s (again only after a change)`))
  } catch (e) {
    say(`nodes run unbundled (slower start): cannot bundle teecast: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`)
    return fallback
  }
}
