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
 * Everything here is ids: the columnar history's keys, values and read
 * elements (see transactions.ts); a read is its transaction, key, read row and
 * last element, and the longest read of each key is its version order, a view
 * of the history's elements (no copies).
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
import { AnomalyLog, type CycleStep, type DuplicateWrite, show, type WorkloadAnalysis } from "./anomaly.js";
import type { Arena } from "./arena.js";
import { type GraphBuilder, GrowableInt32, NONE, RW, WR, WW } from "./graph.js";
import { observedOf, READ_SCALAR, type Scalar, type Transactions } from "./transactions.js";
import { WriteIndex } from "./writers.js";

/** The reads of committed transactions, as parallel arrays (one entry per read micro-op). */
class Reads {
  readonly txn: GrowableInt32;
  readonly key: GrowableInt32;
  /** Value id of the last element, NONE for an empty read. */
  readonly last: GrowableInt32;
  /** The read's row in the history's read columns. */
  readonly row: GrowableInt32;
  constructor(capacity: number, arena: Arena) {
    this.txn = new GrowableInt32(capacity, arena);
    this.key = new GrowableInt32(capacity, arena);
    this.last = new GrowableInt32(capacity, arena);
    this.row = new GrowableInt32(capacity, arena);
  }
  get length(): number {
    return this.row.length;
  }
}

export function analyzeListAppend(
  input: Transactions,
  graph: (nodeCount: number) => GraphBuilder,
): {
  analysis: WorkloadAnalysis;
  builder: GraphBuilder | undefined;
} {
  const history = input.history;
  const { microStart, microWrite, microValue, readStart, readLength, elements } = history;
  const count = input.count;
  const opIndexOf = input.opIndex;
  const rowOf = input.row;
  const { microKey, items: keyItems } = keysInCheckOrder(input);
  const keys = { items: keyItems };
  const values = { items: history.values };
  const anomalies = new AnomalyLog();
  const notes: string[] = [];
  /** Elements of a read row: `elements[startOf(row) .. startOf(row) + lengthOf(row))`. */
  const lengthOf = (read: number): number => {
    const length = readLength[read]!;
    return length < 0 ? 0 : length;
  };
  const startOf = (read: number): number => (readLength[read]! < 0 ? 0 : readStart[read]!);
  const listOf = (read: number): unknown[] => (observedOf(history, read) ?? []) as unknown[];
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
    const row = rowOf[txn]!;
    const end = microStart[row + 1]!;
    for (let m = microStart[row]!; m < end; m++) {
      if (microWrite[m] !== 1) continue;
      const key = microKey[m]!;
      const value = microValue[m]!;
      let intermediate = false;
      for (let j = m + 1; j < end; j++)
        if (microWrite[j] === 1 && microKey[j] === key) {
          intermediate = true;
          break;
        }
      const previous = writes.add(key, value, txn, intermediate);
      if (previous !== -1)
        duplicate(key, value, [opIndexOf[writes.writer.data[previous]!]!, opIndexOf[txn]!]);
    }
  }
  for (const row of input.failedRows) {
    const opIndex = history.completeIndex[row]!;
    for (let m = microStart[row]!; m < microStart[row + 1]!; m++) {
      if (microWrite[m] !== 1) continue;
      const key = microKey[m]!;
      const value = microValue[m]!;
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
  // A read that ends in `last` is the prefix of its key's version order up to `last` (its
  // first place: a key with a duplicated element has no single answer, and shows the shortest).
  const orders: (Int32Array | undefined)[] = [];
  const readList = (key: number, last: number): unknown[] | undefined => {
    if (last === NONE) return [];
    const order = orders[key];
    const at = order === undefined ? -1 : order.indexOf(last);
    return at === -1 ? undefined : Array.from(order!.subarray(0, at + 1), (value) => values.items[value]);
  };
  const analysis: WorkloadAnalysis = { keys, values, anomalies, duplicates, notes, describe, readList };
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
    const row = rowOf[txn]!;
    const start = microStart[row]!;
    const end = microStart[row + 1]!;
    const opIndex = opIndexOf[txn]!;
    for (let m = start; m < end; m++) {
      const key = microKey[m]!;
      if (microWrite[m] === 1) {
        lostUpdateCandidate(txn, start, m);
        continue;
      }
      const read = microValue[m]!;
      if (readLength[read] === READ_SCALAR)
        throw new UsageError(
          `expected a read of key ${show(keys.items[key])} to be a list or null, got ${show(values.items[readStart[read]!])}`,
          `op ${opIndex}`,
        );
      const length = lengthOf(read);
      const from = startOf(read);
      const last = length === 0 ? NONE : elements[from + length - 1]!;
      internalCheck(opIndex, start, m);
      // Future read: an append this transaction makes later is already in the read.
      for (let j = m + 1; j < end; j++) {
        if (microWrite[j] !== 1 || microKey[j] !== key) continue;
        if (elements.subarray(from, from + length).indexOf(microValue[j]!) === -1) continue;
        anomalies.add("future-read", {
          ops: [opIndex],
          key: keys.items[key]!,
          value: listOf(read),
          explanation: `op ${opIndex} read key ${show(keys.items[key])} as ${show(listOf(read))}, which holds an append the same transaction makes only later`,
        });
        break;
      }
      if (aborted[key] !== undefined) abortedReads(txn, key, read);
      const index = reads.length;
      reads.txn.push(txn);
      reads.key.push(key);
      reads.last.push(last);
      reads.row.push(read);
      const best = longestRead[key];
      if (best === undefined || lengthOf(reads.row.data[best]!) < length) longestRead[key] = index;
    }
  }

  /** Read earlier in this transaction, then appended with no append of its own before: a candidate lost update. */
  function lostUpdateCandidate(txn: number, start: number, m: number): void {
    const key = microKey[m]!;
    let readAt = -1;
    for (let j = m - 1; j >= start; j--) {
      if (microKey[j] !== key) continue;
      if (microWrite[j] === 1) return;
      if (readAt === -1) readAt = j;
    }
    if (readAt === -1) return;
    const read = microValue[readAt]!;
    const length = lengthOf(read);
    const last = length > 0 ? elements[startOf(read) + length - 1]! : NONE;
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

  function internalCheck(opIndex: number, start: number, m: number): void {
    const key = microKey[m]!;
    const read = microValue[m]!;
    // Scan back to the last read of the key, counting the appends to it after that read.
    let readAt = -1;
    let appends = 0;
    for (let j = m - 1; j >= start; j--) {
      if (microKey[j] !== key) continue;
      if (microWrite[j] === 1) appends++;
      else {
        readAt = j;
        break;
      }
    }
    if (readAt === -1 && appends === 0) return;
    const expected: number[] = [];
    if (readAt !== -1) {
      const earlier = microValue[readAt]!;
      const from = startOf(earlier);
      for (let e = 0; e < lengthOf(earlier); e++) expected.push(elements[from + e]!);
    }
    for (let j = readAt === -1 ? start : readAt + 1; j < m; j++)
      if (microWrite[j] === 1 && microKey[j] === key) expected.push(microValue[j]!);
    const length = lengthOf(read);
    const from = startOf(read);
    const offset = length - expected.length;
    const ok =
      (readAt === -1 ? offset >= 0 : offset === 0) &&
      expected.every((value, e) => elements[from + offset + e] === value);
    if (ok) return;
    const list = listOf(read);
    const k = keys.items[key]!;
    const shown = expected.map((value) => values.items[value]);
    anomalies.add("internal", {
      ops: [opIndex],
      key: k,
      value: observedOf(history, read),
      explanation:
        readAt === -1
          ? `op ${opIndex} read key ${show(k)} as ${show(list)} after appending ${show(shown)} to it, which the read must end with`
          : `op ${opIndex} read key ${show(k)} as ${show(list)}, but its own earlier read and appends say it must be ${show(shown)}`,
    });
  }

  function abortedReads(reader: number, key: number, read: number): void {
    const opIndex = opIndexOf[reader]!;
    const k = keys.items[key]!;
    const from = startOf(read);
    for (let e = 0; e < lengthOf(read); e++) {
      const element = elements[from + e]!;
      const abortedBy = aborted[key]!.get(element);
      if (abortedBy === undefined) continue;
      anomalies.add("G1a", {
        ops: [opIndex, abortedBy],
        key: k,
        value: values.items[element],
        explanation: `op ${opIndex} read key ${show(k)} and saw ${show(values.items[element])}, appended by op ${abortedBy}, which failed (aborted read)`,
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
  const firstRepeat = new Int32Array(longestRead.length);
  const seen = new Int32Array(Math.max(1024, values.items.length));
  let stamp = 0;
  const repeatAt = (read: number): number => {
    stamp++;
    const from = startOf(read);
    const length = lengthOf(read);
    for (let e = 0; e < length; e++) {
      const value = elements[from + e]!;
      if (seen[value] === stamp) return e;
      seen[value] = stamp;
    }
    return length;
  };
  const isPrefix = (read: number, of: number): boolean => {
    const length = lengthOf(read);
    if (length > lengthOf(of)) return false;
    const a = startOf(read);
    const b = startOf(of);
    for (let e = 0; e < length; e++) if (elements[a + e] !== elements[b + e]) return false;
    return true;
  };
  for (let key = 0; key < longestRead.length; key++) {
    const index = longestRead[key];
    if (index === undefined) continue;
    const longest = reads.row.data[index]!;
    const from = startOf(longest);
    orders[key] = elements.subarray(from, from + lengthOf(longest));
    firstRepeat[key] = repeatAt(longest);
  }
  const incompatible = new Set<number>();
  for (let r = 0; r < reads.length; r++) {
    const key = reads.key.data[r]!;
    const longest = reads.row.data[longestRead[key]!]!;
    const read = reads.row.data[r]!;
    const prefix = read === longest || isPrefix(read, longest);
    if (prefix ? lengthOf(read) > firstRepeat[key]! : repeatAt(read) < lengthOf(read)) {
      const opIndex = opIndexOf[reads.txn.data[r]!]!;
      anomalies.add("duplicate-elements", {
        ops: [opIndex],
        key: keys.items[key]!,
        value: listOf(read),
        explanation: `op ${opIndex} read key ${show(keys.items[key])} as ${show(listOf(read))}, which holds the same element twice`,
      });
    }
    if (prefix || incompatible.has(key)) continue;
    incompatible.add(key);
    const k = keys.items[key]!;
    const other = opIndexOf[reads.txn.data[longestRead[key]!]!]!;
    anomalies.add("incompatible-order", {
      ops: [opIndexOf[reads.txn.data[r]!]!, other],
      key: k,
      value: listOf(read),
      longest: listOf(longest),
      explanation: `op ${opIndexOf[reads.txn.data[r]!]!} read key ${show(k)} as ${show(listOf(read))}, which is not a prefix of ${show(listOf(longest))} read by op ${other}: no single order of appends explains both`,
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
  const inOrder = new Int32Array(values.items.length);
  let orderStamp = 0;
  const keyCount = keys.items.length;
  writes.seal(keyCount);
  // The write of each position of each key's version order, plus one (0: nobody's),
  // at `orderWrite[orderStart[key] + position]`: a read of a key whose reads are all
  // prefixes then finds the writes of its last element and of the next one by
  // position, instead of by two more probes of the (cache-missing) write index.
  const orderStart = input.arena.int32(keyCount + 1);
  for (let key = 0; key < keyCount; key++)
    orderStart[key + 1] = orderStart[key]! + (orders[key]?.length ?? 0);
  const orderWrite = input.arena.int32(orderStart[keyCount]!);
  const keyIncompatible = input.arena.uint8(keyCount);
  for (const key of incompatible) keyIncompatible[key] = 1;
  const noOrder = new Int32Array(0);
  for (let key = 0; key < keyCount; key++) {
    if (writes.countOf(key) === 0 || incompatible.has(key)) continue;
    const order = orders[key] ?? noOrder;
    const start = orderStart[key]!;
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
    const read = reads.row.data[r]!;
    if (keyIncompatible[key] === 0 && !duplicated.has(key)) {
      // Every read of the key is a prefix of its order: positions, no lookups.
      const length = lengthOf(read);
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
    const order = orders[key] ?? noOrder;
    let length = lengthOf(read);
    if (duplicated.has(key)) length = new Set(elements.subarray(startOf(read), startOf(read) + length)).size;
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
    const row = rowOf[writer]!;
    for (let m = microStart[row + 1]! - 1; m >= microStart[row]!; m--)
      if (microWrite[m] === 1 && microKey[m] === key) return microValue[m]!;
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

/**
 * Key ids numbered in the order this check first meets them — appends of ok
 * and info transactions, then failed appends, then reads of committed
 * transactions — rather than the history's: the order edges are added in
 * follows key ids, and the cycle search, which reports the first cycle it
 * meets, then finds the same cycles whatever built the history (ops read
 * from a file, or columns written by a generator). Per micro-op, in the arena.
 */
function keysInCheckOrder(input: Transactions): { microKey: Int32Array; items: Scalar[] } {
  const history = input.history;
  const { microStart, microWrite } = history;
  const rank = new Int32Array(history.keys.length).fill(-1);
  const items: Scalar[] = [];
  const rankRow = (row: number, write: number) => {
    for (let m = microStart[row]!; m < microStart[row + 1]!; m++) {
      if (microWrite[m] !== write) continue;
      const key = history.microKey[m]!;
      if (rank[key] !== -1) continue;
      rank[key] = items.length;
      items.push(history.keys[key]!);
    }
  };
  for (let txn = 0; txn < input.count; txn++) rankRow(input.row[txn]!, 1);
  for (const row of input.failedRows) rankRow(row, 1);
  for (let txn = 0; txn < input.count; txn++) if (input.committed[txn] === 1) rankRow(input.row[txn]!, 0);
  for (let key = 0; key < rank.length; key++)
    if (rank[key] === -1) {
      rank[key] = items.length;
      items.push(history.keys[key]!);
    }
  const microKey = input.arena.int32(history.microKey.length);
  for (let m = 0; m < microKey.length; m++) microKey[m] = rank[history.microKey[m]!]!;
  return { microKey, items };
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
