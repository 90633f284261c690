/**
 * The plan: the signed body's byte layout, and the questions relays ask of it (my tree neighbours, the neighbour
 * toward an item's origin, who coordinates an epoch). Imported by the coordinator enclave program, so it may use
 * only relative modules and `node:` built-ins.
 *
 * Body layout (big-endian): version u8 | epoch u32 | coordinator 64 | n u16 | K u8 | node ids n x 64 |
 * interior bitmap ceil(n/8) | parents K x n x u16 (0xffff = root, 0xfffe = not in tree) |
 * exclusions u16 x (node index u16 | until epoch u32 | strikes u8), ascending by node (version 2; see Exclusion).
 */
import { createHash } from 'node:crypto'
import { ByteReader, ByteWriter, bytesOfHex, hexOf } from './bytes.ts'
import { CANDIDATE_TERM, MAX_EXCLUSION_STRIKES, MAX_PLAN_NODES, MAX_TREES, PLAN_VERSION } from './constants.ts'
import { TeeError } from './errors.ts'
import type { Exclusion, PlanBody } from './messages.ts'

export const ROOT = -1
export const NOT_IN_TREE = -2
const WIRE_ROOT = 0xffff
const WIRE_NOT_IN_TREE = 0xfffe
const NODE_ID_BYTES = 64

/** Domain tag prefixed to the body before signing; the enclave runtime refuses to `sign` anything starting with it. */
export const PLAN_DOMAIN = new TextEncoder().encode('teecast/tee/1/plan')

export function encodePlanBody(p: PlanBody): Uint8Array {
  const n = p.nodes.length
  if (n > MAX_PLAN_NODES) throw new TeeError('INVALID_PLAN', `${n} nodes exceed the plan limit ${MAX_PLAN_NODES}`)
  if (p.parents.length < 1 || p.parents.length > MAX_TREES) throw new TeeError('INVALID_PLAN', `tree count ${p.parents.length} outside 1..${MAX_TREES}`)
  const w = new ByteWriter().u8(p.version).u32(p.epoch).bytes(bytesOfHex(p.coordinator, NODE_ID_BYTES, 'coordinator')).u16(n).u8(p.parents.length)
  for (const id of p.nodes) w.bytes(bytesOfHex(id, NODE_ID_BYTES, 'plan node id'))
  const bitmap = new Uint8Array(Math.ceil(n / 8))
  p.interior.forEach((v, i) => {
    if (v) bitmap[i >> 3]! |= 1 << (i & 7)
  })
  w.bytes(bitmap)
  for (const tree of p.parents) {
    if (tree.length !== n) throw new TeeError('INVALID_PLAN', `tree has ${tree.length} parents for ${n} nodes`)
    for (const par of tree) w.u16(par === ROOT ? WIRE_ROOT : par === NOT_IN_TREE ? WIRE_NOT_IN_TREE : par)
  }
  const ex = p.excluded ?? []
  w.u16(ex.length)
  for (const x of ex) w.u16(x.node).u32(x.until).u8(x.strikes)
  return w.finish()
}

export function decodePlanBody(bytes: Uint8Array): PlanBody {
  const r = new ByteReader(bytes, 'plan body')
  const version = r.u8('version')
  if (version !== PLAN_VERSION) throw new TeeError('INVALID_PLAN', `plan version ${version}, this node speaks ${PLAN_VERSION}`)
  const epoch = r.u32('epoch')
  const coordinator = hexOf(r.bytes(NODE_ID_BYTES, 'coordinator'))
  const n = r.u16('node count')
  const k = r.u8('tree count')
  if (n > MAX_PLAN_NODES || k < 1 || k > MAX_TREES) throw new TeeError('INVALID_PLAN', `plan with ${n} nodes and ${k} trees is out of bounds`)
  const nodes: string[] = []
  for (let i = 0; i < n; i++) nodes.push(hexOf(r.bytes(NODE_ID_BYTES, 'node id')))
  const bitmap = r.bytes(Math.ceil(n / 8), 'interior bitmap')
  // Bits past the last node are zero: one plan has one encoding (encodePlanBody's).
  if (n % 8 !== 0 && bitmap[bitmap.length - 1]! >> n % 8 !== 0) throw new TeeError('INVALID_PLAN', `interior bitmap has bits set past node ${n - 1}`)
  const interior = nodes.map((_, i) => (bitmap[i >> 3]! & (1 << (i & 7))) !== 0)
  const parents: Int32Array[] = []
  for (let t = 0; t < k; t++) {
    const tree = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const v = r.u16('parent')
      tree[i] = v === WIRE_ROOT ? ROOT : v === WIRE_NOT_IN_TREE ? NOT_IN_TREE : v
    }
    parents.push(tree)
  }
  const ne = r.u16('exclusion count')
  if (ne > n) throw new TeeError('INVALID_PLAN', `${ne} exclusions for ${n} nodes`)
  const excluded: Exclusion[] = []
  for (let i = 0; i < ne; i++) excluded.push({ node: r.u16('excluded node'), until: r.u32('excluded until'), strikes: r.u8('excluded strikes') })
  r.end()
  const body: PlanBody = { version, epoch, coordinator, nodes, interior, parents, ...(ne > 0 ? { excluded } : {}) }
  validatePlanBody(body)
  return body
}

/**
 * Structural checks: sorted unique ids, parents in range, no cycles, children and roots only at interior nodes (a
 * tree may have several roots: one subtree per component of relays, which a relay cannot check without the graph); exclusions ascending by node, in range, with 1..MAX_EXCLUSION_STRIKES strikes, and no node interior while
 * its exclusion runs (until >= epoch). An empty exclusion list is absent (one plan, one encoding).
 */
export function validatePlanBody(p: PlanBody): void {
  const n = p.nodes.length
  for (let i = 1; i < n; i++) if (!(p.nodes[i - 1]! < p.nodes[i]!)) throw new TeeError('INVALID_PLAN', 'node ids are not sorted and unique')
  const ex = p.excluded
  if (ex !== undefined) {
    if (ex.length === 0 || ex.length > n) throw new TeeError('INVALID_PLAN', `${ex.length} exclusions for ${n} nodes (none is written as absent)`)
    ex.forEach((x, k) => {
      if (!(Number.isInteger(x.node) && x.node >= 0 && x.node < n) || (k > 0 && x.node <= ex[k - 1]!.node)) throw new TeeError('INVALID_PLAN', `exclusion ${k}: node ${x.node} is not an ascending index below ${n}`)
      if (!(Number.isInteger(x.strikes) && x.strikes >= 1 && x.strikes <= MAX_EXCLUSION_STRIKES)) throw new TeeError('INVALID_PLAN', `exclusion ${k}: ${x.strikes} strikes (1..${MAX_EXCLUSION_STRIKES})`)
      if (!(Number.isInteger(x.until) && x.until >= 0 && x.until <= 0xffffffff)) throw new TeeError('INVALID_PLAN', `exclusion ${k}: until ${x.until} is not a u32`)
      if (x.until >= p.epoch && p.interior[x.node]) throw new TeeError('INVALID_PLAN', `node ${x.node} is excluded through epoch ${x.until} yet may relay`)
    })
  }
  p.parents.forEach((tree, t) => {
    for (let i = 0; i < n; i++) {
      const par = tree[i]!
      // A tree is a forest, one subtree per component of relays (planner.ts): a root may relay, like any parent.
      if (par === ROOT) {
        if (!p.interior[i]) throw new TeeError('INVALID_PLAN', `tree ${t}: root ${i} may not relay`)
      } else if (par === NOT_IN_TREE) continue
      else if (par < 0 || par >= n || par === i) throw new TeeError('INVALID_PLAN', `tree ${t}: node ${i} has parent ${par}`)
      else if (!p.interior[par]) throw new TeeError('INVALID_PLAN', `tree ${t}: node ${par} has children but may not relay`)
      else if (tree[par] === NOT_IN_TREE) throw new TeeError('INVALID_PLAN', `tree ${t}: node ${i} hangs under a node outside the tree`)
    }
    assertAcyclic(tree, t)
  })
}

/**
 * Every in-tree node reaches the root. Linear: each node is walked once (a walk stops at a node already known to
 * reach the root). Walking every node to the root was O(n^2) on a deep tree: a 3000-node chain took ~370 ms, a
 * 65533-node one minutes, for a plan any peer can send before its signature is checked (found by the fuzz,
 * testnets/adversary/tee-fuzz.ts).
 */
function assertAcyclic(tree: Int32Array, t: number): void {
  const n = tree.length
  // 0: not seen, 1: on the current walk, 2: reaches the root.
  const state = new Uint8Array(n)
  const path: number[] = []
  for (let i = 0; i < n; i++) {
    let x = i
    while (x >= 0 && state[x] === 0) {
      state[x] = 1
      path.push(x)
      x = tree[x]!
    }
    if (x >= 0 && state[x] === 1) throw new TeeError('INVALID_PLAN', `tree ${t} has a cycle through node ${i}`)
    for (const y of path) state[y] = 2
    path.length = 0
  }
}

const views = new WeakMap<PlanBody, PlanView>()

/**
 * The view of a plan body, built once per body object and shared: a view is immutable, and the simulator's nodes
 * that adopt one flooded plan (or one delta, plan-delta.ts) hold one body. Without sharing, each node's index and
 * child lists were O(N): O(N^2) memory at N nodes. Throws INVALID_PLAN as the constructor does.
 */
export function planViewOf(body: PlanBody): PlanView {
  let v = views.get(body)
  if (v === undefined) views.set(body, (v = new PlanView(body)))
  return v
}

/** Fast lookups over one plan, built once per accepted plan. */
export class PlanView {
  readonly index = new Map<string, number>()
  private readonly children: number[][][]

  constructor(readonly body: PlanBody) {
    body.nodes.forEach((id, i) => this.index.set(id, i))
    this.children = body.parents.map((tree) => {
      const c: number[][] = body.nodes.map(() => [])
      tree.forEach((par, i) => {
        if (par >= 0) c[par]!.push(i)
      })
      return c
    })
  }

  get trees(): number {
    return this.body.parents.length
  }

  inTree(tree: number, node: number): boolean {
    return this.body.parents[tree]![node] !== NOT_IN_TREE
  }

  /** Tree neighbours (parent and children) of `node` in `tree`, as node ids. */
  neighbours(tree: number, node: number): string[] {
    const par = this.body.parents[tree]![node]!
    const out = this.children[tree]![node]!.map((c) => this.body.nodes[c]!)
    if (par >= 0) out.push(this.body.nodes[par]!)
    return out
  }

  /**
   * Per tree, each node's subtree root (NOT_IN_TREE outside the tree), built on first use. O(n) per tree: a walk stops
   * at a node whose root is known.
   */
  private rootsOf: Int32Array[] | undefined
  /**
   * The epoch's report candidates under this plan: the `count` best-ranked relays (coordinatorRanking, CANDIDATE_TERM)
   * of the largest subtree of tree 0 (tree 0 may be a forest, one subtree per component of relays: the one with the
   * most nodes, where fewest nodes sit behind a subtree border, where reports flood; ties: the lower root index).
   * Memoized on the shared view: every node of a network derives the same list from one plan, and at 8,000 simulated
   * nodes ranking every relay once per node was O(N^2), a third of the run.
   */
  reportCandidates(count: number): string[] {
    let ids = this.candidateMemo.get(count)
    if (ids === undefined) {
      const size = new Map<number, number>()
      for (let i = 0; i < this.body.nodes.length; i++) {
        const r = this.rootOf(0, i)
        if (r >= 0) size.set(r, (size.get(r) ?? 0) + 1)
      }
      let main = -1
      for (const [r, k] of size) if (main < 0 || k > size.get(main)! || (k === size.get(main)! && r < main)) main = r
      const relays = this.body.nodes.filter((_, i) => this.body.interior[i] && this.rootOf(0, i) === main)
      ids = coordinatorRanking(CANDIDATE_TERM, relays).slice(0, count)
      this.candidateMemo.set(count, ids)
    }
    return ids
  }
  private readonly candidateMemo = new Map<number, string[]>()

  rootOf(tree: number, node: number): number {
    if (this.rootsOf === undefined) {
      this.rootsOf = this.body.parents.map((parents) => {
        const r = new Int32Array(parents.length).fill(-3)
        const path: number[] = []
        for (let i = 0; i < parents.length; i++) {
          let x = i
          while (r[x] === -3 && parents[x]! >= 0) { path.push(x); x = parents[x]! }
          const root = r[x] !== -3 ? r[x]! : parents[x] === ROOT ? x : NOT_IN_TREE
          r[x] = root
          for (const y of path) r[y] = root
          path.length = 0
        }
        return r
      })
    }
    return this.rootsOf[tree]![node]!
  }

  /** Are both nodes in one subtree of `tree` (the same component of relays)? */
  together(tree: number, a: number, b: number): boolean {
    const r = this.rootOf(tree, a)
    return r !== NOT_IN_TREE && r === this.rootOf(tree, b)
  }

  /**
   * The tree neighbour of `node` on the path toward `target`, or undefined if either is outside the tree or they are
   * in different subtrees (no tree path joins them).
   */
  towards(tree: number, node: number, target: number): string | undefined {
    if (!this.inTree(tree, node) || !this.inTree(tree, target) || node === target || !this.together(tree, node, target)) return undefined
    const parents = this.body.parents[tree]!
    // Walk target's ancestors; if `node` is one, the next hop is the child on that path; else it is node's parent.
    let prev = -1
    for (let x = target; x >= 0; x = parents[x]!) {
      if (x === node) return this.body.nodes[prev]!
      prev = x
    }
    const par = parents[node]!
    return par >= 0 ? this.body.nodes[par]! : undefined
  }
}

/** The tree an item travels on: its hash mod K (first 4 bytes, big-endian). */
export const treeOf = (id: Uint8Array, trees: number): number => (((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0) % trees

/** A candidate's coordinator score for an epoch: SHA-256(epoch || node id), hex. Lower publishes first. */
export function coordinatorScore(epoch: number, id: string): string {
  const key = `${epoch}/${id}`
  let s = scoreMemo.get(key)
  if (s === undefined) {
    const e = Buffer.alloc(4)
    e.writeUInt32BE(epoch)
    s = createHash('sha256').update(e).update(Buffer.from(id, 'hex')).digest('hex')
    if (scoreMemo.size >= 100_000) scoreMemo.clear()
    scoreMemo.set(key, s)
  }
  return s
}
/** Every node ranks the same few hundred ids each epoch: remember the scores. */
const scoreMemo = new Map<string, string>()

/** Coordinator ranking for an epoch: candidates sorted by score. Rank 0 publishes first. */
export function coordinatorRanking(epoch: number, candidates: Iterable<string>): string[] {
  const scored = [...candidates].map((id) => ({ id, s: coordinatorScore(epoch, id) }))
  scored.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0))
  return scored.map((x) => x.id)
}

/** The 32-byte challenge a coordinator's plan quote binds: the epoch, the coordinator's node id and the body hash. */
export function planChallenge(bodyBytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(PLAN_DOMAIN).update(bodyBytes).digest())
}

/** What the enclave signs: SHA-256 is applied by the signer over PLAN_DOMAIN || body. */
export function planSigningBytes(bodyBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(PLAN_DOMAIN.length + bodyBytes.length)
  out.set(PLAN_DOMAIN)
  out.set(bodyBytes, PLAN_DOMAIN.length)
  return out
}
