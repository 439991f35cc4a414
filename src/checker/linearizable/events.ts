/**
 * The search's doubly-linked list of events in real-time order, in two typed
 * arrays. The call of op `i` is node `i`, its return node `n + i`, and node
 * `2n` is the head. Linearizing an op lifts its call and return out of the
 * list; backtracking puts them back exactly where they were (Knuth's dancing
 * links), so neither allocates.
 *
 * `info` ops have no return node: they complete at +infinity.
 */
import type { PreparedOp } from "./prepare.js";

/** The end of the list. */
export const NIL = -1;

/** Slots per event (positions per event) up to which events are placed by position instead of sorted. */
const SLOTS_PER_EVENT_MAX = 4;

export class EventList {
  /** `next[node]`: the following node, or `NIL`. Read directly by the search's walk. */
  readonly next: Int32Array;
  /** The head node, before the first event. */
  readonly head: number;
  private readonly prev: Int32Array;
  private readonly hasReturn: Uint8Array;
  private readonly n: number;

  constructor(ops: readonly Pick<PreparedOp, "callAt" | "returnAt">[]) {
    const n = ops.length;
    this.n = n;
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1).fill(NIL);
    this.prev = new Int32Array(2 * n + 1).fill(NIL);
    this.hasReturn = new Uint8Array(n);
    if (!this.linkByPosition(ops)) this.linkBySorting(ops);
  }

  /**
   * Ordered by history position, when the positions are distinct integers spanning not much more than
   * the events (one partition's ops of a history checked whole): each event is put in a slot per
   * position and the slots are read in order, with no sort. False, having linked nothing, otherwise.
   */
  private linkByPosition(ops: readonly Pick<PreparedOp, "callAt" | "returnAt">[]): boolean {
    const n = this.n;
    if (n === 0) return true;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      if (op.callAt < min) min = op.callAt;
      if (op.callAt > max) max = op.callAt;
      if (Number.isFinite(op.returnAt) && op.returnAt > max) max = op.returnAt;
    }
    const span = max - min + 1;
    if (!(span <= SLOTS_PER_EVENT_MAX * (2 * n + 1))) return false;
    const slots = new Int32Array(span).fill(NIL);
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      const call = op.callAt - min;
      if (!Number.isInteger(call) || slots[call] !== NIL) return false;
      slots[call] = i;
      if (Number.isFinite(op.returnAt)) {
        const ret = op.returnAt - min;
        if (!Number.isInteger(ret) || slots[ret] !== NIL || ret <= call) return false;
        slots[ret] = n + i;
      }
    }
    let last = this.head;
    for (let p = 0; p < span; p++) {
      const id = slots[p]!;
      if (id === NIL) continue;
      this.next[last] = id;
      this.prev[id] = last;
      last = id;
      if (id >= n) this.hasReturn[id - n] = 1;
    }
    return true;
  }

  /** Ordered by history position, by sorting: any positions (ties: calls first, then by node). */
  private linkBySorting(ops: readonly Pick<PreparedOp, "callAt" | "returnAt">[]): void {
    const n = this.n;
    // Each event is one number, its position (calls at 2p, returns at 2p + 1,
    // so a call sorts first) times the node count plus its node, sorted natively with no objects or
    // comparator (an object per event and a comparator cost more than the rest of this constructor).
    // Positions and nodes are below 2^26 each in any history that fits in memory, so the product stays exact.
    const nodes = 2 * n + 1;
    const keys = new Float64Array(2 * n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      keys[count++] = op.callAt * 2 * nodes + i;
      if (Number.isFinite(op.returnAt)) {
        keys[count++] = (op.returnAt * 2 + 1) * nodes + n + i;
        this.hasReturn[i] = 1;
      }
    }
    const sorted = keys.subarray(0, count).sort();
    let last = this.head;
    for (let e = 0; e < count; e++) {
      const key = sorted[e]!;
      const id = key % nodes;
      this.next[last] = id;
      this.prev[id] = last;
      last = id;
    }
  }

  /** The first event still in the list (`NIL` when empty). */
  first(): number {
    return this.next[this.head]!;
  }

  /** Take op `i`'s call and return out of the list. */
  lift(i: number): void {
    const next = this.next;
    const prev = this.prev;
    next[prev[i]!] = next[i]!;
    if (next[i]! !== NIL) prev[next[i]!] = prev[i]!;
    if (this.hasReturn[i]) {
      const r = this.n + i;
      next[prev[r]!] = next[r]!;
      if (next[r]! !== NIL) prev[next[r]!] = prev[r]!;
    }
  }

  /** Put op `i`'s call and return back; the reverse of the last `lift` still in effect. */
  unlift(i: number): void {
    const next = this.next;
    const prev = this.prev;
    if (this.hasReturn[i]) {
      const r = this.n + i;
      next[prev[r]!] = r;
      if (next[r]! !== NIL) prev[next[r]!] = r;
    }
    next[prev[i]!] = i;
    if (next[i]! !== NIL) prev[next[i]!] = i;
  }
}
