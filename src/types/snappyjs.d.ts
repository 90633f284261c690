/** snappyjs ships no types; devp2p uses it for the RLPx v5 payload compression that tee/1 must apply too. */
declare module 'snappyjs' {
  export function compress(input: Uint8Array): Uint8Array
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array
}
