/**
 * Read-write registers: transactions write unique values (`["w", k, v]`) and
 * read them (`["r", k, v]`, `null` for the initial state). A read shows only
 * one version, so the version order of each key must be inferred, as Elle
 * does, from what is certain:
 * - the initial state (`null`) precedes every written version;
 * - a transaction that read v1 and then wrote v2 to the same key ordered
 *   v1 before v2 (write follows read, within a transaction);
 * - opt-in: `sequential-keys` — each key is sequentially consistent, so the
 *   versions one process touches on a key follow its program order;
 *   `linearizable-keys` — each key is linearizable, so versions follow real
 *   time (a transaction that completed before another began precedes it).
 * A cycle in a key's version order is `cyclic-versions`, and that key
 * yields no ww or rw edges.
 *
 * Edges: ww between the writers of successive versions; wr from the writer
 * of a read value to its reader; rw from a reader of v to the writer of each
 * version right after v. Non-cycle anomalies: `internal`, `future-read`,
 * `G1a`, `G1b`, `garbage-read`, `lost-update`.
 */
import type { ProcessId } from "../../history/op.js";
import {
  AnomalyLog,
  type CycleStep,
  type DuplicateWrite,
  Interner,
  show,
  type WorkloadAnalysis,
} from "./anomaly.js";
import type { GraphBuilder } from "./graph.js";
import { RW, WR, WW } from "./graph.js";
import {
  failedObjects,
  type Scalar,
  type Transaction,
  type Transactions,
  transactionObjects,
} from "./transactions.js";

export type KeyAssumption = "sequential-keys" | "linearizable-keys";

/** For one transaction and key: the version it started from (external read, else its write) and ended with. */
interface Touch {
  first: number;
  last: number;
}

export function analyzeRwRegister(
  input: Transactions,
  graph: (nodeCount: number) => GraphBuilder,
  assume: KeyAssumption | undefined,
): { analysis: WorkloadAnalysis; builder: GraphBuilder | undefined } {
  // Not the hot path the list-append one is: transactions as objects.
  const txns = transactionObjects(input);
  const failed = failedObjects(input);
  const keys = new Interner<Scalar>();
  const values = new Interner<unknown>();
  const initial = values.id(null);
  const anomalies = new AnomalyLog();
  const notes: string[] = [];
  const writers = new Map<number, Map<number, number>>();
  const intermediate = new Map<number, Set<number>>();
  const aborted = new Map<number, Map<number, number>>();
  const duplicateOps = new Map<string, DuplicateWrite>();
  const inner = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
    let value = map.get(key);
    if (value === undefined) {
      value = make();
      map.set(key, value);
    }
    return value;
  };
  const duplicate = (key: number, value: number, ops: number[]) => {
    const entry = inner(duplicateOps, `${key}:${value}`, () => ({
      key: keys.items[key]!,
      value: values.items[value],
      ops: [] as number[],
    }));
    for (const op of ops) if (!entry.ops.includes(op)) entry.ops.push(op);
  };
  for (const txn of txns) {
    const lastWrite = new Map<number, number>();
    for (const [f, k, v] of txn.ops) {
      if (f !== "w") continue;
      const key = keys.id(k);
      const value = values.id(v);
      const byValue = inner(writers, key, () => new Map());
      const previous = byValue.get(value);
      if (previous !== undefined || value === initial)
        duplicate(
          key,
          value,
          previous === undefined ? [txn.opIndex] : [txns[previous]!.opIndex, txn.opIndex],
        );
      else byValue.set(value, txn.id);
      const before = lastWrite.get(key);
      if (before !== undefined) inner(intermediate, key, () => new Set()).add(before);
      lastWrite.set(key, value);
    }
  }
  for (const { opIndex, ops } of failed) {
    for (const [f, k, v] of ops) {
      if (f !== "w") continue;
      const key = keys.id(k);
      const value = values.id(v);
      const writer = writers.get(key)?.get(value);
      const byValue = inner(aborted, key, () => new Map());
      if (writer !== undefined) duplicate(key, value, [txns[writer]!.opIndex, opIndex]);
      else if (byValue.has(value)) duplicate(key, value, [byValue.get(value)!, opIndex]);
      else byValue.set(value, opIndex);
    }
  }
  const duplicates = [...duplicateOps.values()];
  const analysis: WorkloadAnalysis = {
    keys,
    values,
    anomalies,
    duplicates,
    notes,
    describe: describeStep,
  };
  if (duplicates.length > 0) return { analysis, builder: undefined };

  // Reads, and what each committed transaction did to each key.
  const reads: { txn: number; key: number; value: number }[] = [];
  const touches: (Map<number, Touch> | undefined)[] = new Array(txns.length);
  /** Version order edges per key: from → successors. */
  const versions = new Map<number, Map<number, Set<number>>>();
  const order = (key: number, before: number, after: number) => {
    if (before === after) return;
    inner(
      inner(versions, key, () => new Map()),
      before,
      () => new Set(),
    ).add(after);
  };
  const lostUpdate = new Map<string, { key: number; value: number; txns: number[] }>();
  for (const txn of txns) {
    if (!txn.committed) continue;
    const where = `op ${txn.opIndex}`;
    const written = new Map<number, number>();
    const readHere = new Map<number, number>();
    const touched = new Map<number, Touch>();
    touches[txn.id] = touched;
    for (const [f, k, v] of txn.ops) {
      const key = keys.id(k);
      const value = values.id(v);
      if (f === "w") {
        if (!written.has(key) && readHere.has(key)) {
          const seen = readHere.get(key)!;
          order(key, seen, value);
          const group = inner(lostUpdate, `${key}:${seen}`, () => ({
            key,
            value: seen,
            txns: [] as number[],
          }));
          group.txns.push(txn.id);
        }
        written.set(key, value);
        const touch = touched.get(key);
        if (touch) touch.last = value;
        else touched.set(key, { first: value, last: value });
        continue;
      }
      const own = written.get(key);
      const previous = readHere.get(key);
      if (own !== undefined || previous !== undefined) {
        const expected = own ?? previous!;
        if (expected !== value) {
          anomalies.add("internal", {
            ops: [txn.opIndex],
            key: k,
            value: v,
            explanation: `${where} read key ${show(k)} as ${show(v)}, but its own ${own !== undefined ? "earlier write" : "earlier read"} says it must be ${show(values.items[expected])}`,
          });
        }
        continue;
      }
      readHere.set(key, value);
      touched.set(key, { first: value, last: value });
      reads.push({ txn: txn.id, key, value });
      const writer = writers.get(key)?.get(value);
      const abortedBy = aborted.get(key)?.get(value);
      if (abortedBy !== undefined) {
        anomalies.add("G1a", {
          ops: [txn.opIndex, abortedBy],
          key: k,
          value: v,
          explanation: `${where} read key ${show(k)} = ${show(v)}, written by op ${abortedBy}, which failed (aborted read)`,
        });
      } else if (writer === txn.id) {
        anomalies.add("future-read", {
          ops: [txn.opIndex],
          key: k,
          value: v,
          explanation: `${where} read key ${show(k)} = ${show(v)}, which the same transaction writes only later`,
        });
      } else if (writer === undefined && value !== initial) {
        anomalies.add("garbage-read", {
          ops: [txn.opIndex],
          key: k,
          value: v,
          explanation: `${where} read key ${show(k)} = ${show(v)}, which no transaction wrote`,
        });
      } else if (writer !== undefined && intermediate.get(key)?.has(value)) {
        anomalies.add("G1b", {
          ops: [txn.opIndex, txns[writer]!.opIndex],
          key: k,
          value: v,
          explanation: `${where} read key ${show(k)} = ${show(v)}, an intermediate state: op ${txns[writer]!.opIndex} wrote that key again in the same transaction (intermediate read)`,
        });
      }
    }
  }
  if (assume === "sequential-keys") orderByProcess(txns, touches, order);
  else if (assume === "linearizable-keys") orderByRealTime(input, touches, order);

  // The initial state precedes every version with no other predecessor.
  for (const [key, byValue] of writers) {
    const successors = versions.get(key);
    const hasPredecessor = new Set<number>();
    for (const [from, tos] of successors ?? [])
      if (from !== initial) for (const to of tos) hasPredecessor.add(to);
    for (const value of byValue.keys()) if (!hasPredecessor.has(value)) order(key, initial, value);
  }

  const cyclic = new Set<number>();
  for (const [key, successors] of versions) {
    const cycle = findCycle(successors);
    if (!cycle) continue;
    cyclic.add(key);
    const k = keys.items[key]!;
    anomalies.add("cyclic-versions", {
      ops: cycle
        .map((value) => writers.get(key)?.get(value))
        .flatMap((id) => (id === undefined ? [] : [txns[id]!.opIndex])),
      key: k,
      value: cycle.map((value) => values.items[value]),
      explanation: `key ${show(k)}: the versions ${cycle.map((value) => show(values.items[value])).join(" < ")} < ${show(values.items[cycle[0]!])} must each precede the next, a cycle: no version order exists`,
    });
  }
  if (cyclic.size > 0)
    notes.push(`${cyclic.size} keys have cyclic version orders; no ww or rw edges were inferred on them`);

  const builder = graph(txns.length);
  for (const [key, successors] of versions) {
    if (cyclic.has(key)) continue;
    const byValue = writers.get(key);
    for (const [from, tos] of successors) {
      const writerFrom = byValue?.get(from);
      if (writerFrom === undefined) continue;
      for (const to of tos) {
        const writerTo = byValue?.get(to);
        if (writerTo !== undefined) builder.add(writerFrom, writerTo, WW, key, from, to);
      }
    }
  }
  for (const read of reads) {
    const byValue = writers.get(read.key);
    const writer = byValue?.get(read.value);
    if (writer !== undefined) builder.add(writer, read.txn, WR, read.key, read.value);
    if (cyclic.has(read.key)) continue;
    for (const next of versions.get(read.key)?.get(read.value) ?? []) {
      const nextWriter = byValue?.get(next);
      if (nextWriter !== undefined) builder.add(read.txn, nextWriter, RW, read.key, read.value, next);
    }
  }
  for (const group of lostUpdate.values()) {
    if (group.txns.length < 2) continue;
    const k = keys.items[group.key]!;
    const ops = group.txns.map((id) => txns[id]!.opIndex);
    anomalies.add("lost-update", {
      ops,
      key: k,
      value: values.items[group.value],
      explanation: `ops ${ops.join(", ")} all read key ${show(k)} = ${show(values.items[group.value])} and then wrote it: all but one of those writes was lost (lost update)`,
    });
  }
  return { analysis, builder };
}

/** sequential-keys: per process, the versions of a key follow program order. */
function orderByProcess(
  txns: readonly Transaction[],
  touches: readonly (Map<number, Touch> | undefined)[],
  order: (key: number, before: number, after: number) => void,
): void {
  const lastByProcess = new Map<ProcessId, Map<number, number>>();
  for (const txn of txns) {
    const touched = touches[txn.id];
    if (!touched) continue;
    let last = lastByProcess.get(txn.process);
    if (!last) {
      last = new Map();
      lastByProcess.set(txn.process, last);
    }
    for (const [key, touch] of touched) {
      const before = last.get(key);
      if (before !== undefined) order(key, before, touch.first);
      last.set(key, touch.last);
    }
  }
}

/**
 * linearizable-keys: a transaction that completed before another began
 * precedes it on every key both touched. A sweep in history order keeps, per
 * key, the frontier of completed transactions not yet followed by another
 * completed one (the transitive reduction), so edges stay near n × concurrency.
 */
function orderByRealTime(
  input: Transactions,
  touches: readonly (Map<number, Touch> | undefined)[],
  order: (key: number, before: number, after: number) => void,
): void {
  const events: { at: number; txn: number; complete: boolean }[] = [];
  for (let id = 0; id < input.count; id++) {
    if (!touches[id]) continue;
    events.push({ at: input.invokeAt[id]!, txn: id, complete: false });
    events.push({ at: input.completeAt[id]!, txn: id, complete: true });
  }
  events.sort((a, b) => a.at - b.at);
  const frontier = new Map<number, Set<number>>();
  const seenAtInvoke = new Map<number, Map<number, number[]>>();
  for (const { txn, complete } of events) {
    const touched = touches[txn]!;
    if (!complete) {
      const snapshot = new Map<number, number[]>();
      for (const [key, touch] of touched) {
        const completed = [...(frontier.get(key) ?? [])];
        snapshot.set(key, completed);
        for (const before of completed) order(key, touches[before]!.get(key)!.last, touch.first);
      }
      seenAtInvoke.set(txn, snapshot);
      continue;
    }
    for (const [key, preceding] of seenAtInvoke.get(txn)!) {
      let set = frontier.get(key);
      if (!set) {
        set = new Set();
        frontier.set(key, set);
      }
      for (const before of preceding) set.delete(before);
      set.add(txn);
    }
    seenAtInvoke.delete(txn);
  }
}

/** A cycle in a small directed graph (iterative DFS with colors), or undefined. */
function findCycle(successors: Map<number, Set<number>>): number[] | undefined {
  const color = new Map<number, number>();
  for (const root of successors.keys()) {
    if (color.has(root)) continue;
    const stack: { node: number; next: Iterator<number> }[] = [
      { node: root, next: (successors.get(root) ?? new Set<number>()).values() },
    ];
    color.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const step = top.next.next();
      if (step.done) {
        color.set(top.node, 2);
        stack.pop();
        continue;
      }
      const next = step.value;
      const state = color.get(next);
      if (state === 1) {
        const start = stack.findIndex((frame) => frame.node === next);
        return stack.slice(start).map((frame) => frame.node);
      }
      if (state === undefined) {
        color.set(next, 1);
        stack.push({ node: next, next: (successors.get(next) ?? new Set<number>()).values() });
      }
    }
  }
  return undefined;
}

function describeStep(step: CycleStep, name: (op: number) => string): string {
  const from = name(step.from);
  const to = name(step.to);
  switch (step.type) {
    case "ww":
      return `${to} wrote key ${show(step.key)} = ${show(step.value)} after ${from} wrote ${show(step.previous)}`;
    case "wr":
      return `${to} read key ${show(step.key)} = ${show(step.value)}, written by ${from}`;
    case "rw":
      return `${from} read key ${show(step.key)} = ${show(step.previous ?? null)}, which ${to} overwrote with ${show(step.value)}`;
    case "process":
      return `${from} completed before ${to} began, on process ${step.process}`;
    case "realtime":
      return `${from} completed before ${to} began`;
  }
}
