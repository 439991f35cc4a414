/**
 * From a history to the search's input: pair invocations with completions,
 * let the model prepare each op (or drop it), and split the ops into
 * independent partitions when the model has a `partitionKey`.
 *
 * Real-time order is the order of ops in the history (its positions), not
 * their `time` fields: the history is journaled in the order events happened,
 * and positions never tie. Times are kept only for explanations.
 */
import { pairOps } from "../../history/analysis.js";
import type { Key, Op } from "../../history/op.js";
import { keyIdentity } from "../../history/values.js";
import type { AnyModel, ModelOp, PrepareContext } from "../models/types.js";

/** One op of a partition, ready for the search. */
export interface PreparedOp {
  /** The model's step input. */
  input: unknown;
  /** Position of the invocation in the history (the order events happened). */
  callAt: number;
  /** Position of the completion; Infinity for an `info` op (may take effect any time after its call, or never). */
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
  const clientOps = history.filter((op) => op.process !== "nemesis");
  const position = new Map<Op, number>();
  for (let i = 0; i < clientOps.length; i++) position.set(clientOps[i]!, i);
  const pairs = pairOps(clientOps);
  // Keyed by value, not reference: two `{"k":1}` keys read from two lines are one partition.
  const byKey = new Map<unknown, { key: Key | undefined; ops: PreparedOp[] }>();
  const split = options.partition && model.partitionKey !== undefined;
  let droppedCount = 0;
  for (const { invoke, completion } of pairs) {
    const type = completion?.type ?? "info";
    if (type === "invoke") continue; // cannot happen: pairOps pairs an invoke with a non-invoke
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
      callAt: position.get(invoke)!,
      returnAt: required && completion ? position.get(completion)! : Number.POSITIVE_INFINITY,
      invokeIndex: invoke.index,
      completionIndex: completion?.index,
      callTimeNs: invoke.time,
      returnTimeNs: required && completion ? completion.time : Number.POSITIVE_INFINITY,
      process: invoke.process,
      key: invoke.key,
      required,
    };
    const key = split ? model.partitionKey!(modelOp) : undefined;
    const identity = keyIdentity(key);
    let partition = byKey.get(identity);
    if (!partition) {
      partition = { key, ops: [] };
      byKey.set(identity, partition);
    }
    partition.ops.push(prepared);
  }
  const partitions: Partition[] = [...byKey.values()];
  return { partitions, opCount: pairs.length, droppedCount };
}
