/**
 * Short ids for digests, pulls and compact blocks: SHA-256(SHORT_ID_SALT || hash)[0..8].
 *
 * Both functions remember their answer per array object (ids and short ids are never written after they are made):
 * a simulated network hands the same id object to every node, and hashing it again at each of 8,000 nodes was a
 * tenth of a run. The node decodes fresh arrays, so it gains nothing and pays one weak-map miss per call.
 */
import { createHash } from 'node:crypto'
import { SHORT_ID_BYTES, SHORT_ID_SALT } from './constants.ts'

const shortIds = new WeakMap<Uint8Array, Uint8Array>()
const keys = new WeakMap<Uint8Array, string>()

export function shortId(hash: Uint8Array): Uint8Array {
  let s = shortIds.get(hash)
  if (s === undefined) {
    s = new Uint8Array(createHash('sha256').update(SHORT_ID_SALT).update(hash).digest().subarray(0, SHORT_ID_BYTES))
    shortIds.set(hash, s)
  }
  return s
}

/** Short ids as map keys. */
export function shortKey(id: Uint8Array): string {
  let k = keys.get(id)
  if (k === undefined) {
    k = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')
    keys.set(id, k)
  }
  return k
}
