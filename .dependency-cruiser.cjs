/**
 * The import arrows of DESIGN.md, checked by `make check-imports` (and so by `make test`):
 *
 *   bin -> cli -> (bench, testnets, sim) -> node -> (p2p, rpc) -> (propagation, tee) -> shared
 *
 * A layer may import any layer below it and its siblings, except where a rule below says otherwise; nothing
 * imports upward. Tests (test/**) may import anything, and nothing imports them.
 */
const TOOLS = '^(bin|bench|testnets|test)/'

/** `from` may not import any of `to` (folder regexes relative to the repo root). */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } })

module.exports = {
  forbidden: [
    forbid('shared-imports-only-shared', 'src/shared/ is the bottom layer: it imports nothing of teecast outside itself', '^src/shared/', `${TOOLS}|^src/(?!shared/)`),
    forbid('propagation-tee-below-p2p', 'propagation and tee are pure logic below p2p/rpc: no devp2p adapter, RPC, node, simulator or tool', '^src/(propagation|tee)/', `${TOOLS}|^src/(p2p|rpc|node|sim|cli)/`),
    forbid('propagation-without-client', 'propagation (and shared) never reach into the EthereumJS client; p2p is the adapter', '^src/(propagation|shared)/', '(^|/)node_modules/@ethereumjs/client/'),
    forbid('p2p-rpc-below-node', 'p2p and rpc are started by the node; they take what they need as parameters, never import it', '^src/(p2p|rpc)/', `${TOOLS}|^src/(node|sim|cli)/`),
    forbid('p2p-not-rpc', 'rpc reads the p2p counters; p2p knows nothing of rpc', '^src/p2p/', '^src/rpc/'),
    forbid('node-below-tools', 'the node is driven by the tools and the CLI, and imports none of them', '^src/node/', `${TOOLS}|^src/(sim|cli)/`),
    forbid('sim-without-tools', 'the simulator drives the cores itself: no testnet, bench or CLI code', '^src/sim/', `${TOOLS}|^src/cli/`),
    forbid('testnets-below-bench', 'bench drives testnets; testnets never import bench, the simulator or the CLI', '^testnets/', '^(bin|bench|test)/|^src/(sim|cli)/'),
    forbid('bench-below-cli', 'bench (bench/chain too) is run by the CLI or make, and imports neither', '^bench/', '^(bin|test)/|^src/cli/'),
    forbid('cli-below-bin', 'bin/ only launches the CLI', '^src/cli/', '^(bin|test)/'),
    forbid('bin-only-cli', 'bin/ only launches the CLI', '^bin/', '^(bench|testnets|test)/|^src/(?!cli/)'),
    {
      name: 'no-circular',
      comment: 'an import cycle hides which of two modules is the lower one',
      severity: 'error',
      from: { path: '^(src|bench|testnets|bin)/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to no file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: `import type` from a layer above is still a wrong-way arrow.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
}
