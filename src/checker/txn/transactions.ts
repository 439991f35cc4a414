/**
 * Transactions out of a history: each client op with `f: "txn"` is paired
 * with its completion, and its micro-ops (`["append", k, v]`, `["w", k, v]`,
 * `["r", k, observed]`) are checked for shape.
 *
 * - `ok`: the transaction committed; its reads are observations.
 * - `info`: it may or may not have committed; its writes count when someone
 *   reads them, its reads say nothing (the completion's value when it has
 *   one, else the invocation's).
 * - `fail`: it certainly did not commit; its writes must never be seen (G1a).
 * An invocation with no completion is `info`.
 *
 * Transactions get dense ids 0..n-1 (ok and info only) in invocation order;
 * everything after this works on those integers, and what is known of each
 * transaction is in arrays indexed by them.
 */
import { UsageError } from "../../errors/index.js";
import type { Op, ProcessId } from "../../history/op.js";
import { Arena } from "./arena.js";

export type Scalar = string | number;
export type MicroOp = readonly [f: string, key: Scalar, value: unknown];

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

/** Position of a transaction that never completed (info) in `completeAt`: after every real position. */
export const NEVER_COMPLETED = 0x7fffffff;

/**
 * ok and info transactions, ids dense, in invocation order, as parallel
 * arrays indexed by id (struct of arrays): at a million transactions, a
 * million objects were old-generation garbage-collector work on every full
 * collection, beside the history itself.
 */
export interface Transactions {
  readonly count: number;
  /** The completion op's index (the invocation's when there is no completion). */
  readonly opIndex: Float64Array;
  readonly invokeIndex: Float64Array;
  /** 1 for ok, 0 for info. */
  readonly committed: Uint8Array;
  readonly process: ProcessId[];
  /** The micro-ops: the completion's (ok, or info with a value), else the invocation's. References into the history. */
  readonly ops: (readonly MicroOp[])[];
  /** Failed transactions: their writes must never be observed. */
  readonly failed: { opIndex: number; ops: readonly MicroOp[] }[];
  /** Positions in history order: invoke of txn i at `invokeAt[i]`, completion at `completeAt[i]` (NEVER_COMPLETED for info). */
  readonly invokeAt: Int32Array;
  readonly completeAt: Int32Array;
  /** Micro-ops of the ok and info transactions, and how many of them are writes (appends). */
  readonly microOpCount: number;
  readonly writeCount: number;
  /** Every op but the nemesis's has a numeric time (else no real-time order can be inferred). */
  readonly timed: boolean;
  /** Where the check's large arrays come from (one block, see arena.ts). */
  readonly arena: Arena;
}

/** The transactions as objects (allocates one per transaction). */
export function transactionObjects(input: Transactions): Transaction[] {
  const txns: Transaction[] = new Array(input.count);
  for (let id = 0; id < input.count; id++)
    txns[id] = {
      id,
      opIndex: input.opIndex[id]!,
      invokeIndex: input.invokeIndex[id]!,
      process: input.process[id]!,
      committed: input.committed[id] === 1,
      ops: input.ops[id]!,
    };
  return txns;
}

const isScalar = (value: unknown): value is Scalar =>
  typeof value === "string" || (typeof value === "number" && Number.isFinite(value));

/** Micro-ops counted while they are checked, so no later pass must read them all just to size its arrays. */
interface MicroOpCounts {
  all: number;
  writes: number;
}

function microOps(op: Op, writeVerb: string, counts: MicroOpCounts): MicroOp[] {
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
    if (f === writeVerb) counts.writes++;
    else if (f !== "r")
      throw new UsageError(`expected micro-op "r" or "${writeVerb}", got ${JSON.stringify(f)}`, where);
    if (!isScalar(key))
      throw new UsageError(`expected a string or number key in ${JSON.stringify(micro)}`, where);
  }
  counts.all += (op.value as unknown[]).length;
  return op.value as MicroOp[];
}

/** Process ids below this are tracked in a typed array while pairing (Jepsen's are small integers). */
const SMALL_PROCESS_MAX = 1 << 20;

/** Pair invocations and completions of `f: "txn"` ops; `writeVerb` is `append` or `w`. */
export function collectTransactions(history: readonly Op[], writeVerb: string): Transactions {
  // Pair each invocation with its completion: position of the completion per invocation position.
  const arena = Arena.forHistory(history.length);
  const completionOf = arena.int32(history.length).fill(-1);
  // The open invocation of each process: small integer processes (Jepsen's) in an
  // array, position + 1 (0: none); any other process id in a map.
  let openSmall = new Int32Array(64);
  const open = new Map<ProcessId, number>();
  let invocations = 0;
  let timed = true;
  for (let position = 0; position < history.length; position++) {
    const op = history[position]!;
    const process = op.process;
    if (process === "nemesis") continue;
    if (typeof op.time !== "number") timed = false;
    if (op.f !== "txn") continue;
    const small =
      typeof process === "number" && process >= 0 && process < SMALL_PROCESS_MAX && Number.isInteger(process);
    if (small && process >= openSmall.length) {
      const grown = new Int32Array(Math.max(openSmall.length * 2, process + 1));
      grown.set(openSmall);
      openSmall = grown;
    }
    if (op.type === "invoke") {
      if (small) openSmall[process] = position + 1;
      else open.set(process, position);
      invocations++;
      continue;
    }
    if (small) {
      const invoked = openSmall[process]! - 1;
      if (invoked === -1) continue;
      openSmall[process] = 0;
      completionOf[invoked] = position;
      continue;
    }
    const invoked = open.get(process);
    if (invoked === undefined) continue;
    open.delete(process);
    completionOf[invoked] = position;
  }
  // Op indices come from files: kept exactly, whatever their size.
  const opIndex = arena.float64(invocations);
  const invokeIndex = arena.float64(invocations);
  const committed = arena.uint8(invocations);
  const processes: ProcessId[] = [];
  const ops: (readonly MicroOp[])[] = [];
  const failed: Transactions["failed"] = [];
  const invokeAt = arena.int32(invocations);
  const completeAt = arena.int32(invocations);
  let count = 0;
  const counts: MicroOpCounts = { all: 0, writes: 0 };
  const failedCounts: MicroOpCounts = { all: 0, writes: 0 };
  for (let position = 0; position < history.length; position++) {
    const invoke = history[position]!;
    if (invoke.type !== "invoke" || invoke.process === "nemesis" || invoke.f !== "txn") continue;
    const at = completionOf[position]!;
    const completion = at === -1 ? undefined : history[at]!;
    const type = completion?.type ?? "info";
    if (type === "fail") {
      failed.push({ opIndex: completion!.index, ops: microOps(invoke, writeVerb, failedCounts) });
      continue;
    }
    // ok: the completion's micro-ops (reads filled in); info: the completion's when it has them.
    const source =
      completion !== undefined && (type === "ok" || Array.isArray(completion.value)) ? completion : invoke;
    opIndex[count] = completion?.index ?? invoke.index;
    invokeIndex[count] = invoke.index;
    committed[count] = type === "ok" ? 1 : 0;
    processes.push(invoke.process);
    ops.push(microOps(source, writeVerb, counts));
    invokeAt[count] = position;
    completeAt[count] = type === "ok" ? at : NEVER_COMPLETED;
    count++;
  }
  return {
    count,
    opIndex: opIndex.subarray(0, count),
    invokeIndex: invokeIndex.subarray(0, count),
    committed: committed.subarray(0, count),
    process: processes,
    ops,
    failed,
    invokeAt: invokeAt.subarray(0, count),
    completeAt: completeAt.subarray(0, count),
    microOpCount: counts.all,
    writeCount: counts.writes,
    timed,
    arena,
  };
}
