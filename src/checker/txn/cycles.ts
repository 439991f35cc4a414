/**
 * Cycle search inside one strongly connected component, Elle's way: each
 * anomaly class is a start edge kind, the kinds a path may follow back, and
 * a bound on the anti-dependency (rw) edges. For every start edge a → b of
 * the right kind, a breadth-first search looks for the shortest way from b
 * back to a, tracking a small state (how many rw edges so far, capped at 2;
 * whether the last edge was rw; whether two rw edges were adjacent) so that
 * G-single (exactly one rw), G-nonadjacent (two or more, never adjacent) and
 * G2-item (two adjacent) are told apart during the search, not after it.
 *
 * Whatever is found is classified again from its own edges (`classify`), so
 * the name reported is always the name of the cycle shown. The search is
 * bounded by a deadline: when it passes, the class is "not searched to the
 * end" and the verdict cannot be `valid` on its account.
 */
import { type Components, type Graph, PROCESS, REALTIME, RW, stronglyConnected, WR, WW } from "./graph.js";

export interface CycleSpec {
  readonly name: string;
  /** Kinds the first edge may have (the edge that makes the class: wr for G1c, rw for G-single, ...). */
  readonly start: number;
  /** Kinds the rest of the cycle may use. */
  readonly path: number;
  readonly minRw: number;
  readonly maxRw: number;
  /** No two rw edges next to each other (cyclically). */
  readonly nonadjacent: boolean;
  /** Some two rw edges next to each other. */
  readonly adjacent: boolean;
}

const base = (name: string, start: number, path: number, rw: [number, number], shape = ""): CycleSpec => ({
  name,
  start,
  path,
  minRw: rw[0],
  maxRw: rw[1],
  nonadjacent: shape === "nonadjacent",
  adjacent: shape === "adjacent",
});

const MANY = Number.POSITIVE_INFINITY;
const D = WW | WR;

/** Every cycle class, most severe first (Elle's severity order: data anomalies, then process, then real time). */
export const CYCLE_SPECS: readonly CycleSpec[] = [
  base("G0", WW, WW, [0, 0]),
  base("G1c", WR, D, [0, 0]),
  base("G-single", RW, D, [1, 1]),
  base("G-nonadjacent", RW, D | RW, [2, MANY], "nonadjacent"),
  base("G2-item", RW, D | RW, [2, MANY], "adjacent"),
  base("G0-process", PROCESS, WW | PROCESS, [0, 0]),
  base("G1c-process", PROCESS, D | PROCESS, [0, 0]),
  base("G-single-process", PROCESS, D | RW | PROCESS, [1, 1]),
  base("G-nonadjacent-process", PROCESS, D | RW | PROCESS, [2, MANY], "nonadjacent"),
  base("G2-item-process", PROCESS, D | RW | PROCESS, [2, MANY], "adjacent"),
  base("G0-realtime", REALTIME, WW | PROCESS | REALTIME, [0, 0]),
  base("G1c-realtime", REALTIME, D | PROCESS | REALTIME, [0, 0]),
  base("G-single-realtime", REALTIME, D | RW | PROCESS | REALTIME, [1, 1]),
  base("G-nonadjacent-realtime", REALTIME, D | RW | PROCESS | REALTIME, [2, MANY], "nonadjacent"),
  base("G2-item-realtime", REALTIME, D | RW | PROCESS | REALTIME, [2, MANY], "adjacent"),
];

/** Name of a simple cycle from its edges' kinds, in order. */
export function classify(kinds: readonly number[]): string {
  let rw = 0;
  let wr = 0;
  let process = 0;
  let realtime = 0;
  let adjacent = false;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    if (kind === RW) {
      rw++;
      if (kinds[(i + 1) % kinds.length] === RW && kinds.length > 1) adjacent = true;
    } else if (kind === WR) wr++;
    else if (kind === PROCESS) process++;
    else if (kind === REALTIME) realtime++;
  }
  const name =
    rw === 0 ? (wr === 0 ? "G0" : "G1c") : rw === 1 ? "G-single" : adjacent ? "G2-item" : "G-nonadjacent";
  return realtime > 0 ? `${name}-realtime` : process > 0 ? `${name}-process` : name;
}

/** A cycle as edge ids, in order: edge i ends where edge i+1 starts, the last ends where the first starts. */
export type CycleEdges = number[];

const STATES = 12;
const stateOf = (lastRw: number, rwCount: number, adjacent: number): number =>
  lastRw + 2 * rwCount + 6 * adjacent;

/** Scratch space for searches in components of up to `capacity` nodes, reused across searches. */
export class CycleSearcher {
  private stamp: Int32Array = new Int32Array(0);
  private parentSlot: Int32Array = new Int32Array(0);
  private parentEdge: Int32Array = new Int32Array(0);
  private queue: Int32Array = new Int32Array(0);
  private generation = 0;
  private readonly localOf: Int32Array;
  /** Breadth-first expansions done, for the bench. */
  expansions = 0;

  constructor(private readonly graph: Graph) {
    this.localOf = new Int32Array(graph.nodeCount).fill(-1);
  }

  /**
   * Search one component for one class. Returns the cycle, `undefined` when
   * there is none, or `"timeout"` when the deadline (ms, performance.now())
   * passed first.
   */
  search(nodes: Int32Array, spec: CycleSpec, deadlineMs: number): CycleEdges | undefined | "timeout" {
    if (performance.now() > deadlineMs) return "timeout";
    const { graph } = this;
    const size = nodes.length;
    if (this.stamp.length < size * STATES) {
      this.stamp = new Int32Array(size * STATES);
      this.parentSlot = new Int32Array(size * STATES);
      this.parentEdge = new Int32Array(size * STATES);
      this.queue = new Int32Array(size * STATES);
      this.generation = 0;
    }
    for (let i = 0; i < size; i++) this.localOf[nodes[i]!] = i;
    try {
      const reach = size >= 64 ? this.reachability(nodes, spec.path) : undefined;
      const { offsets, adjacency, to, kind } = graph;
      let tries = 0;
      for (let i = 0; i < size; i++) {
        const a = nodes[i]!;
        for (let p = offsets[a]!; p < offsets[a + 1]!; p++) {
          const e = adjacency[p]!;
          if ((kind[e]! & spec.start) === 0) continue;
          const b = to[e]!;
          if (this.localOf[b] === -1) continue;
          // b must reach a along path edges: in Tarjan order a's component is emitted no later than b's.
          if (reach && reach.componentOf[a]! > reach.componentOf[b]!) continue;
          if ((++tries & 63) === 0 && performance.now() > deadlineMs) return "timeout";
          const found = this.bfs(e, spec, deadlineMs);
          if (found === "timeout") return found;
          if (found) return found;
        }
      }
      return undefined;
    } finally {
      for (let i = 0; i < size; i++) this.localOf[nodes[i]!] = -1;
    }
  }

  private reachability(nodes: Int32Array, mask: number): Components {
    return stronglyConnected(this.graph, mask, nodes, (v) => this.localOf[v] !== -1);
  }

  private bfs(startEdge: number, spec: CycleSpec, deadlineMs: number): CycleEdges | undefined | "timeout" {
    const { offsets, adjacency, to, kind, from } = this.graph;
    const { localOf, stamp, parentSlot, parentEdge, queue } = this;
    const generation = ++this.generation;
    const a = from[startEdge]!;
    const b = to[startEdge]!;
    const startKind = kind[startEdge]!;
    const startRw = startKind === RW ? 1 : 0;
    if (startRw > spec.maxRw) return undefined;
    let head = 0;
    let tail = 0;
    const first = localOf[b]! * STATES + stateOf(startRw, startRw, 0);
    stamp[first] = generation;
    parentSlot[first] = -1;
    parentEdge[first] = startEdge;
    queue[tail++] = first;
    while (head < tail) {
      const slot = queue[head++]!;
      if ((++this.expansions & 4095) === 0 && performance.now() > deadlineMs) return "timeout";
      const v = this.nodeAt(slot);
      const state = slot % STATES;
      const lastRw = state & 1;
      const rwCount = Math.floor(state / 2) % 3;
      const adjacent = state >= 6 ? 1 : 0;
      for (let p = offsets[v]!; p < offsets[v + 1]!; p++) {
        const e = adjacency[p]!;
        const k = kind[e]!;
        if ((k & spec.path) === 0) continue;
        const w = to[e]!;
        const local = localOf[w]!;
        if (local === -1) continue;
        let nextLast = 0;
        let nextRw = rwCount;
        let nextAdjacent = adjacent;
        if (k === RW) {
          if (spec.nonadjacent && lastRw) continue;
          if (rwCount + 1 > spec.maxRw) continue;
          nextLast = 1;
          nextRw = Math.min(2, rwCount + 1);
          if (lastRw) nextAdjacent = 1;
        }
        if (w === a) {
          // Closing the cycle: the last edge meets the start edge.
          const wraps = nextLast === 1 && startRw === 1;
          if (nextRw < spec.minRw) continue;
          if (spec.nonadjacent && wraps) continue;
          if (spec.adjacent && !(nextAdjacent || wraps)) continue;
          return this.path(slot, e);
        }
        const next = local * STATES + stateOf(nextLast, nextRw, nextAdjacent);
        if (stamp[next] === generation) continue;
        stamp[next] = generation;
        parentSlot[next] = slot;
        parentEdge[next] = e;
        queue[tail++] = next;
      }
    }
    return undefined;
  }

  /** The node a search slot stands for: where the edge that reached it ends. */
  private nodeAt(slot: number): number {
    return this.graph.to[this.parentEdge[slot]!]!;
  }

  /** The edges from the start edge to `slot`, then `closing`. */
  private path(slot: number, closing: number): CycleEdges {
    const edges: number[] = [closing];
    let current = slot;
    while (current !== -1) {
      edges.push(this.parentEdge[current]!);
      current = this.parentSlot[current]!;
    }
    return edges.reverse();
  }
}

/**
 * Make a closed walk simple: while some node is left twice, keep the part
 * of the walk between the two visits that holds the first edge (the one that
 * made the class) and drop the other. Either part is a closed walk, so the
 * result is a real cycle of the graph; `classify` then names what is left.
 */
export function simplify(graph: Graph, edges: CycleEdges): CycleEdges {
  let walk = edges;
  for (;;) {
    const seenAt = new Map<number, number>();
    let cut: [number, number] | undefined;
    for (let i = 0; i < walk.length; i++) {
      const node = graph.from[walk[i]!]!;
      const before = seenAt.get(node);
      if (before !== undefined) {
        cut = [before, i];
        break;
      }
      seenAt.set(node, i);
    }
    if (!cut) return walk;
    walk = cut[0] === 0 ? walk.slice(0, cut[1]) : [...walk.slice(0, cut[0]), ...walk.slice(cut[1])];
  }
}
