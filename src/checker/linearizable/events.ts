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
    // Ordered by history position.
    const events: { at: number; id: number }[] = [];
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      events.push({ at: op.callAt * 2, id: i });
      if (Number.isFinite(op.returnAt)) {
        // A return at the same position as a call cannot happen (positions are distinct); *2+1 keeps calls first anyway.
        events.push({ at: op.returnAt * 2 + 1, id: n + i });
        this.hasReturn[i] = 1;
      }
    }
    events.sort((a, b) => a.at - b.at);
    let last = this.head;
    for (const event of events) {
      this.next[last] = event.id;
      this.prev[event.id] = last;
      last = event.id;
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
