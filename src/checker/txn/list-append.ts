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
 * An append no read shows, by a transaction that committed, came after the
 * longest read (else that read would show it): it follows the key's last
 * observed element, as Elle infers.
 *
 * Reads are kept as references into the history (no copies): a read is its
 * transaction, key, length and last element; the longest read of each key is
 * the only one turned into ids.
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
import type { Arena } from "./arena.js";
import { type GraphBuilder, GrowableInt32, NONE, RW, WR, WW } from "./graph.js";
import type { MicroOp, Scalar, Transactions } from "./transactions.js";
import { WriteIndex } from "./writers.js";

/** The reads of committed transactions, as parallel arrays (one entry per read micro-op), off the heap but for `raw`. */
class Reads {
  readonly txn: GrowableInt32;
  readonly key: GrowableInt32;
  /** Value id of the last element, NONE for an empty read. */
  readonly last: GrowableInt32;
  constructor(capacity: number, arena: Arena) {
    this.txn = new GrowableInt32(capacity, arena);
    this.key = new GrowableInt32(capacity, arena);
    this.last = new GrowableInt32(capacity, arena);
  }
  readonly raw: (readonly unknown[])[] = [];
  get length(): number {
    return this.raw.length;
  }
}

const EMPTY: readonly unknown[] = [];

export function analyzeListAppend(
  input: Transactions,
  graph: (nodeCount: number) => GraphBuilder,
): {
  analysis: WorkloadAnalysis;
  builder: GraphBuilder | undefined;
} {
  const { failed } = input;
  const count = input.count;
  const opIndexOf = input.opIndex;
  const opsOf = input.ops;
  const keys = new Interner<Scalar>();
  const values = new Interner<unknown>();
  const anomalies = new AnomalyLog();
  const notes: string[] = [];
  // Exact sizes for the write index and the reads, from the counts taken while collecting.
  const writes = new WriteIndex(Math.max(1024, input.writeCount), input.arena);
  const aborted: Map<number, number>[] = [];
  const duplicateOps = new Map<string, DuplicateWrite>();
  const keyTable = <T>(table: T[], key: number, make: () => T): T => {
    while (table.length <= key) table.push(make());
    return table[key]!;
  };
  const duplicate = (key: number, value: number, ops: number[]) => {
    const id = `${key}:${value}`;
    const entry = duplicateOps.get(id) ?? { key: keys.items[key]!, value: values.items[value], ops: [] };
    for (const op of ops) if (!entry.ops.includes(op)) entry.ops.push(op);
    duplicateOps.set(id, entry);
  };
  // Pass 1: who appended what. A value appended twice makes the inference unsound.
  // Transactions are small (a handful of micro-ops), so "is there a later append
  // to the same key" is a scan of the rest of the transaction, not a map.
  for (let txn = 0; txn < count; txn++) {
    const ops = opsOf[txn]!;
    for (let i = 0; i < ops.length; i++) {
      // Indexed, not destructured: array destructuring runs the iterator protocol, per micro-op.
      const micro = ops[i]!;
      const f = micro[0];
      const k = micro[1];
      const v = micro[2];
      if (f !== "append") continue;
      const key = keys.id(k);
      const value = values.id(v);
      let intermediate = false;
      for (let j = i + 1; j < ops.length; j++) {
        const later = ops[j]!;
        if (later[0] === "append" && later[1] === k) {
          intermediate = true;
          break;
        }
      }
      const previous = writes.add(key, value, txn, intermediate);
      if (previous !== -1)
        duplicate(key, value, [opIndexOf[writes.writer.data[previous]!]!, opIndexOf[txn]!]);
    }
  }
  for (const { opIndex, ops } of failed) {
    for (const micro of ops) {
      if (micro[0] !== "append") continue;
      const k = micro[1];
      const v = micro[2];
      const key = keys.id(k);
      const value = values.id(v);
      const writer = writes.writerOf(key, value);
      const byValue = keyTable(aborted, key, () => new Map());
      const abortedBefore = byValue.get(value);
      if (writer !== undefined) duplicate(key, value, [opIndexOf[writer]!, opIndex]);
      else if (abortedBefore !== undefined) duplicate(key, value, [abortedBefore, opIndex]);
      else byValue.set(value, opIndex);
    }
  }
  const duplicates = [...duplicateOps.values()];
  const describe = (step: CycleStep, name: (op: number) => string) => describeStep(step, name);
  const analysis: WorkloadAnalysis = { keys, values, anomalies, duplicates, notes, describe };
  if (duplicates.length > 0) return { analysis, builder: undefined };

  // Pass 2: reads of committed transactions. What a transaction's own earlier
  // micro-ops say a read must be is found by scanning back (transactions are
  // short): the last read of the key plus the appends since, or, with no
  // earlier read, something that ends with the appends so far.
  const reads = new Reads(Math.max(1024, input.microOpCount - input.writeCount), input.arena);
  /** Per key, the index in `reads` of its longest read. */
  const longestRead: number[] = [];
  // Lost-update candidates: (key, last element read) → the first transaction, in an
  // off-heap pair table (the last element is stored shifted by one, so NONE fits);
  // a group is made only for a pair seen twice, which a valid history never has.
  const firstCandidate = new WriteIndex(1024);
  const lostUpdate = new Map<string, { key: number; value: number; txns: number[] }>();
  for (let txn = 0; txn < count; txn++) {
    if (input.committed[txn] !== 1) continue;
    const ops = opsOf[txn]!;
    const opIndex = opIndexOf[txn]!;
    for (let i = 0; i < ops.length; i++) {
      const micro = ops[i]!;
      const k = micro[1];
      const v = micro[2];
      if (micro[0] === "append") {
        lostUpdateCandidate(txn, ops, i);
        continue;
      }
      if (v !== null && !Array.isArray(v))
        throw new UsageError(
          `expected a read of key ${show(k)} to be a list or null, got ${show(v)}`,
          `op ${opIndex}`,
        );
      const key = keys.id(k);
      const raw = (v ?? EMPTY) as readonly unknown[];
      // Only the last element is interned here: duplicates within a read are
      // found below, once per key on its longest read (a prefix of it holds a
      // duplicate exactly when it reaches the first repeat), element by element
      // only for a read that is not a prefix.
      const last = raw.length === 0 ? NONE : values.id(raw[raw.length - 1]);
      internalCheck(opIndex, ops, i);
      // Future read: an append this transaction makes later is already in the read.
      for (let j = i + 1; j < ops.length; j++) {
        const later = ops[j]!;
        if (later[0] !== "append" || later[1] !== k || !raw.includes(later[2])) continue;
        anomalies.add("future-read", {
          ops: [opIndex],
          key: k,
          value: v,
          explanation: `op ${opIndex} read key ${show(k)} as ${show(v)}, which holds an append the same transaction makes only later`,
        });
        break;
      }
      if (aborted[key] !== undefined) abortedReads(txn, key, raw);
      const index = reads.length;
      reads.txn.push(txn);
      reads.key.push(key);
      reads.last.push(last);
      reads.raw.push(raw);
      const best = longestRead[key];
      if (best === undefined || reads.raw[best]!.length < raw.length) longestRead[key] = index;
    }
  }

  /** Read earlier in this transaction, then appended with no append of its own before: a candidate lost update. */
  function lostUpdateCandidate(txn: number, ops: readonly MicroOp[], i: number): void {
    const k = ops[i]![1];
    let readAt = -1;
    for (let j = i - 1; j >= 0; j--) {
      const earlier = ops[j]!;
      if (earlier[1] !== k) continue;
      if (earlier[0] === "append") return;
      if (readAt === -1) readAt = j;
    }
    if (readAt === -1) return;
    const list = (ops[readAt]![2] ?? EMPTY) as readonly unknown[];
    const key = keys.id(k);
    const last = list.length > 0 ? values.id(list[list.length - 1]) : NONE;
    const first = firstCandidate.writerOf(key, last + 1);
    if (first === undefined) {
      firstCandidate.add(key, last + 1, txn, false);
      return;
    }
    const id = `${key}:${last}`;
    const group = lostUpdate.get(id) ?? { key, value: last, txns: [first] };
    group.txns.push(txn);
    lostUpdate.set(id, group);
  }

  function internalCheck(opIndex: number, ops: readonly MicroOp[], i: number): void {
    const k = ops[i]![1];
    const v = ops[i]![2];
    const list = (v ?? EMPTY) as readonly unknown[];
    // Scan back to the last read of k, counting the appends to k after it.
    let readAt = -1;
    let appends = 0;
    for (let j = i - 1; j >= 0; j--) {
      const earlier = ops[j]!;
      if (earlier[1] !== k) continue;
      if (earlier[0] === "append") appends++;
      else {
        readAt = j;
        break;
      }
    }
    if (readAt === -1 && appends === 0) return;
    const expected: unknown[] = readAt === -1 ? [] : [...((ops[readAt]![2] ?? EMPTY) as readonly unknown[])];
    for (let j = readAt + 1; j < i; j++) {
      const earlier = ops[j]!;
      if (earlier[0] === "append" && earlier[1] === k) expected.push(earlier[2]);
    }
    const offset = list.length - expected.length;
    const ok =
      (readAt === -1 ? offset >= 0 : offset === 0) &&
      expected.every((value, e) => list[offset + e] === value);
    if (ok) return;
    anomalies.add("internal", {
      ops: [opIndex],
      key: k,
      value: v,
      explanation:
        readAt === -1
          ? `op ${opIndex} read key ${show(k)} as ${show(list)} after appending ${show(expected)} to it, which the read must end with`
          : `op ${opIndex} read key ${show(k)} as ${show(list)}, but its own earlier read and appends say it must be ${show(expected)}`,
    });
  }

  function abortedReads(reader: number, key: number, list: readonly unknown[]): void {
    const opIndex = opIndexOf[reader]!;
    const k = keys.items[key]!;
    for (const element of list) {
      const abortedBy = aborted[key]!.get(values.id(element));
      if (abortedBy === undefined) continue;
      anomalies.add("G1a", {
        ops: [opIndex, abortedBy],
        key: k,
        value: element,
        explanation: `op ${opIndex} read key ${show(k)} and saw ${show(element)}, appended by op ${abortedBy}, which failed (aborted read)`,
      });
    }
  }

  /** `write` is the write of `last` on `key`, or -1. */
  function intermediateRead(reader: number, key: number, last: number, write: number): void {
    if (write === -1 || writes.intermediate.data[write] !== 1) return;
    const writer = writes.writer.data[write]!;
    if (writer === reader) return;
    const k = keys.items[key]!;
    anomalies.add("G1b", {
      ops: [opIndexOf[reader]!, opIndexOf[writer]!],
      key: k,
      value: values.items[last],
      explanation: `op ${opIndexOf[reader]!} read key ${show(k)} ending in ${show(values.items[last])}, an intermediate state: op ${opIndexOf[writer]!} appended more to that key in the same transaction (intermediate read)`,
    });
  }

  // Version orders: the longest read of each key, as ids; every read must be a prefix of it.
  // `firstRepeat[key]`: where the longest read first repeats an element (its length when it never does).
  const orders: (number[] | undefined)[] = [];
  const firstRepeat = new Int32Array(longestRead.length);
  let seen = new Int32Array(Math.max(1024, values.items.length));
  let stamp = 0;
  const repeatAt = (raw: readonly unknown[]): number => {
    stamp++;
    for (let e = 0; e < raw.length; e++) {
      const value = values.id(raw[e]);
      if (value >= seen.length) {
        const grown = new Int32Array(Math.max(seen.length * 2, value + 1));
        grown.set(seen);
        seen = grown;
      }
      if (seen[value] === stamp) return e;
      seen[value] = stamp;
    }
    return raw.length;
  };
  for (let key = 0; key < longestRead.length; key++) {
    const index = longestRead[key];
    if (index === undefined) continue;
    const longest = reads.raw[index]!;
    const order = new Array<number>(longest.length);
    for (let e = 0; e < longest.length; e++) order[e] = values.id(longest[e]);
    orders[key] = order;
    firstRepeat[key] = repeatAt(longest);
  }
  const incompatible = new Set<number>();
  for (let r = 0; r < reads.length; r++) {
    const key = reads.key.data[r]!;
    const longest = reads.raw[longestRead[key]!]!;
    const raw = reads.raw[r]!;
    const prefix = raw === longest || isPrefix(raw, longest);
    if (prefix ? raw.length > firstRepeat[key]! : repeatAt(raw) < raw.length) {
      const opIndex = opIndexOf[reads.txn.data[r]!]!;
      anomalies.add("duplicate-elements", {
        ops: [opIndex],
        key: keys.items[key]!,
        value: raw,
        explanation: `op ${opIndex} read key ${show(keys.items[key])} as ${show(raw)}, which holds the same element twice`,
      });
    }
    if (prefix || incompatible.has(key)) continue;
    incompatible.add(key);
    const k = keys.items[key]!;
    const other = opIndexOf[reads.txn.data[longestRead[key]!]!]!;
    anomalies.add("incompatible-order", {
      ops: [opIndexOf[reads.txn.data[r]!]!, other],
      key: k,
      value: raw,
      longest,
      explanation: `op ${opIndexOf[reads.txn.data[r]!]!} read key ${show(k)} as ${show(raw)}, which is not a prefix of ${show(longest)} read by op ${other}: no single order of appends explains both`,
    });
  }
  if (incompatible.size > 0)
    notes.push(
      `${incompatible.size} keys have incompatible version orders; no ww or rw edges were inferred on them`,
    );
  // Elements nobody appended, and aborted appends followed by committed ones.
  for (let key = 0; key < orders.length; key++) {
    const order = orders[key];
    if (order === undefined) continue;
    const reader = opIndexOf[reads.txn.data[longestRead[key]!]!]!;
    const k = keys.items[key]!;
    let abortedAt = -1;
    for (const value of order) {
      const abortedBy = aborted[key]?.get(value);
      if (abortedBy !== undefined) {
        if (abortedAt === -1) abortedAt = abortedBy;
        continue;
      }
      const writer = writes.writerOf(key, value);
      if (writer === undefined) {
        anomalies.add("garbage-read", {
          ops: [reader],
          key: k,
          value: values.items[value],
          explanation: `op ${reader} read key ${show(k)} and saw ${show(values.items[value])}, which no transaction appended`,
        });
      } else if (abortedAt >= 0) {
        anomalies.add("dirty-update", {
          ops: [abortedAt, opIndexOf[writer]!],
          key: k,
          value: values.items[value],
          explanation: `key ${show(k)}: an append of op ${abortedAt}, which failed, was followed by the committed append of ${show(values.items[value])} (op ${opIndexOf[writer]!}) (dirty update)`,
        });
        abortedAt = -2;
      }
    }
  }

  const builder = graph(count);
  // ww, per key (Elle's inference): the writer of each element of the version
  // order precedes the writer of the next; an append no read shows came after
  // the last element read at all. `unread[key]` keeps those appenders for the
  // rw edges below.
  const unread: (number[] | undefined)[] = [];
  const duplicated = new Set<number>();
  let inOrder = new Int32Array(values.items.length);
  let orderStamp = 0;
  writes.seal(keys.items.length);
  // The write of each position of each key's version order, plus one (0: nobody's),
  // at `orderWrite[orderStart[key] + position]`: a read of a key whose reads are all
  // prefixes then finds the writes of its last element and of the next one by
  // position, instead of by two more probes of the (cache-missing) write index.
  const keyCount = keys.items.length;
  const orderStart = input.arena.int32(keyCount + 1);
  for (let key = 0; key < keyCount; key++)
    orderStart[key + 1] = orderStart[key]! + (orders[key]?.length ?? 0);
  const orderWrite = input.arena.int32(orderStart[keyCount]!);
  const keyIncompatible = input.arena.uint8(keyCount);
  for (const key of incompatible) keyIncompatible[key] = 1;
  for (let key = 0; key < keyCount; key++) {
    if (writes.countOf(key) === 0 || incompatible.has(key)) continue;
    const order = orders[key] ?? [];
    const start = orderStart[key]!;
    if (inOrder.length < values.items.length) inOrder = new Int32Array(values.items.length);
    orderStamp++;
    let previousWriter = -1;
    let previous = NONE;
    let counted = 0;
    for (let position = 0; position < order.length; position++) {
      const value = order[position]!;
      // A duplicated element (its own anomaly) counts once, where first read.
      if (inOrder[value] === orderStamp) {
        duplicated.add(key);
        continue;
      }
      inOrder[value] = orderStamp;
      const write = writes.find(key, value);
      orderWrite[start + position] = write + 1;
      const writer = write === -1 ? undefined : writes.writer.data[write]!;
      if (writer !== undefined) {
        counted++;
        if (previousWriter !== -1) builder.add(previousWriter, writer, WW, key, previous, value);
      }
      previousWriter = writer ?? -1;
      previous = value;
    }
    if (counted === writes.countOf(key)) continue;
    const after: number[] = [];
    for (const write of writes.writesOf(key)) {
      const value = writes.value.data[write]!;
      const writer = writes.writer.data[write]!;
      if (inOrder[value] === orderStamp) continue;
      after.push(writer);
      if (previousWriter !== -1) builder.add(previousWriter, writer, WW, key, previous, value);
    }
    unread[key] = after;
  }
  // wr: the writer of a read's last element precedes the reader. rw: a read is a
  // prefix of the version order, so the first element it missed is the one at
  // its length; a read of the whole order missed every append no read shows.
  // Intermediate reads (G1b) are found here too, from the write of the read's last element.
  for (let r = 0; r < reads.length; r++) {
    const key = reads.key.data[r]!;
    const txn = reads.txn.data[r]!;
    const last = reads.last.data[r]!;
    if (keyIncompatible[key] === 0 && !duplicated.has(key)) {
      // Every read of the key is a prefix of its order: positions, no lookups.
      const length = reads.raw[r]!.length;
      const start = orderStart[key]!;
      if (last !== NONE) {
        const write = orderWrite[start + length - 1]! - 1;
        intermediateRead(txn, key, last, write);
        if (write !== -1) builder.add(writes.writer.data[write]!, txn, WR, key, last);
      }
      if (writes.countOf(key) === 0) continue;
      if (start + length < orderStart[key + 1]!) {
        const write = orderWrite[start + length]! - 1;
        if (write !== -1) builder.add(txn, writes.writer.data[write]!, RW, key, last, orders[key]![length]!);
      } else {
        for (const writer of unread[key] ?? [])
          builder.add(txn, writer, RW, key, last, lastAppendOf(key, writer));
      }
      continue;
    }
    if (last !== NONE) {
      const write = writes.find(key, last);
      intermediateRead(txn, key, last, write);
      if (write !== -1) builder.add(writes.writer.data[write]!, txn, WR, key, last);
    }
    if (incompatible.has(key) || writes.countOf(key) === 0) continue;
    const order = orders[key] ?? [];
    let length = reads.raw[r]!.length;
    if (duplicated.has(key)) length = new Set(reads.raw[r]!).size;
    const distinct = duplicated.has(key) ? [...new Set(order)] : order;
    if (length < distinct.length) {
      const next = distinct[length]!;
      const writer = writes.writerOf(key, next);
      if (writer !== undefined) builder.add(txn, writer, RW, key, last, next);
    } else {
      for (const writer of unread[key] ?? [])
        builder.add(txn, writer, RW, key, last, lastAppendOf(key, writer));
    }
  }

  /** The value `writer` appended last to `key` (for the evidence of an rw edge to an unread append). */
  function lastAppendOf(key: number, writer: number): number {
    const k = keys.items[key]!;
    const ops = opsOf[writer]!;
    for (let j = ops.length - 1; j >= 0; j--)
      if (ops[j]![0] === "append" && ops[j]![1] === k) return values.id(ops[j]![2]);
    return NONE;
  }
  for (const group of lostUpdate.values()) {
    const k = keys.items[group.key]!;
    const ops = group.txns.map((id) => opIndexOf[id]!);
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

function isPrefix(prefix: readonly unknown[], list: readonly unknown[]): boolean {
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
