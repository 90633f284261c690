/** Short ids for digests, pulls and compact blocks: SHA-256(SHORT_ID_SALT || hash)[0..8]. */
import { createHash } from 'node:crypto'
import { SHORT_ID_BYTES, SHORT_ID_SALT } from './constants.ts'

export function shortId(hash: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(SHORT_ID_SALT).update(hash).digest().subarray(0, SHORT_ID_BYTES))
}

/** Short ids as map keys. */
export const shortKey = (id: Uint8Array): string => Buffer.from(id).toString('hex')
