/**
 * From a history to the search's input: pair invocations with completions,
 * let the model prepare each op (or drop it), and split the ops into
 * independent partitions when the model has a `partitionKey`.
 *
 * Real-time order is the order of ops in the history (its positions), not
 * their `time` fields: the history is journaled in the order events happened,
 * and positions never tie. Times are kept only for explanations.
 */
import type { Key, Op } from "../../history/op.js";
import { keyIdentity } from "../../history/values.js";
import type { AnyModel, ModelOp, PrepareContext } from "../models/types.js";

/** One op of a partition, ready for the search. */
export interface PreparedOp {
  /** The model's step input. */
  input: unknown;
  /**
   * Position of the invocation among its partition's events (the order events happened; when the history
   * is split by key, each partition counts its own events from 0).
   */
  callAt: number;
  /** Position of the completion, counted alike; Infinity for an `info` op (may take effect any time after its call, or never). */
  returnAt: number;
  /** `index` fields of the invocation and completion, for counterexamples. */
  invokeIndex: number;
  completionIndex: number | undefined;
  /** `time` fields (ns), for explanations. */
  callTimeNs: number;
  returnTimeNs: number;
  process: Op["process"];
  /** The invocation's key, if any (for explanations). */
  key: Key | undefined;
  /** Not an `info` op: it must be linearized. */
  required: boolean;
}

export interface Partition {
  /** The partition key (undefined when the history is one partition). */
  key: Key | undefined;
  ops: PreparedOp[];
}

export interface PreparedHistory {
  partitions: Partition[];
  /** Client ops seen (pairs), before the model dropped any. */
  opCount: number;
  /** Ops the model dropped (failed ops, unknown reads). */
  droppedCount: number;
}

/**
 * Prepare a history for checking. `partition: false` keeps one partition even
 * when the model could split (for measuring what partitioning buys). Throws an
 * `Error` naming the op when a value has the wrong shape for the model.
 */
export function prepareHistory(
  history: readonly Op[],
  model: AnyModel,
  ctx: PrepareContext,
  options: { partition: boolean },
): PreparedHistory {
  const { invokes, completions, callAt, returnAt, positions } = pairInvocations(history);
  // Keyed by value, not reference: two `{"k":1}` keys read from two lines are one partition.
  const byKey = new Map<unknown, Partition>();
  const split = options.partition && model.partitionKey !== undefined;
  let only: Partition | undefined;
  let droppedCount = 0;
  /** Per pair: its prepared op (undefined when dropped) and the number of its partition (split only). */
  const preparedOf: (PreparedOp | undefined)[] = split ? new Array(invokes.length) : [];
  const partitionOf = split ? new Int32Array(invokes.length) : undefined;
  const partitionNumber = new Map<Partition, number>();
  for (let pair = 0; pair < invokes.length; pair++) {
    const invoke = invokes[pair]!;
    const completion = completions[pair];
    const type = completion?.type ?? "info";
    if (type === "invoke") continue; // cannot happen: a completion is never an invoke
    const modelOp: ModelOp = {
      f: invoke.f,
      input: invoke.value,
      output:
        type === "info" || !completion
          ? undefined
          : completion.value !== undefined
            ? completion.value
            : invoke.value,
      type,
      key: invoke.key,
      invoke,
      completion,
    };
    const input = model.prepare(modelOp, ctx);
    if (input === undefined) {
      droppedCount++;
      continue;
    }
    const required = type !== "info";
    const prepared: PreparedOp = {
      input,
      callAt: callAt[pair]!,
      returnAt: required && completion ? returnAt[pair]! : Number.POSITIVE_INFINITY,
      invokeIndex: invoke.index,
      completionIndex: completion?.index,
      callTimeNs: invoke.time,
      returnTimeNs: required && completion ? completion.time : Number.POSITIVE_INFINITY,
      process: invoke.process,
      key: invoke.key,
      required,
    };
    let partition: Partition | undefined;
    if (split) {
      const key = model.partitionKey!(modelOp);
      // Numbers and strings are their own identity; only object keys need the canonical JSON.
      const identity = typeof key === "object" && key !== null ? keyIdentity(key) : key;
      partition = byKey.get(identity);
      if (!partition) {
        partition = { key, ops: [] };
        byKey.set(identity, partition);
        partitionNumber.set(partition, partitionNumber.size);
      }
      preparedOf[pair] = prepared;
      partitionOf![pair] = partitionNumber.get(partition)!;
    } else {
      only ??= { key: undefined, ops: [] };
      partition = only;
    }
    partition.ops.push(prepared);
  }
  if (split && byKey.size > 1) numberWithinPartitions(preparedOf, partitionOf!, byKey.size, positions);
  const partitions: Partition[] = split ? [...byKey.values()] : only ? [only] : [];
  return { partitions, opCount: invokes.length, droppedCount };
}

/** A history's client ops paired, in invocation order, in parallel arrays; `positions` counts client events. */
interface Pairs {
  invokes: Op[];
  completions: (Op | undefined)[];
  callAt: number[];
  returnAt: number[];
  positions: number;
}

/**
 * One pass pairs each invocation with its completion and numbers client events (positions), with no
 * intermediate copies: on a valid 40,000-op history this preparation used to cost more than the search.
 * Pairs are kept in invocation order (as `pairOps` orders them). A function of its own, apart from the
 * preparing loop: a long first run of one loop compiled the whole function on that loop's feedback
 * alone, and it was thrown away again at the next loop (three deoptimizations on a cold 40k check).
 */
function pairInvocations(history: readonly Op[]): Pairs {
  const invokes: Op[] = [];
  const completions: (Op | undefined)[] = [];
  const callAt: number[] = [];
  const returnAt: number[] = [];
  /** Open pair per process: small non-negative integer processes in an array, others in a map. */
  const openByNumber: number[] = [];
  const openByOther = new Map<Op["process"], number>();
  let position = 0;
  for (let h = 0; h < history.length; h++) {
    const op = history[h]!;
    const process = op.process;
    if (process === "nemesis") continue;
    const at = position++;
    const small =
      typeof process === "number" && process >= 0 && process < 1 << 20 && (process | 0) === process;
    const open = small ? (openByNumber[process] ?? -1) : (openByOther.get(process) ?? -1);
    if (op.type === "invoke") {
      if (open >= 0) {
        throw new Error(
          `op ${op.index}: process ${process} invoked again while op ${invokes[open]!.index} was still open`,
        );
      }
      const pair = invokes.length;
      invokes.push(op);
      completions.push(undefined);
      callAt.push(at);
      returnAt.push(-1);
      if (small) openByNumber[process] = pair;
      else openByOther.set(process, pair);
    } else {
      if (open < 0) continue; // a completion with no invocation: tolerated (e.g. a trimmed history)
      completions[open] = op;
      returnAt[open] = at;
      if (small) openByNumber[process] = -1;
      else openByOther.delete(process);
    }
  }
  return { invokes, completions, callAt, returnAt, positions: position };
}

/**
 * Give each partition's events positions of their own, 0, 1, 2, ... in history order: the same order
 * within the partition (all a partition's search and fast path compare), and dense, so the search's event
 * list places its events by position instead of sorting them. `positions`: the history's client events.
 */
function numberWithinPartitions(
  preparedOf: readonly (PreparedOp | undefined)[],
  partitionOf: Int32Array,
  partitions: number,
  positions: number,
): void {
  // Per history position: 2 × pair for a call, 2 × pair + 1 for a return, -1 for none (or dropped).
  const events = new Int32Array(positions).fill(-1);
  for (let pair = 0; pair < preparedOf.length; pair++) {
    const op = preparedOf[pair];
    if (op === undefined) continue;
    events[op.callAt] = 2 * pair;
    if (Number.isFinite(op.returnAt)) events[op.returnAt] = 2 * pair + 1;
  }
  const next = new Int32Array(partitions);
  for (let p = 0; p < positions; p++) {
    const event = events[p]!;
    if (event < 0) continue;
    const pair = event >> 1;
    const op = preparedOf[pair]!;
    const local = next[partitionOf[pair]!]!++;
    if ((event & 1) === 0) op.callAt = local;
    else op.returnAt = local;
  }
}
