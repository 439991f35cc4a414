/**
 * What the transactional checkers report, and the shared vocabulary of the
 * two workloads: interned keys and values, and non-cycle anomalies in words.
 */
import type { Scalar } from "./transactions.js";

/** One step of a cycle: `from` must precede `to` because of `type` on `key`. Transactions are named by op index. */
export interface CycleStep {
  type: "ww" | "wr" | "rw" | "process" | "realtime";
  from: number;
  to: number;
  key?: Scalar;
  /** ww: what `to` wrote; wr: what `to` read of `from`'s writes; rw: the write of `to` that `from` did not see. */
  value?: unknown;
  /** ww: what `from` wrote; rw: the last value `from` saw (absent: it saw none). */
  previous?: unknown;
  /** process: the process both ran on. */
  process?: number | string;
}

export interface CycleAnomaly {
  /** The transactions of the cycle, as op indices (completions), in order. */
  cycle: number[];
  steps: CycleStep[];
  explanation: string;
}

export interface OpAnomaly {
  /** The ops concerned, as op indices. */
  ops: number[];
  key?: Scalar;
  value?: unknown;
  explanation: string;
  [detail: string]: unknown;
}

export type TxnAnomaly = CycleAnomaly | OpAnomaly;

/**
 * Dense ids for keys and values, in first-seen order. `1` and `"1"` are
 * different ids. Small non-negative integers — what generated workloads use
 * for keys and values — are looked up in a typed array instead of the map,
 * since interning runs once per element of every read.
 */
export class Interner<T> {
  private readonly ids = new Map<T, number>();
  private small = new Int32Array(256).fill(-1);
  readonly items: T[] = [];
  id(item: T): number {
    if (typeof item === "number" && item >= 0 && item < SMALL_MAX && Number.isInteger(item)) {
      if (item >= this.small.length) this.growSmall(item);
      const known = this.small[item]!;
      if (known !== -1) return known;
      const id = this.items.length;
      this.items.push(item);
      this.small[item] = id;
      return id;
    }
    let id = this.ids.get(item);
    if (id === undefined) {
      id = this.items.length;
      this.ids.set(item, id);
      this.items.push(item);
    }
    return id;
  }
  /** The id, or -1 when never seen. */
  find(item: T): number {
    if (typeof item === "number" && item >= 0 && item < SMALL_MAX && Number.isInteger(item))
      return item < this.small.length ? this.small[item]! : -1;
    return this.ids.get(item) ?? -1;
  }
  private growSmall(item: number): void {
    let size = this.small.length;
    while (size <= item) size *= 2;
    const grown = new Int32Array(size).fill(-1);
    grown.set(this.small);
    this.small = grown;
  }
}

/** Integers below this are interned through the typed array (4 MiB at most). */
const SMALL_MAX = 1 << 20;

/** A value as it is written in explanations: JSON, so `"7"` and `7` read differently. */
export const show = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value));

/** Non-cycle anomalies by type, in the order found. */
export class AnomalyLog {
  readonly byType = new Map<string, OpAnomaly[]>();
  add(type: string, anomaly: OpAnomaly): void {
    const list = this.byType.get(type) ?? [];
    list.push(anomaly);
    this.byType.set(type, list);
  }
}

/** A write that two transactions (or one, twice) made: the inference needs unique writes. */
export interface DuplicateWrite {
  key: Scalar;
  value: unknown;
  /** Op indices of the writers. */
  ops: number[];
}

/** What a workload's analysis hands the shared pipeline. */
export interface WorkloadAnalysis {
  /** Keys and values by id (an `Interner`, or a columnar history's tables). */
  readonly keys: { readonly items: readonly Scalar[] };
  readonly values: { readonly items: readonly unknown[] };
  readonly anomalies: AnomalyLog;
  readonly duplicates: DuplicateWrite[];
  /** Notes for the result: what was assumed, what could not be inferred. */
  readonly notes: string[];
  /** Words for a dependency edge, for explanations. */
  describe(step: CycleStep, name: (op: number) => string): string;
}
