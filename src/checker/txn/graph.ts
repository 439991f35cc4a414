/**
 * The dependency graph between transactions, integer-indexed throughout:
 * nodes are transaction ids, edges live in typed arrays (source, target,
 * kind, and the key and values that explain them), and adjacency is a
 * compressed sparse row built once. Strongly connected components come from
 * an iterative Tarjan (no recursion, so a million-node chain cannot overflow
 * the stack), restricted to the edge kinds a caller names.
 */
import { type Arena, NO_ARENA } from "./arena.js";

/** Edge kinds, as bits so a search can name the kinds it may follow. */
export const WW = 1;
export const WR = 2;
export const RW = 4;
export const PROCESS = 8;
export const REALTIME = 16;
export const DEPENDENCY = WW | WR | RW;

export const KIND_NAMES: Readonly<Record<number, "ww" | "wr" | "rw" | "process" | "realtime">> = {
  [WW]: "ww",
  [WR]: "wr",
  [RW]: "rw",
  [PROCESS]: "process",
  [REALTIME]: "realtime",
};

/** An absent key or value in an edge's evidence (process and real-time edges; a read of nothing). */
export const NONE = -1;

export class GrowableInt32 {
  data: Int32Array;
  length = 0;
  /** The first `capacity` come from `arena`; growth beyond it is ordinary allocation. */
  constructor(capacity = 1024, arena: Arena = NO_ARENA) {
    this.data = arena.int32(capacity);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  trimmed(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/** A growable byte array (edge kinds). */
class GrowableUint8 {
  data: Uint8Array;
  length = 0;
  constructor(capacity: number, arena: Arena) {
    this.data = arena.uint8(capacity);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Uint8Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
}

/**
 * Collects edges; `build()` freezes them into a `Graph`. Self-edges are
 * dropped: they are no cycle. Only dependency edges (ww, wr, rw) carry
 * evidence (key and values); process and real-time edges, most of the edges
 * of a history with real-time order, carry none. Sized up front for about
 * ten edges per node: every regrowth of a large typed array is external
 * memory the collector answers with a full collection of the whole heap,
 * history included.
 */
export class GraphBuilder {
  private readonly from: GrowableInt32;
  private readonly to: GrowableInt32;
  private readonly kind: GrowableUint8;
  /**
   * Per edge, its evidence row; made only once a dependency edge follows a
   * process or real-time one. Until then (the usual order: the workload's
   * edges, then process, then real time) the row of edge e is e itself for
   * every dependency edge, and 4 bytes per edge are saved.
   */
  private evidence: GrowableInt32 | undefined;
  private readonly key: GrowableInt32;
  private readonly valueA: GrowableInt32;
  private readonly valueB: GrowableInt32;

  constructor(
    readonly nodeCount: number,
    private readonly arena: Arena = NO_ARENA,
  ) {
    const capacity = Math.max(1024, nodeCount * 10);
    const dependencies = Math.max(1024, nodeCount * 5);
    this.from = new GrowableInt32(capacity, arena);
    this.to = new GrowableInt32(capacity, arena);
    this.kind = new GrowableUint8(capacity, arena);
    this.key = new GrowableInt32(dependencies, arena);
    this.valueA = new GrowableInt32(dependencies, arena);
    this.valueB = new GrowableInt32(dependencies, arena);
  }

  /** `key`, `valueA` (what the source wrote or saw), `valueB` (what the target wrote) are interned ids, or NONE. */
  add(from: number, to: number, kind: number, key = NONE, valueA = NONE, valueB = NONE): void {
    if (from === to) return;
    this.from.push(from);
    this.to.push(to);
    this.kind.push(kind);
    if ((kind & DEPENDENCY) === 0) {
      this.evidence?.push(NONE);
      return;
    }
    if (this.evidence === undefined && this.key.length !== this.from.length - 1)
      this.evidence = this.rowsSoFar();
    this.evidence?.push(this.key.length);
    this.key.push(key);
    this.valueA.push(valueA);
    this.valueB.push(valueB);
  }

  /** Evidence rows of the edges before the last one, while rows are still implicit (e for the first `key.length` edges). */
  private rowsSoFar(): GrowableInt32 {
    const rows = new GrowableInt32(Math.max(1024, this.from.data.length));
    const dependencies = this.key.length;
    for (let e = 0; e < this.from.length - 1; e++) rows.push(e < dependencies ? e : NONE);
    return rows;
  }

  get edgeCount(): number {
    return this.from.length;
  }

  build(): Graph {
    const n = this.nodeCount;
    const edgeCount = this.from.length;
    const from = this.from.trimmed();
    const offsets = this.arena.int32(n + 1);
    for (let e = 0; e < edgeCount; e++) offsets[from[e]! + 1]!++;
    for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
    const fill = this.arena.int32(n);
    fill.set(offsets.subarray(0, n));
    const adjacency = this.arena.int32(edgeCount);
    for (let e = 0; e < edgeCount; e++) adjacency[fill[from[e]!]!++] = e;
    return {
      nodeCount: n,
      edgeCount,
      from,
      to: this.to.trimmed(),
      kind: this.kind.data.subarray(0, edgeCount),
      evidence: this.evidence?.trimmed(),
      dependencyPrefix: this.key.length,
      key: this.key.trimmed(),
      valueA: this.valueA.trimmed(),
      valueB: this.valueB.trimmed(),
      offsets,
      adjacency,
    };
  }
}

export interface Graph {
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly kind: Uint8Array;
  /**
   * Per edge, its row in `key`/`valueA`/`valueB`, or NONE (process and
   * real-time edges); undefined when the first `dependencyPrefix` edges are
   * the dependency edges, each its own row (see `evidenceRow`).
   */
  readonly evidence: Int32Array | undefined;
  readonly dependencyPrefix: number;
  readonly key: Int32Array;
  readonly valueA: Int32Array;
  readonly valueB: Int32Array;
  /** Edges out of node v are `adjacency[offsets[v] .. offsets[v+1])` (edge ids). */
  readonly offsets: Int32Array;
  readonly adjacency: Int32Array;
}

/** Edge `e`'s row in `key`/`valueA`/`valueB`, or NONE. */
export function evidenceRow(graph: Graph, e: number): number {
  if (graph.evidence !== undefined) return graph.evidence[e]!;
  return e < graph.dependencyPrefix ? e : NONE;
}

export interface Components {
  /** Component of each node; -1 for nodes outside `nodes`. Components are numbered in Tarjan's emission order (reverse topological). */
  readonly componentOf: Int32Array;
  /** Components with more than one node: their nodes. */
  readonly nontrivial: Int32Array[];
}

/**
 * Tarjan's strongly connected components over edges whose kind is in
 * `mask`, among `nodes` (all when omitted; `inside(v)` says membership).
 * Iterative: an explicit stack of (node, next edge position) frames.
 */
export function stronglyConnected(
  graph: Graph,
  mask: number,
  nodes?: Int32Array,
  inside?: (node: number) => boolean,
  arena: Arena = NO_ARENA,
): Components {
  const n = graph.nodeCount;
  const index = arena.int32(n).fill(-1);
  const low = arena.int32(n);
  const componentOf = arena.int32(n).fill(-1);
  const onStack = arena.uint8(n);
  const stack = arena.int32(nodes?.length ?? n);
  let stackTop = 0;
  const frameNode = arena.int32(nodes?.length ?? n);
  const frameEdge = arena.int32(nodes?.length ?? n);
  let counter = 0;
  let componentCount = 0;
  const nontrivial: Int32Array[] = [];
  const { offsets, adjacency, to, kind } = graph;
  const roots = nodes ?? null;
  const rootCount = roots ? roots.length : n;
  for (let r = 0; r < rootCount; r++) {
    const root = roots ? roots[r]! : r;
    if (index[root] !== -1) continue;
    let depth = 0;
    frameNode[0] = root;
    frameEdge[0] = offsets[root]!;
    index[root] = low[root] = counter++;
    stack[stackTop++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = frameNode[depth]!;
      let position = frameEdge[depth]!;
      const end = offsets[v + 1]!;
      let descended = false;
      while (position < end) {
        const e = adjacency[position++]!;
        if ((kind[e]! & mask) === 0) continue;
        const w = to[e]!;
        if (inside && !inside(w)) continue;
        if (index[w] === -1) {
          frameEdge[depth] = position;
          depth++;
          frameNode[depth] = w;
          frameEdge[depth] = offsets[w]!;
          index[w] = low[w] = counter++;
          stack[stackTop++] = w;
          onStack[w] = 1;
          descended = true;
          break;
        }
        if (onStack[w] && index[w]! < low[v]!) low[v] = index[w]!;
      }
      if (descended) continue;
      if (low[v] === index[v]) {
        let size = 0;
        let w: number;
        const start = stackTop;
        do {
          w = stack[--stackTop]!;
          onStack[w] = 0;
          componentOf[w] = componentCount;
          size++;
        } while (w !== v);
        if (size > 1) nontrivial.push(stack.slice(stackTop, start));
        componentCount++;
      }
      depth--;
      if (depth >= 0) {
        const parent = frameNode[depth]!;
        if (low[v]! < low[parent]!) low[parent] = low[v]!;
      }
    }
  }
  return { componentOf, nontrivial };
}
