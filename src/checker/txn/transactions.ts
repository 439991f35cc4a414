/**
 * Transactions in columns: the form the transactional checkers read.
 *
 * A history of a million transactions as JavaScript objects (an op object,
 * a value array, a tuple per micro-op, an array per list read) is about a
 * gigabyte of heap, and every full collection traces all of it. The same
 * history as a `TxnHistory` is a few typed arrays — per transaction its
 * process, completion type, op indices, times and history positions; per
 * micro-op whether it writes, its key and its value; per read the observed
 * list, flattened — with keys and values interned (dense ids, first seen
 * first). About a sixth of the memory, none of it traced by the collector.
 *
 * Build one directly with `TxnHistoryBuilder` (a generator, an importer, a
 * bench), or let the checkers convert ops (`txnHistoryFromOps`, which is what
 * `listAppend().check(ops)` does): both give the same verdicts.
 *
 * What each completion means, as Elle reads it:
 * - `ok`: the transaction committed; its reads are observations.
 * - `info`: it may or may not have committed; its writes count when someone
 *   reads them, its reads say nothing (the completion's micro-ops when it has
 *   them, else the invocation's).
 * - `fail`: it certainly did not commit; its writes must never be seen (G1a).
 * An invocation with no completion is `info`.
 */
import { UsageError } from "../../errors/index.js";
import type { Op, ProcessId } from "../../history/op.js";
import { Interner } from "./anomaly.js";
import { Arena } from "./arena.js";

export type Scalar = string | number;
export type MicroOp = readonly [f: string, key: Scalar, value: unknown];

/** The two transactional workloads: what a write micro-op is called and what a read holds. */
export type TxnWorkload = "list-append" | "rw-register";

/** The write verb of each workload. */
export const WRITE_VERB: Readonly<Record<TxnWorkload, string>> = {
  "list-append": "append",
  "rw-register": "w",
};

/** Completion types in `TxnHistory.type`. */
export const TXN_OK = 1;
export const TXN_INFO = 2;
export const TXN_FAIL = 3;

/** Position of a transaction that never completed in `completeAt`: after every real position. */
export const NEVER_COMPLETED = 0x7fffffff;

/** `readLength` of a read that observed `null` (nothing, or not filled in: an invocation's read). */
export const READ_NIL = -1;
/** `readLength` of a read that observed one value, its id in `readStart` (rw-register; a list-append read of a non-list). */
export const READ_SCALAR = -2;

/**
 * A history of transactions, columnar. Transactions are rows 0..count-1 in
 * invocation order, fail ones included; micro-ops of row r are
 * `microStart[r] .. microStart[r+1]`.
 */
export interface TxnHistory {
  readonly form: "txn-columns";
  readonly workload: TxnWorkload;
  readonly count: number;
  /** TXN_OK, TXN_INFO or TXN_FAIL. */
  readonly type: Uint8Array;
  /** Index into `processes`. */
  readonly process: Int32Array;
  readonly processes: readonly ProcessId[];
  /** Op indices of the invocation and the completion (NaN: none). */
  readonly invokeIndex: Float64Array;
  readonly completeIndex: Float64Array;
  /** Times, ns (NaN: none). */
  readonly invokeTime: Float64Array;
  readonly completeTime: Float64Array;
  /** Positions in history order (NEVER_COMPLETED: no completion). */
  readonly invokeAt: Int32Array;
  readonly completeAt: Int32Array;
  readonly microStart: Int32Array;
  /** 1 for a write (append, w), 0 for a read. */
  readonly microWrite: Uint8Array;
  /** Key id (into `keys`). */
  readonly microKey: Int32Array;
  /** A write: its value id (into `values`); a read: its read row. */
  readonly microValue: Int32Array;
  /** Per read row: where its elements start in `elements` and how many (READ_NIL, or READ_SCALAR with the value id in readStart). */
  readonly readStart: Int32Array;
  readonly readLength: Int32Array;
  /** Value ids of every list read, back to back. */
  readonly elements: Int32Array;
  readonly keys: readonly Scalar[];
  readonly values: readonly unknown[];
  /** Positions used: one past the last op of the history (transactions and others). */
  readonly eventCount: number;
  /** Every op but the nemesis's has a numeric time (else no real-time order can be inferred). */
  readonly timed: boolean;
}

/** True for a columnar history (as opposed to an array of ops). */
export function isTxnHistory(history: unknown): history is TxnHistory {
  return (history as Partial<TxnHistory> | null)?.form === "txn-columns";
}

/** Where an event sits in the history: its position (0-based, history order), op index (default: the position) and time (ns). */
export interface TxnEvent {
  position: number;
  index?: number;
  time?: number;
}

class Growable {
  data: Int32Array;
  length = 0;
  constructor(capacity: number, arena: Arena) {
    this.data = arena.int32(Math.max(16, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }
  grow(atLeast: number): void {
    let size = this.data.length * 2;
    while (size < atLeast) size *= 2;
    const next = new Int32Array(size);
    next.set(this.data);
    this.data = next;
  }
  trimmed(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

class GrowableFloat64 {
  data: Float64Array;
  length = 0;
  constructor(capacity: number, arena: Arena) {
    this.data = arena.float64(Math.max(16, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  trimmed(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

const isScalar = (value: unknown): value is Scalar =>
  typeof value === "string" || (typeof value === "number" && Number.isFinite(value));

/**
 * Builds a `TxnHistory` event by event, in history order: `invoke` a
 * transaction, add its micro-ops (`write`, `read`) right after, `observe`
 * what a read saw when the transaction completes, then `complete` it.
 * Other ops (the nemesis's, other `f`s) are `event`s: they only take a
 * position (and make the history untimed when a client op has no time).
 *
 * ```ts
 * import { listAppend, TxnHistoryBuilder } from "crucible";
 * const builder = new TxnHistoryBuilder("list-append");
 * const t = builder.invoke(0, { position: 0, time: 0 });
 * builder.write(7, 1);
 * const read = builder.read(7);
 * builder.observe(read, [1]);
 * builder.complete(t, "ok", { position: 1, time: 1000 });
 * const result = listAppend().check(builder.build());
 * console.log(result.valid);
 * ```
 */
export class TxnHistoryBuilder {
  private readonly keys = new Interner<Scalar>();
  private readonly values = new Interner<unknown>();
  private readonly processIds = new Interner<ProcessId>();
  private readonly type: Growable;
  private readonly process: Growable;
  private readonly invokeIndex: GrowableFloat64;
  private readonly completeIndex: GrowableFloat64;
  private readonly invokeTime: GrowableFloat64;
  private readonly completeTime: GrowableFloat64;
  private readonly invokeAt: Growable;
  private readonly completeAt: Growable;
  private readonly microStart: Growable;
  private readonly microWrite: Growable;
  private readonly microKey: Growable;
  private readonly microValue: Growable;
  private readonly readStart: Growable;
  private readonly readLength: Growable;
  private readonly elements: Growable;
  private eventCount = 0;
  private lastInvokeAt = -1;
  private timed = true;
  private built = false;

  /**
   * How many transactions, micro-ops, reads and read elements to make room
   * for up front (hints; the columns grow as needed). Exact hints save the
   * regrowths, each of which, in a process with a large heap, can cost a
   * full collection.
   */
  constructor(
    readonly workload: TxnWorkload,
    options: { transactions?: number; microOps?: number; reads?: number; elements?: number } = {},
  ) {
    if (workload !== "list-append" && workload !== "rw-register")
      throw new UsageError(`expected workload list-append or rw-register, got ${JSON.stringify(workload)}`);
    const n = Math.max(16, options.transactions ?? 1024);
    const micro = Math.max(16, options.microOps ?? n * 3);
    const reads = Math.max(16, options.reads ?? micro);
    const elements = Math.max(16, options.elements ?? n * 8);
    // One block for every column (see arena.ts: one large buffer, one collection).
    const arena = new Arena(n * 53 + 8 + micro * 12 + reads * 8 + elements * 4 + 16 * 8 * 15);
    this.type = new Growable(n, arena);
    this.process = new Growable(n, arena);
    this.invokeIndex = new GrowableFloat64(n, arena);
    this.completeIndex = new GrowableFloat64(n, arena);
    this.invokeTime = new GrowableFloat64(n, arena);
    this.completeTime = new GrowableFloat64(n, arena);
    this.invokeAt = new Growable(n, arena);
    this.completeAt = new Growable(n, arena);
    this.microStart = new Growable(n + 1, arena);
    this.microWrite = new Growable(micro, arena);
    this.microKey = new Growable(micro, arena);
    this.microValue = new Growable(micro, arena);
    this.readStart = new Growable(reads, arena);
    this.readLength = new Growable(reads, arena);
    this.elements = new Growable(elements, arena);
  }

  /** Transactions invoked so far. */
  get count(): number {
    return this.type.length;
  }

  /** A new transaction, invoked at `at`; invocations come in history order. Returns its row. */
  invoke(process: ProcessId, at: TxnEvent): number {
    this.assertOpen();
    if (!(at.position > this.lastInvokeAt))
      throw new Error(
        `TxnHistoryBuilder: invocation at position ${at.position} after one at ${this.lastInvokeAt}`,
      );
    this.lastInvokeAt = at.position;
    this.taken(at);
    const row = this.type.length;
    this.type.push(TXN_INFO);
    this.process.push(this.processIds.id(process));
    this.invokeIndex.push(at.index ?? at.position);
    this.completeIndex.push(Number.NaN);
    this.invokeTime.push(at.time ?? Number.NaN);
    this.completeTime.push(Number.NaN);
    this.invokeAt.push(at.position);
    this.completeAt.push(NEVER_COMPLETED);
    this.microStart.push(this.microWrite.length);
    return row;
  }

  /** A write micro-op (`append` or `w`, by workload) of the transaction invoked last. */
  write(key: Scalar, value: unknown): void {
    this.micro(1, key, this.values.id(value));
  }

  /** A read micro-op of the transaction invoked last; returns its read, for `observe`. `observed` defaults to null. */
  read(key: Scalar, observed: unknown = null): number {
    const read = this.readLength.length;
    this.readStart.push(0);
    this.readLength.push(READ_NIL);
    this.micro(0, key, read);
    if (observed !== null) this.observe(read, observed);
    return read;
  }

  /** What a read saw: a list (list-append), a value (rw-register), or null. */
  observe(read: number, observed: unknown): void {
    if (observed === null) {
      this.readLength.data[read] = READ_NIL;
      return;
    }
    if (this.workload === "list-append" && Array.isArray(observed)) {
      const list = observed as readonly unknown[];
      const start = this.elements.length;
      if (start + list.length > this.elements.data.length) this.elements.grow(start + list.length);
      const data = this.elements.data;
      for (let i = 0; i < list.length; i++) data[start + i] = this.values.id(list[i]);
      this.elements.length = start + list.length;
      this.readStart.data[read] = start;
      this.readLength.data[read] = list.length;
      return;
    }
    this.readStart.data[read] = this.values.id(observed);
    this.readLength.data[read] = READ_SCALAR;
  }

  /** The completion of transaction `row`: ok, info or fail, at `at` (none: it never completed, info). */
  complete(row: number, type: "ok" | "info" | "fail", at?: TxnEvent): void {
    this.assertOpen();
    this.type.data[row] = type === "ok" ? TXN_OK : type === "fail" ? TXN_FAIL : TXN_INFO;
    if (at === undefined) return;
    this.taken(at);
    this.completeIndex.data[row] = at.index ?? at.position;
    this.completeTime.data[row] = at.time ?? Number.NaN;
    this.completeAt.data[row] = at.position;
  }

  /** An op that is no transaction, at `at`: the nemesis's (`client: false`) or a client's of another `f`. */
  event(at: TxnEvent, client = true): void {
    this.eventCount = Math.max(this.eventCount, at.position + 1);
    if (client && typeof at.time !== "number") this.timed = false;
  }

  /** The history; the builder is done. */
  build(): TxnHistory {
    this.assertOpen();
    this.built = true;
    const count = this.type.length;
    this.microStart.push(this.microWrite.length);
    // Row r's start was pushed when it was invoked; the end of the last row now.
    const microStart = this.microStart.trimmed();
    return {
      form: "txn-columns",
      workload: this.workload,
      count,
      type: Uint8Array.from(this.type.trimmed()),
      process: this.process.trimmed(),
      processes: this.processIds.items,
      invokeIndex: this.invokeIndex.trimmed(),
      completeIndex: this.completeIndex.trimmed(),
      invokeTime: this.invokeTime.trimmed(),
      completeTime: this.completeTime.trimmed(),
      invokeAt: this.invokeAt.trimmed(),
      completeAt: this.completeAt.trimmed(),
      microStart,
      microWrite: Uint8Array.from(this.microWrite.trimmed()),
      microKey: this.microKey.trimmed(),
      microValue: this.microValue.trimmed(),
      readStart: this.readStart.trimmed(),
      readLength: this.readLength.trimmed(),
      elements: this.elements.trimmed(),
      keys: this.keys.items,
      values: this.values.items,
      eventCount: this.eventCount,
      timed: this.timed,
    };
  }

  private micro(write: number, key: Scalar, value: number): void {
    if (this.type.length === 0) throw new Error("TxnHistoryBuilder: a micro-op before any invoke");
    if (!isScalar(key)) throw new UsageError(`expected a string or number key, got ${JSON.stringify(key)}`);
    this.microWrite.push(write);
    this.microKey.push(this.keys.id(key));
    this.microValue.push(value);
  }

  private taken(at: TxnEvent): void {
    this.eventCount = Math.max(this.eventCount, at.position + 1);
    if (typeof at.time !== "number") this.timed = false;
  }

  private assertOpen(): void {
    if (this.built) throw new Error("TxnHistoryBuilder: already built");
  }
}

/** Check a micro-op list's shape (the messages name the op), as the object form is read. */
function checkedMicroOps(op: Op, writeVerb: string): readonly MicroOp[] {
  const where = `op ${op.index}`;
  if (!Array.isArray(op.value))
    throw new UsageError(
      `expected a transaction value, an array of micro-ops such as [["${writeVerb}", 1, 2], ["r", 1, null]]`,
      where,
    );
  for (const micro of op.value as unknown[]) {
    if (!Array.isArray(micro) || micro.length !== 3)
      throw new UsageError(`expected a micro-op [f, key, value], got ${JSON.stringify(micro)}`, where);
    const f = (micro as unknown[])[0];
    const key = (micro as unknown[])[1];
    if (f !== writeVerb && f !== "r")
      throw new UsageError(`expected micro-op "r" or "${writeVerb}", got ${JSON.stringify(f)}`, where);
    if (!isScalar(key))
      throw new UsageError(`expected a string or number key in ${JSON.stringify(micro)}`, where);
  }
  return op.value as MicroOp[];
}

/** Process ids below this are tracked in a typed array while pairing (Jepsen's are small integers). */
const SMALL_PROCESS_MAX = 1 << 20;

/**
 * The columnar form of a history of ops: each `f: "txn"` invocation paired
 * with its process's next completion. Throws a `UsageError` naming the op
 * for a micro-op of the wrong shape.
 */
export function txnHistoryFromOps(history: readonly Op[], workload: TxnWorkload): TxnHistory {
  const writeVerb = WRITE_VERB[workload];
  const completionOf = new Int32Array(history.length).fill(-1);
  // The open invocation of each process: small integer processes (Jepsen's) in an
  // array, position + 1 (0: none); any other process id in a map.
  let openSmall = new Int32Array(64);
  const open = new Map<ProcessId, number>();
  let invocations = 0;
  // Exact column sizes, counted while pairing (one pass over the ops fewer:
  // at a million transactions each pass is a cache miss per op object).
  let microOps = 0;
  let reads = 0;
  let elements = 0;
  const count = (source: Op) => {
    if (!Array.isArray(source.value)) return;
    for (const micro of source.value as unknown[]) {
      microOps++;
      if (!Array.isArray(micro) || micro[0] !== "r") continue;
      reads++;
      if (Array.isArray(micro[2])) elements += (micro[2] as unknown[]).length;
    }
  };
  /** ok: the completion's micro-ops (reads filled in); info: the completion's when it has them; fail: the invocation's. */
  const sourceOf = (invoke: Op, at: number): Op => {
    const completion = at === -1 ? undefined : history[at]!;
    const type = completion?.type ?? "info";
    return completion !== undefined && (type === "ok" || (type === "info" && Array.isArray(completion.value)))
      ? completion
      : invoke;
  };
  const paired = (invoked: number, position: number) => {
    completionOf[invoked] = position;
    count(sourceOf(history[invoked]!, position));
  };
  for (let position = 0; position < history.length; position++) {
    const op = history[position]!;
    const process = op.process;
    if (process === "nemesis" || op.f !== "txn") continue;
    const small =
      typeof process === "number" && process >= 0 && process < SMALL_PROCESS_MAX && Number.isInteger(process);
    if (small && process >= openSmall.length) {
      const grown = new Int32Array(Math.max(openSmall.length * 2, process + 1));
      grown.set(openSmall);
      openSmall = grown;
    }
    if (op.type === "invoke") {
      // An invocation its process leaves open (a new one before a completion) never completes: counted from itself.
      const left = small ? openSmall[process]! - 1 : (open.get(process) ?? -1);
      if (left !== -1) count(history[left]!);
      if (small) openSmall[process] = position + 1;
      else open.set(process, position);
      invocations++;
      continue;
    }
    if (small) {
      const invoked = openSmall[process]! - 1;
      if (invoked === -1) continue;
      openSmall[process] = 0;
      paired(invoked, position);
      continue;
    }
    const invoked = open.get(process);
    if (invoked === undefined) continue;
    open.delete(process);
    paired(invoked, position);
  }
  // Those still open at the end never completed.
  for (let process = 0; process < openSmall.length; process++)
    if (openSmall[process] !== 0) count(history[openSmall[process]! - 1]!);
  for (const invoked of open.values()) count(history[invoked]!);
  const builder = new TxnHistoryBuilder(workload, { transactions: invocations, microOps, reads, elements });
  for (let position = 0; position < history.length; position++) {
    const invoke = history[position]!;
    const event = { position, index: invoke.index, time: invoke.time };
    if (invoke.process === "nemesis") {
      builder.event(event, false);
      continue;
    }
    if (invoke.type !== "invoke" || invoke.f !== "txn") {
      builder.event(event);
      continue;
    }
    const at = completionOf[position]!;
    const completion = at === -1 ? undefined : history[at]!;
    const type = completion?.type ?? "info";
    const source = sourceOf(invoke, at);
    const row = builder.invoke(invoke.process, event);
    for (const [f, key, value] of checkedMicroOps(source, writeVerb)) {
      if (f === "r") builder.read(key, value);
      else builder.write(key, value);
    }
    builder.complete(
      row,
      type === "ok" ? "ok" : type === "fail" ? "fail" : "info",
      completion === undefined ? undefined : { position: at, index: completion.index, time: completion.time },
    );
  }
  return builder.build();
}

/**
 * The transactions a check works on: the ok and info ones, with dense ids
 * 0..count-1 in invocation order (fail ones apart), as parallel arrays
 * indexed by id (struct of arrays, off the collector's heap).
 */
export interface Transactions {
  readonly history: TxnHistory;
  readonly count: number;
  /** The history row of each id. */
  readonly row: Int32Array;
  /** The completion op's index (the invocation's when there is no completion). */
  readonly opIndex: Float64Array;
  readonly invokeIndex: Float64Array;
  /** 1 for ok, 0 for info. */
  readonly committed: Uint8Array;
  /** Process of each id (index into `history.processes`). */
  readonly process: Int32Array;
  /** Rows of the failed transactions: their writes must never be observed. */
  readonly failedRows: Int32Array;
  /** Positions in history order: invoke of txn i at `invokeAt[i]`, completion at `completeAt[i]` (NEVER_COMPLETED for info). */
  readonly invokeAt: Int32Array;
  readonly completeAt: Int32Array;
  /** Micro-ops of the ok and info transactions, and how many of them are writes (appends). */
  readonly microOpCount: number;
  readonly writeCount: number;
  readonly timed: boolean;
  /** Where the check's large arrays come from (one block, see arena.ts). */
  readonly arena: Arena;
}

/** The ok and info transactions of a history, as the checks index them. */
export function transactionsOf(history: TxnHistory): Transactions {
  const arena = Arena.forHistory(Math.max(history.eventCount, history.count * 2));
  const n = history.count;
  let count = 0;
  let failedCount = 0;
  for (let r = 0; r < n; r++) if (history.type[r] === TXN_FAIL) failedCount++;
  count = n - failedCount;
  const row = arena.int32(count);
  const opIndex = arena.float64(count);
  const invokeIndex = arena.float64(count);
  const committed = arena.uint8(count);
  const process = arena.int32(count);
  const failedRows = new Int32Array(failedCount);
  const invokeAt = arena.int32(count);
  const completeAt = arena.int32(count);
  let microOpCount = 0;
  let writeCount = 0;
  let id = 0;
  let failed = 0;
  const { microStart, microWrite } = history;
  for (let r = 0; r < n; r++) {
    const type = history.type[r]!;
    if (type === TXN_FAIL) {
      failedRows[failed++] = r;
      continue;
    }
    row[id] = r;
    const completed = history.completeIndex[r]!;
    opIndex[id] = Number.isNaN(completed) ? history.invokeIndex[r]! : completed;
    invokeIndex[id] = history.invokeIndex[r]!;
    committed[id] = type === TXN_OK ? 1 : 0;
    process[id] = history.process[r]!;
    invokeAt[id] = history.invokeAt[r]!;
    completeAt[id] = type === TXN_OK ? history.completeAt[r]! : NEVER_COMPLETED;
    for (let m = microStart[r]!; m < microStart[r + 1]!; m++) writeCount += microWrite[m]!;
    microOpCount += microStart[r + 1]! - microStart[r]!;
    id++;
  }
  return {
    history,
    count,
    row,
    opIndex,
    invokeIndex,
    committed,
    process,
    failedRows,
    invokeAt,
    completeAt,
    microOpCount,
    writeCount,
    timed: history.timed,
    arena,
  };
}

/** What read `read` of a history observed, as a plain value (a list, a value, or null). */
export function observedOf(history: TxnHistory, read: number): unknown {
  const length = history.readLength[read]!;
  if (length === READ_NIL) return null;
  if (length === READ_SCALAR) return history.values[history.readStart[read]!];
  const start = history.readStart[read]!;
  const list = new Array<unknown>(length);
  for (let i = 0; i < length; i++) list[i] = history.values[history.elements[start + i]!];
  return list;
}

/** The micro-ops of history row `row`, as tuples (allocates; not for the hot path). */
export function microOpsOf(history: TxnHistory, row: number): MicroOp[] {
  const verb = WRITE_VERB[history.workload];
  const ops: MicroOp[] = [];
  for (let m = history.microStart[row]!; m < history.microStart[row + 1]!; m++) {
    const key = history.keys[history.microKey[m]!]!;
    const value = history.microValue[m]!;
    ops.push(
      history.microWrite[m] === 1
        ? [verb, key, history.values[value]]
        : ["r", key, observedOf(history, value)],
    );
  }
  return ops;
}

/** One transaction as an object, for code that is not on the hot path (see `transactionObjects`). */
export interface Transaction {
  readonly id: number;
  /** The completion op's index (the invocation's when there is no completion). */
  readonly opIndex: number;
  readonly invokeIndex: number;
  readonly process: ProcessId;
  readonly committed: boolean;
  readonly ops: readonly MicroOp[];
}

/** The transactions as objects (allocates one per transaction, and a tuple per micro-op). */
export function transactionObjects(input: Transactions): Transaction[] {
  const txns: Transaction[] = new Array(input.count);
  for (let id = 0; id < input.count; id++)
    txns[id] = {
      id,
      opIndex: input.opIndex[id]!,
      invokeIndex: input.invokeIndex[id]!,
      process: input.history.processes[input.process[id]!]!,
      committed: input.committed[id] === 1,
      ops: microOpsOf(input.history, input.row[id]!),
    };
  return txns;
}

/** The failed transactions as objects: the completion's op index and the micro-ops. */
export function failedObjects(input: Transactions): { opIndex: number; ops: MicroOp[] }[] {
  return Array.from(input.failedRows, (row) => ({
    opIndex: input.history.completeIndex[row]!,
    ops: microOpsOf(input.history, row),
  }));
}
