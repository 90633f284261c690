/**
 * A tiny hand-assembled contract for RPC and client tests (no compiler needed): `increment()` adds 1 to slot 0 and
 * emits `Incremented(uint256 value)` with the new value; `count()` returns slot 0; any other call reverts.
 */

/** keccak256("Incremented(uint256)"). */
export const INCREMENTED_TOPIC = '0x20d8a6f5a693f9d1d627a598e8820f7a55ee74c183aa8f1a30e8d4e8dd9a8d84'
export const INCREMENT_SELECTOR = '0xd09de08a'
export const COUNT_SELECTOR = '0x06661abd'

export const EVENT_COUNTER_ABI = [
  { type: 'function', name: 'increment', inputs: [], outputs: [], stateMutability: 'nonpayable' },
  { type: 'function', name: 'count', inputs: [], outputs: [{ name: '', type: 'uint256' }], stateMutability: 'view' },
  { type: 'event', name: 'Incremented', inputs: [{ name: 'value', type: 'uint256', indexed: false }], anonymous: false },
] as const

const hex = (s: string): string => s.replace(/^0x/, '')
const INC = 0x1d
const GET = 0x52
const RUNTIME = [
  '6000', '35', '60e0', '1c', // selector = calldata[0:4]
  '80', `63${hex(INCREMENT_SELECTOR)}`, '14', `60${INC.toString(16)}`, '57', // increment() -> INC
  `63${hex(COUNT_SELECTOR)}`, '14', `60${GET.toString(16)}`, '57', // count() -> GET
  '6000', '80', 'fd', // anything else: revert
  '5b', '6000', '54', '6001', '01', '80', '6000', '55', // INC: v = slot0 + 1; slot0 = v
  '6000', '52', `7f${hex(INCREMENTED_TOPIC)}`, '6020', '6000', 'a1', '00', // mem[0] = v; LOG1(0, 32, topic); stop
  '5b', '6000', '54', '6000', '52', '6020', '6000', 'f3', // GET: return slot0
].join('')

const runtimeLength = RUNTIME.length / 2
if (RUNTIME.slice(INC * 2, INC * 2 + 2) !== '5b' || RUNTIME.slice(GET * 2, GET * 2 + 2) !== '5b') throw new Error('event counter: jump targets moved')

/** Init code: CODECOPY the runtime that follows these 11 bytes, then RETURN it. */
export const EVENT_COUNTER_INITCODE = `0x60${runtimeLength.toString(16)}80600b6000396000f3${RUNTIME}`
