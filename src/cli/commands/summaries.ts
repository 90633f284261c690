/** The one-line summary of each top-level command: `teecast --help` lists them without loading the commands. */
export const SUMMARIES = {
  node: 'Run one patched EthereumJS node (foreground; SIGTERM stops it cleanly)',
  testnet: 'Launch and drive local testnets (up, start, status, down, send, chaos)',
  bench: 'Benchmark scenarios (run, compare)',
  attest: 'Simulated TEE attestation: testnet root, quotes, verification (init, quote, verify, inspect)',
  sim: 'Simulate tee and eth/68 propagation at scale (virtual clock; crashes, drops, omitting relays)',
} as const
