/**
 * Program bundling and measurement. A program's entry module and everything it imports (the runtime included) are
 * bundled by esbuild into one self-contained ES module; MRENCLAVE = SHA-256 of the bundle's bytes. The worker runs
 * exactly those bytes (sim/simulated-enclave.ts loads them from memory, not from disk), so what is measured is what
 * runs, and one changed byte in any bundled file changes the measurement.
 *
 * Rules for the bundle, enforced here:
 * - only relative imports and `node:` built-ins; a bare package import fails with PROGRAM_BUNDLE, to keep the
 *   enclave's trusted code small and reviewable;
 * - module paths in the output are relative to the repository root (absWorkingDir), so the same checkout gives the
 *   same measurement wherever it lives. The esbuild version is part of the measurement (as the compiler is in SGX).
 *
 * Bundling costs tens of milliseconds; results are cached per entry path for the life of the process.
 */
import { buildSync } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { sha256 } from '../crypto.ts'
import { TeeError } from '../errors.ts'

export interface ProgramBundle {
  entry: string
  /** The bundled ES module, UTF-8. */
  code: Uint8Array
  /** MRENCLAVE: SHA-256(code). */
  measurement: Uint8Array
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** Measures a bundle's bytes (exported for tests that change one byte). */
export const measure = (code: Uint8Array): Uint8Array => sha256(code)

const cache = new Map<string, ProgramBundle>()

export function bundleProgram(entry: string): ProgramBundle {
  const hit = cache.get(entry)
  if (hit !== undefined) return hit
  let code: Uint8Array
  try {
    const r = buildSync({
      entryPoints: [entry],
      absWorkingDir: REPO_ROOT,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
      metafile: true,
    })
    const out = r.outputFiles[0]
    if (out === undefined) throw new Error('esbuild produced no output')
    // platform 'node' leaves built-ins external; anything from node_modules would be bundled, which we refuse.
    const pkg = Object.keys(r.metafile.inputs).find((p) => p.includes('node_modules'))
    if (pkg !== undefined) throw new Error(`enclave programs may import only relative modules and node: built-ins, not ${pkg}`)
    code = out.contents.slice()
  } catch (e) {
    throw new TeeError('PROGRAM_BUNDLE', `cannot bundle enclave program ${entry}: ${(e as Error).message}`)
  }
  const b: ProgramBundle = { entry, code, measurement: measure(code) }
  cache.set(entry, b)
  return b
}
