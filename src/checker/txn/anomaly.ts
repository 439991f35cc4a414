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
  /** list-append rw: the whole list `from` read (a prefix of the key's version order, ending in `previous`). */
  read?: unknown[];
  /** The edge with the values that justify it, transactions named by op index: `rw key x (T3 read [1 2], T5 appended 3)`. */
  label: string;
}

export interface CycleAnomaly {
  /** The transactions of the cycle, as op indices (completions), in order. */
  cycle: number[];
  steps: CycleStep[];
  /** Which workload's words the edges are in (appended or wrote). */
  workload: "list-append" | "rw-register";
  /** The cycle on one line, each edge labelled: `T3 -rw key x (T3 read [1 2], T5 appended 3)-> T5 -wr x=3-> T3`. */
  diagram: string;
  explanation: string;
}

/** Lists longer than this are shown by their ends in edge labels: `[1 2 …28 more… 31 32]`. */
const LABEL_LIST_MAX = 8;

/** A key or value as edge labels write it, EDN-like: `x`, `3`, `[1 2]`; strings quoted only when they must be. */
export function labelValue(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (Array.isArray(value)) {
    const shown =
      value.length <= LABEL_LIST_MAX
        ? value.map(labelValue)
        : [
            ...value.slice(0, 2).map(labelValue),
            `…${value.length - 4} more…`,
            ...value.slice(-2).map(labelValue),
          ];
    return `[${shown.join(" ")}]`;
  }
  if (typeof value === "string")
    return /^[\w.:/-]+$/.test(value) && !/^-?\d/.test(value) ? value : JSON.stringify(value);
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

/**
 * The label of one edge of a cycle, `from` and `to` being the names of its
 * transactions: ww `ww key x (T1 appended 2, T2 appended 3)`, wr `wr x=3`
 * (what `to` read of `from`'s write), rw `rw key x (T1 read [1 2], T2
 * appended 3)`, `process 4`, `realtime`. rw-register says `wrote` for
 * `appended` and shows the single value read.
 */
export function edgeLabel(
  step: CycleStep,
  workload: CycleAnomaly["workload"],
  from: string,
  to: string,
): string {
  const verb = workload === "list-append" ? "appended" : "wrote";
  const key = labelValue(step.key);
  switch (step.type) {
    case "ww":
      return `ww key ${key} (${from} ${verb} ${labelValue(step.previous)}, ${to} ${verb} ${labelValue(step.value)})`;
    case "wr":
      return `wr ${key}=${labelValue(step.value)}`;
    case "rw": {
      const read =
        workload === "list-append"
          ? labelValue(step.read ?? (step.previous === undefined ? [] : ["…", step.previous]))
          : labelValue(step.previous);
      return `rw key ${key} (${from} read ${read}, ${to} ${verb} ${labelValue(step.value)})`;
    }
    case "process":
      return `process ${labelValue(step.process)}`;
    case "realtime":
      return "realtime";
  }
}

/** A cycle on one line: `T1 -wr x=3-> T2 -rw key x (...)-> T1`, with `name` naming each transaction (op index). */
export function cycleDiagram(
  steps: readonly CycleStep[],
  workload: CycleAnomaly["workload"],
  name: (op: number) => string,
): string {
  if (steps.length === 0) return "";
  const edges = steps.map(
    (step) => ` -${edgeLabel(step, workload, name(step.from), name(step.to))}-> ${name(step.to)}`,
  );
  return `${name(steps[0]!.from)}${edges.join("")}`;
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
  /** list-append: the whole list a read of `key` ending in `last` saw (ids; NONE for an empty read), when the version order says. */
  readList?(key: number, last: number): unknown[] | undefined;
}
