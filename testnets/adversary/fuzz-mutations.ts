/**
 * fast-check mutations of valid encodings, so that fuzz inputs get past a decoder's first checks: byte flips, bit
 * flips, truncation, extension, splices, RLP length-field tampering, RLP-structure-preserving tree edits (a leaf
 * replaced, a child dropped or repeated, a leaf wrapped in a list), and list bombs (one child repeated up to ~200k
 * times, built without encoding every copy). Used by the tee/1 fuzz targets (tee-fuzz.ts).
 */
import fc from 'fast-check'
import { RLP } from '@ethereumjs/rlp'

export const randomBytes = (max = 64): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })

/** A random RLP tree (bytes and nested lists). */
export type Tree = Uint8Array | Tree[]
export const rlpTree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, randomBytes(40), fc.array(tie('node'), { maxLength: 6 })),
})).node

/** Offsets and sizes of every RLP length field in `b` (prefix byte plus long-form length bytes), in walk order. */
function rlpHeaders(b: Uint8Array): { at: number; len: number }[] {
  const out: { at: number; len: number }[] = []
  const walk = (from: number, to: number, depth: number): void => {
    let i = from
    while (i < to && out.length < 4096 && depth < 64) {
      const p = b[i]!
      if (p < 0x80) {
        i += 1
        continue
      }
      const isList = p >= 0xc0
      const short = isList ? p <= 0xf7 : p <= 0xb7
      const ll = short ? 0 : p - (isList ? 0xf7 : 0xb7)
      let len = short ? p - (isList ? 0xc0 : 0x80) : 0
      for (let k = 0; k < ll && i + 1 + k < to; k++) len = len * 256 + b[i + 1 + k]!
      out.push({ at: i, len: 1 + ll })
      const start = i + 1 + ll
      if (isList) walk(start, Math.min(to, start + len), depth + 1)
      i = start + len
    }
  }
  walk(0, b.length, 0)
  return out
}

/** One RLP length field changed by a small or large delta (the item then over- or under-runs its parent). */
const lengthTamper = (b: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.nat(), fc.constantFrom(-2, -1, 1, 2, 0x37, 0x40, 0x7f), fc.integer({ min: 0, max: 255 })).map(([pick, delta, last]) => {
    const hs = rlpHeaders(b)
    if (hs.length === 0) return b
    const h = hs[pick % hs.length]!
    const c = Uint8Array.from(b)
    if (h.len === 1) c[h.at] = (c[h.at]! + delta) & 0xff
    else c[h.at + h.len - 1] = last
    return c
  })

function editTree(t: Tree, path: number[], f: (node: Tree) => Tree): Tree {
  if (path.length === 0 || !Array.isArray(t) || t.length === 0) return f(t)
  const i = path[0]! % t.length
  return t.map((c, k) => (k === i ? editTree(c, path.slice(1), f) : c))
}

type TreeEdit = (node: Tree) => Tree
const treeEdit: fc.Arbitrary<TreeEdit> = fc.oneof(
  randomBytes(40).map((r): TreeEdit => () => r),
  rlpTree.map((r): TreeEdit => () => r),
  fc.nat().map((k): TreeEdit => (n) => (Array.isArray(n) && n.length > 0 ? n.filter((_, i) => i !== k % n.length) : n)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([k, times]): TreeEdit => (n) => (Array.isArray(n) && n.length > 0 ? [...n, ...new Array<Tree>(times).fill(n[k % n.length]!)] : n)),
  fc.constant<TreeEdit>((n) => [n]),
  fc.constant<TreeEdit>((n) => (Array.isArray(n) ? (n[0] ?? new Uint8Array()) : n.subarray(0, n.length - 1))),
  fc.integer({ min: 0, max: 255 }).map((x): TreeEdit => (n) => (Array.isArray(n) ? n : Uint8Array.from([...n, x]))),
  fc.constant<TreeEdit>((n) => (Array.isArray(n) ? [...n].reverse() : Uint8Array.from(n).reverse())),
)

/** An RLP-structure-preserving edit: decode, change one node on a random path, re-encode. */
const treeMutation = (b: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.array(fc.nat(), { maxLength: 4 }), treeEdit).map(([path, f]) => {
    let t: Tree
    try {
      t = RLP.decode(b) as Tree
    } catch {
      return b
    }
    return RLP.encode(editTree(t, path, f) as never)
  })

/** RLP length prefix of `n` bytes of content (`base` 0x80 for strings, 0xc0 for lists). */
function prefix(n: number, base: number): Uint8Array {
  if (n < 56) return Uint8Array.of(base + n)
  const len: number[] = []
  for (let x = n; x > 0; x = Math.floor(x / 256)) len.unshift(x % 256)
  return Uint8Array.from([base + 55 + len.length, ...len])
}

/** Encodes a tree in which one node is given already encoded (`raw`): the bomb list is never built as a tree. */
function encodeWithRaw(t: Tree, path: number[], raw: Uint8Array): Uint8Array {
  if (path.length === 0 || !Array.isArray(t) || t.length === 0) return raw
  const i = path[0]! % t.length
  const parts = t.map((c, k) => (k === i ? encodeWithRaw(c, path.slice(1), raw) : RLP.encode(c as never)))
  const body = Buffer.concat(parts)
  return new Uint8Array(Buffer.concat([prefix(body.length, 0xc0), body]))
}

/** Counts around the decoders' caps (4096 items, 16384 ids, 65533 plan nodes) and beyond. */
const BOMB_COUNTS = [4095, 4097, 16383, 16385, 16388, 65534, 200_000]

/** A list on a random path replaced by one child (or an empty string) repeated around a cap. */
const bomb = (b: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.array(fc.nat(), { maxLength: 3 }), fc.constantFrom(...BOMB_COUNTS), fc.nat()).map(([path, count, pick]) => {
    let t: Tree
    try {
      t = RLP.decode(b) as Tree
    } catch {
      t = []
    }
    let node: Tree = t
    for (const p of path) if (Array.isArray(node) && node.length > 0) node = node[p % node.length]!
    const child = Array.isArray(node) && node.length > 0 ? RLP.encode(node[pick % node.length]! as never) : Uint8Array.of(0x80)
    const unit = child.length <= 8 ? child : Uint8Array.of(0x01)
    const body = new Uint8Array(unit.length * count)
    if (unit.length === 1) body.fill(unit[0]!)
    else for (let i = 0; i < count; i++) body.set(unit, i * unit.length)
    return encodeWithRaw(t, path, new Uint8Array(Buffer.concat([prefix(body.length, 0xc0), body])))
  })

/** Byte-level mutations of any encoding. `fields`: offsets of length/count fields worth tampering with. */
export function byteMutation(b: Uint8Array, fields: number[] = []): fc.Arbitrary<Uint8Array> {
  const set = (c: Uint8Array, i: number, v: number) => {
    if (c.length > 0) c[i % c.length] = v
  }
  const arbs: fc.Arbitrary<Uint8Array>[] = [
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((xs) => {
      const c = Uint8Array.from(b)
      for (const [i, v] of xs) set(c, i, v)
      return c
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
      const c = Uint8Array.from(b)
      if (c.length > 0) c[i % c.length]! ^= 1 << bit
      return c
    }),
    fc.nat().map((n) => b.subarray(0, b.length === 0 ? 0 : n % b.length)),
    randomBytes(32).map((tail) => Uint8Array.from([...b, ...tail])),
    fc.tuple(fc.nat(), randomBytes(16)).map(([at, junk]) => {
      const i = b.length === 0 ? 0 : at % b.length
      return Uint8Array.from([...b.subarray(0, i), ...junk, ...b.subarray(i)])
    }),
  ]
  if (fields.length > 0)
    arbs.push(
      fc.tuple(fc.constantFrom(...fields), fc.constantFrom(0, 1, 0xfe, 0xff), fc.integer({ min: 0, max: 255 })).map(([at, hi, lo]) => {
        const c = Uint8Array.from(b)
        if (at + 1 < c.length) {
          c[at] = hi
          c[at + 1] = lo
        }
        return c
      }),
    )
  return fc.oneof(...arbs)
}

/** Mutations of a valid RLP encoding: unchanged, byte-level, length fields, tree edits, bombs (rare: they are big). */
export function rlpMutation(b: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { arbitrary: fc.constant(b), weight: 15 },
    { arbitrary: byteMutation(b), weight: 30 },
    { arbitrary: lengthTamper(b), weight: 20 },
    { arbitrary: treeMutation(b), weight: 30 },
    { arbitrary: bomb(b), weight: 1 },
  )
}
