/**
 * List-append: transactions append unique values to lists (`["append", k, v]`)
 * and read whole lists (`["r", k, [v1, v2, ...]]`). Because every read of a
 * key is the list of all appends that read saw, in order, reads reveal the
 * version order directly: every read must be a prefix of the longest one
 * (else `incompatible-order`), and the longest is the key's version order.
 *
 * From it, for each key:
 * - ww: the writer of each element precedes the writer of the next;
 * - wr: the writer of a read's last element precedes the reader;
 * - rw: a reader precedes the writer of the first element it did not see.
 *
 * Non-cycle anomalies found on the way: `duplicate-elements` (a value twice
 * in one read), `internal` (a read that disagrees with the transaction's own
 * earlier reads and appends), `future-read` (a read that shows an append the
 * same transaction makes later), `G1a` (an aborted append observed), `G1b`
 * (a read ending in an append its writer followed with another to the same
 * key), `dirty-update` (an aborted append followed by committed ones in the
 * version order), `garbage-read` (an element nobody appended),
 * `lost-update` (two committed transactions that read the same version of a
 * key and both appended to it).
 */
import { UsageError } from "../../errors/index.js";
import {
  AnomalyLog,
  type CycleStep,
  type DuplicateWrite,
  Interner,
  show,
  type WorkloadAnalysis,
} from "./anomaly.js";
import { type GraphBuilder, NONE, RW, WR, WW } from "./graph.js";
import type { Scalar, Transactions } from "./transactions.js";

interface ListRead {
  txn: number;
  key: number;
  values: number[];
}

export function analyzeListAppend(
  input: Transactions,
  graph: (nodeCount: number) => GraphBuilder,
): {
  analysis: WorkloadAnalysis;
  builder: GraphBuilder | undefined;
} {
  const { txns, failed } = input;
  const keys = new Interner<Scalar>();
  const values = new Interner<unknown>();
  const anomalies = new AnomalyLog();
  const notes: string[] = [];
  const writers: Map<number, number>[] = [];
  const intermediate: Set<number>[] = [];
  const aborted: Map<number, number>[] = [];
  const duplicateOps = new Map<string, DuplicateWrite>();
  const keyTable = <T>(table: T[], key: number, make: () => T): T => {
    while (table.length <= key) table.push(make());
    return table[key]!;
  };
  const duplicate = (key: number, value: number, ops: number[]) => {
    const id = `${key}:${value}`;
    const entry = duplicateOps.get(id) ?? {
      key: keys.items[key]!,
      value: values.items[value],
      ops: [],
    };
    for (const op of ops) if (!entry.ops.includes(op)) entry.ops.push(op);
    duplicateOps.set(id, entry);
  };
  // Pass 1: who appended what. A value appended twice makes the inference unsound.
  for (const txn of txns) {
    const lastAppend = new Map<number, number>();
    for (const [f, k, v] of txn.ops) {
      if (f !== "append") continue;
      const key = keys.id(k);
      const value = values.id(v);
      const byValue = keyTable(writers, key, () => new Map());
      const previous = byValue.get(value);
      if (previous !== undefined) duplicate(key, value, [txns[previous]!.opIndex, txn.opIndex]);
      else byValue.set(value, txn.id);
      const before = lastAppend.get(key);
      if (before !== undefined) keyTable(intermediate, key, () => new Set()).add(before);
      lastAppend.set(key, value);
    }
  }
  for (const { opIndex, ops } of failed) {
    for (const [f, k, v] of ops) {
      if (f !== "append") continue;
      const key = keys.id(k);
      const value = values.id(v);
      const writer = keyTable(writers, key, () => new Map()).get(value);
      const byValue = keyTable(aborted, key, () => new Map());
      const abortedBefore = byValue.get(value);
      if (writer !== undefined) duplicate(key, value, [txns[writer]!.opIndex, opIndex]);
      else if (abortedBefore !== undefined) duplicate(key, value, [abortedBefore, opIndex]);
      else byValue.set(value, opIndex);
    }
  }
  const duplicates = [...duplicateOps.values()];
  const describe = (step: CycleStep, name: (op: number) => string) => describeStep(step, name);
  const analysis: WorkloadAnalysis = { keys, values, anomalies, duplicates, notes, describe };
  if (duplicates.length > 0) return { analysis, builder: undefined };

  // Pass 2: reads of committed transactions.
  const reads: ListRead[] = [];
  const longest: number[][] = [];
  const lostUpdate = new Map<string, { key: number; value: number; txns: number[] }>();
  for (const txn of txns) {
    if (!txn.committed) continue;
    const where = `op ${txn.opIndex}`;
    let appended: Map<number, number[]> | undefined;
    let readHere: Map<number, number[]> | undefined;
    let expectedHere: Map<number, { known: boolean; list: number[] }> | undefined;
    let laterAppends: Map<number, Set<number>> | undefined;
    for (const [f, k, v] of txn.ops) {
      if (f !== "append") continue;
      const key = keys.id(k);
      laterAppends ??= new Map();
      const set = laterAppends.get(key) ?? new Set();
      set.add(values.id(v));
      laterAppends.set(key, set);
    }
    for (const [f, k, v] of txn.ops) {
      const key = keys.id(k);
      if (f === "append") {
        const value = values.id(v);
        laterAppends!.get(key)!.delete(value);
        appended ??= new Map();
        const mine = appended.get(key);
        if (mine === undefined) {
          appended.set(key, [value]);
          // Read then appended, with no append of its own before: a candidate lost update.
          const seen = readHere?.get(key);
          if (seen !== undefined) {
            const last = seen.length > 0 ? seen[seen.length - 1]! : NONE;
            const id = `${key}:${last}`;
            const group = lostUpdate.get(id) ?? { key, value: last, txns: [] };
            group.txns.push(txn.id);
            lostUpdate.set(id, group);
          }
        } else mine.push(value);
        expectedHere ??= new Map();
        const expected = expectedHere.get(key);
        if (expected) expected.list = [...expected.list, value];
        else expectedHere.set(key, { known: false, list: [value] });
        continue;
      }
      if (v !== null && !Array.isArray(v))
        throw new UsageError(`expected a read of key ${show(k)} to be a list or null, got ${show(v)}`, where);
      const list = ((v ?? []) as unknown[]).map((element) => values.id(element));
      if (new Set(list).size !== list.length) {
        anomalies.add("duplicate-elements", {
          ops: [txn.opIndex],
          key: k,
          value: v,
          explanation: `${where} read key ${show(k)} as ${show(v)}, which holds the same element twice`,
        });
      }
      // What this transaction's own reads and appends say the read must be:
      // the last read plus appends since, or (no read yet) something ending in its appends.
      const expected = expectedHere?.get(key);
      if (expected && (expected.known ? !sameList(expected.list, list) : !endsWith(list, expected.list))) {
        const shown = show(expected.list.map((id) => values.items[id]));
        anomalies.add("internal", {
          ops: [txn.opIndex],
          key: k,
          value: v,
          explanation: expected.known
            ? `${where} read key ${show(k)} as ${show(v)}, but its own earlier read and appends say it must be ${shown}`
            : `${where} read key ${show(k)} as ${show(v)} after appending ${shown} to it, which the read must end with`,
        });
      }
      expectedHere ??= new Map();
      expectedHere.set(key, { known: true, list });
      const later = laterAppends?.get(key);
      if (later && list.some((id) => later.has(id))) {
        anomalies.add("future-read", {
          ops: [txn.opIndex],
          key: k,
          value: v,
          explanation: `${where} read key ${show(k)} as ${show(v)}, which holds an append the same transaction makes only later`,
        });
      }
      readPointAnomalies(txn.id, key, list);
      readHere ??= new Map();
      readHere.set(key, list);
      reads.push({ txn: txn.id, key, values: list });
      const best = longest[key];
      if (best === undefined || best.length < list.length) longest[key] = list;
    }
  }

  function readPointAnomalies(reader: number, key: number, list: readonly number[]): void {
    const opIndex = txns[reader]!.opIndex;
    const where = `op ${opIndex}`;
    const k = keys.items[key]!;
    const byWriter = writers[key];
    for (const element of list) {
      const abortedBy = aborted[key]?.get(element);
      if (abortedBy !== undefined) {
        anomalies.add("G1a", {
          ops: [opIndex, abortedBy],
          key: k,
          value: values.items[element],
          explanation: `${where} read key ${show(k)} and saw ${show(values.items[element])}, appended by op ${abortedBy}, which failed (aborted read)`,
        });
      } else if (byWriter?.get(element) === undefined) {
        anomalies.add("garbage-read", {
          ops: [opIndex],
          key: k,
          value: values.items[element],
          explanation: `${where} read key ${show(k)} and saw ${show(values.items[element])}, which no transaction appended`,
        });
      }
    }
    if (list.length === 0) return;
    const last = list[list.length - 1]!;
    const writer = byWriter?.get(last);
    if (writer !== undefined && intermediate[key]?.has(last) && writer !== reader) {
      anomalies.add("G1b", {
        ops: [opIndex, txns[writer]!.opIndex],
        key: k,
        value: values.items[last],
        explanation: `${where} read key ${show(k)} ending in ${show(values.items[last])}, an intermediate state: op ${txns[writer]!.opIndex} appended more to that key in the same transaction (intermediate read)`,
      });
    }
  }

  // Version orders: every read a prefix of the longest.
  const incompatible = new Set<number>();
  for (const read of reads) {
    const order = longest[read.key]!;
    if (isPrefix(read.values, order) || incompatible.has(read.key)) continue;
    incompatible.add(read.key);
    const k = keys.items[read.key]!;
    const longestReader = reads.find((r) => r.key === read.key && r.values === order);
    anomalies.add("incompatible-order", {
      ops: [txns[read.txn]!.opIndex, ...(longestReader ? [txns[longestReader.txn]!.opIndex] : [])],
      key: k,
      value: read.values.map((id) => values.items[id]),
      longest: order.map((id) => values.items[id]),
      explanation: `op ${txns[read.txn]!.opIndex} read key ${show(k)} as ${show(read.values.map((id) => values.items[id]))}, which is not a prefix of ${show(order.map((id) => values.items[id]))} read elsewhere: no single order of appends explains both`,
    });
  }
  if (incompatible.size > 0)
    notes.push(
      `${incompatible.size} keys have incompatible version orders; no ww or rw edges were inferred on them`,
    );

  const builder = graph(txns.length);
  for (let key = 0; key < longest.length; key++) {
    const order = longest[key];
    if (order === undefined || incompatible.has(key)) continue;
    const byWriter = writers[key];
    let abortedAt = -1;
    for (let i = 0; i < order.length; i++) {
      const value = order[i]!;
      if (aborted[key]?.has(value)) abortedAt = abortedAt === -1 ? i : abortedAt;
      else if (abortedAt !== -1 && byWriter?.get(value) !== undefined) {
        const k = keys.items[key]!;
        anomalies.add("dirty-update", {
          ops: [aborted[key]!.get(order[abortedAt]!)!, txns[byWriter.get(value)!]!.opIndex],
          key: k,
          value: values.items[value],
          explanation: `key ${show(k)}: the aborted append of ${show(values.items[order[abortedAt]!])} (op ${aborted[key]!.get(order[abortedAt]!)}) was followed by a committed append of ${show(values.items[value])} (op ${txns[byWriter.get(value)!]!.opIndex}) (dirty update)`,
        });
        abortedAt = -2;
      }
    }
  }
  // wr: the writer of a read's last element precedes the reader.
  // ww and rw, per append (Elle's inference): the element appended just before
  // it in the version order — or, for an append no read shows, the last element
  // read at all, since a committed append missing from the longest read came
  // after it — was written before it, and everyone who read the key ending
  // there did not see it.
  const readersOf: Map<number, number[]>[] = [];
  for (const read of reads) {
    const byWriter = writers[read.key];
    const list = read.values;
    const last = list.length > 0 ? list[list.length - 1]! : NONE;
    if (last !== NONE) {
      const writer = byWriter?.get(last);
      if (writer !== undefined) builder.add(writer, read.txn, WR, read.key, last);
    }
    const byLast = keyTable(readersOf, read.key, () => new Map());
    const readers = byLast.get(last);
    if (readers === undefined) byLast.set(last, [read.txn]);
    else if (readers[readers.length - 1] !== read.txn) readers.push(read.txn);
  }
  const positionIn: (Map<number, number> | undefined)[] = [];
  const distinctOrders: (number[] | undefined)[] = [];
  const versionOrder = (key: number): number[] => {
    let order = distinctOrders[key];
    if (order === undefined) {
      const read = longest[key] ?? [];
      order = new Set(read).size === read.length ? read : [...new Set(read)];
      distinctOrders[key] = order;
    }
    return order;
  };
  for (const txn of txns) {
    for (const [f, k, v] of txn.ops) {
      if (f !== "append") continue;
      const key = keys.find(k);
      if (incompatible.has(key)) continue;
      const value = values.find(v);
      // A duplicated element (its own anomaly) counts once, where first read.
      const order = versionOrder(key);
      let positions = positionIn[key];
      if (positions === undefined) {
        positions = new Map(order.map((id, i) => [id, i]));
        positionIn[key] = positions;
      }
      const at = positions.get(value);
      const previous =
        at === undefined
          ? order.length > 0
            ? order[order.length - 1]!
            : NONE
          : at > 0
            ? order[at - 1]!
            : NONE;
      if (previous !== NONE) {
        const writer = writers[key]?.get(previous);
        if (writer !== undefined) builder.add(writer, txn.id, WW, key, previous, value);
      }
      for (const reader of readersOf[key]?.get(previous) ?? [])
        builder.add(reader, txn.id, RW, key, previous, value);
    }
  }
  for (const group of lostUpdate.values()) {
    if (group.txns.length < 2) continue;
    const k = keys.items[group.key]!;
    const ops = group.txns.map((id) => txns[id]!.opIndex);
    const version = group.value === NONE ? "empty" : `ending in ${show(values.items[group.value])}`;
    anomalies.add("lost-update", {
      ops,
      key: k,
      value: group.value === NONE ? undefined : values.items[group.value],
      explanation: `ops ${ops.join(", ")} all read key ${show(k)} ${version} and then appended to it: all but one of those appends was lost (lost update)`,
    });
  }
  return { analysis, builder };
}

const sameList = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const endsWith = (list: readonly number[], suffix: readonly number[]): boolean =>
  list.length >= suffix.length && suffix.every((x, i) => list[list.length - suffix.length + i] === x);

function isPrefix(prefix: readonly number[], list: readonly number[]): boolean {
  if (prefix === list) return true;
  if (prefix.length > list.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== list[i]) return false;
  return true;
}

function describeStep(step: CycleStep, name: (op: number) => string): string {
  const from = name(step.from);
  const to = name(step.to);
  switch (step.type) {
    case "ww":
      return `${to} appended ${show(step.value)} after ${from} appended ${show(step.previous)} to key ${show(step.key)}`;
    case "wr":
      return `${to} observed ${from}'s append of ${show(step.value)} to key ${show(step.key)}`;
    case "rw":
      return `${from} read key ${show(step.key)} ${step.previous === undefined ? "empty" : `ending in ${show(step.previous)}`}, without ${to}'s append of ${show(step.value)}`;
    case "process":
      return `${from} completed before ${to} began, on process ${step.process}`;
    case "realtime":
      return `${from} completed before ${to} began`;
  }
}
