/**
 * Runtime switches of the speed patches (vm 002 linear-block-building, block 001 clique-signer-memo, client 014 pool-reuses-state-view, common 001 params-cache-memo, blockchain 001 decoded-block-memo). They are on
 * unless switched off; only make bench-chain --baseline and the equivalence tests switch them off.
 */
declare global {
  // eslint-disable-next-line no-var
  var teecastSpeedPatches: { linearBlockBuilding?: boolean; cliqueSignerMemo?: boolean; poolStateView?: boolean; paramsMemo?: boolean; blockMemo?: boolean } | undefined
}

export function setSpeedPatches(on: boolean): void {
  globalThis.teecastSpeedPatches = { linearBlockBuilding: on, cliqueSignerMemo: on, poolStateView: on, paramsMemo: on, blockMemo: on }
}
