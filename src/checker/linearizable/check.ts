/**
 * `checkLinearizable`: the synchronous engine behind the `linearizable`
 * checker. Prepares the history, splits it into partitions, and for each one
 * runs the unique-values fast path (register models) and then the search.
 */
import type { Key, Op } from "../../history/op.js";
import { createPrepareContext, describeValue } from "../models/context.js";
import type { AnyModel, PrepareContext } from "../models/types.js";
import type { Validity } from "../types.js";
import {
  dropUnobservedOptionalWrites,
  type FastPathKind,
  findRegisterViolation,
  registerViews,
} from "./fastpath.js";
import { type Partition, type PreparedOp, prepareHistory } from "./prepare.js";
import { type SearchOutcome, searchPartition } from "./search.js";

export interface LinearizabilityOptions {
  /** Give up with `unknown` after this long (the whole check, all partitions). Default: no limit. */
  timeLimitMs?: number;
  signal?: AbortSignal;
  /** Split by the model's `partitionKey` (P-compositionality). Default true; false is for measuring. */
  partition?: boolean;
  /** Run the unique-values fast path before searching. Default true; false is for measuring and cross-checks. */
  fastPath?: boolean;
  /**
   * Cap on the search cache, per partition, in bytes (estimated). Default
   * 512 MiB. An entry stores only the window of the linearized set that the
   * set's smallest missing op and largest present op do not imply, so long
   * histories without pending `info` ops need a few words per entry. Beyond it the search continues without caching new states: still
   * correct, possibly much slower, always stopped by the time limit.
   */
  maxCacheBytes?: number;
}

export type CounterexampleKind = FastPathKind | "no-linearization";

/**
 * Why a history is not linearizable, in op indices of the original history
 * (the `index` of each op's *invocation*; its completion is the next op of the
 * same process) so a report can highlight them on a timeline.
 */
export interface LinearizabilityCounterexample {
  /** `key 3`, or `all` when the history was checked as one partition. */
  partition: string;
  key?: Key;
  kind: CounterexampleKind;
  /** The longest linearizable prefix found, in linearization order (empty for fast-path findings). */
  linearizedPrefix: number[];
  /** The ops that could not be linearized next (for fast-path findings: the impossible read). */
  stuck: number[];
  /** Other ops the explanation names: the write read from, the write that overwrote it. */
  related: number[];
  /** The model state after the prefix, in words (search findings). */
  state?: string;
  /** Each op named above, in words: `op 12 (process 3): read 5, 1.200–1.350 s`. */
  ops: Record<number, string>;
}

export interface LinearizabilityStats {
  /** Client operations in the history (invocation/completion pairs). */
  opCount: number;
  /** Ops the model dropped (failed ops, reads with unknown results). */
  droppedCount: number;
  partitions: number;
  partitionsChecked: number;
  /** Partitions decided by the fast path alone. */
  fastPathDecided: number;
  steps: number;
  cacheEntries: number;
  /** Largest estimated cache of any partition, bytes. */
  peakCacheBytes: number;
  /** True when some partition's cache hit `maxCacheBytes`. */
  cacheFull: boolean;
  checkMs: number;
  /** Worker threads the check used (0: it ran in the calling thread). */
  workers: number;
}

/** The verdict part of a result. */
export interface LinearizabilityVerdict {
  valid: Validity;
  /** Plain words: what is wrong (false) or why the check stopped (unknown). */
  explanation?: string;
  counterexample?: LinearizabilityCounterexample;
  /** When `unknown`: how far the check got. */
  progress?: { partitionsDone: number; partitionsTotal: number; longestPrefix: number; partition: string };
}

export interface LinearizabilityResult extends LinearizabilityVerdict {
  /** The model's name. */
  model: string;
  stats: LinearizabilityStats;
  [detail: string]: unknown;
}

export const DEFAULT_MAX_CACHE_BYTES = 512 * 1024 * 1024;

/** Check a history against a model. Throws `Error` naming the op when an op's value does not fit the model. */
export function checkLinearizable(
  history: readonly Op[],
  model: AnyModel,
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const plan = planCheck(history, model, options);
  const outcomes: (SearchOutcome | undefined)[] = [];
  for (const job of plan.jobs) {
    const outcome = searchPartition(job.searched, model, model.init(plan.ctx), {
      deadline: plan.deadline,
      signal: options.signal,
      maxCacheBytes: plan.maxCacheBytes,
    });
    outcomes[job.position] = outcome;
    if (outcome.valid !== true) break;
  }
  return finishCheck(plan, outcomes);
}

/** A partition that needs the search: its place in the checking order, and the ops left after pruning. */
export interface SearchJob {
  /** Place in the checking order (smallest partition first). */
  position: number;
  partition: Partition;
  label: string;
  /** The partition's ops the search must order (unobserved optional writes pruned). */
  searched: readonly PreparedOp[];
}

/**
 * Everything before the search, shared by the sequential and the parallel checkers: the prepared
 * partitions in checking order, the fast path's first finding, and the partitions the search must still
 * decide (those before that finding).
 */
export interface CheckPlan {
  model: AnyModel;
  ctx: PrepareContext;
  /** Partitions in checking order: smallest first. */
  partitions: Partition[];
  /** Partitions the search must decide, in checking order. */
  jobs: SearchJob[];
  /** The first partition (in order) the fast path decided invalid, if any. */
  fastFinding?: { position: number; verdict: LinearizabilityVerdict };
  stats: LinearizabilityStats;
  started: number;
  /** `performance.now()` after which the check gives up. */
  deadline: number;
  maxCacheBytes: number;
}

export function planCheck(
  history: readonly Op[],
  model: AnyModel,
  options: LinearizabilityOptions,
): CheckPlan {
  const started = performance.now();
  const deadline =
    options.timeLimitMs === undefined ? Number.POSITIVE_INFINITY : started + options.timeLimitMs;
  const ctx = createPrepareContext();
  const prepared = prepareHistory(history, model, ctx, { partition: options.partition ?? true });
  // Small partitions first: most are quick, and an anomaly in one is found before the budget goes to a big one.
  const partitions = prepared.partitions.slice().sort((a, b) => a.ops.length - b.ops.length);
  const stats: LinearizabilityStats = {
    opCount: prepared.opCount,
    droppedCount: prepared.droppedCount,
    partitions: partitions.length,
    partitionsChecked: 0,
    fastPathDecided: 0,
    steps: 0,
    cacheEntries: 0,
    peakCacheBytes: 0,
    cacheFull: false,
    checkMs: 0,
    workers: 0,
  };
  const jobs: SearchJob[] = [];
  let fastFinding: CheckPlan["fastFinding"];
  // The fast path is O(n log n) per partition: run it on every partition up front (in order, stopping at
  // the first finding), so the search, sequential or parallel, only gets the partitions before it.
  for (let position = 0; position < partitions.length; position++) {
    const partition = partitions[position]!;
    const label = partition.key === undefined ? "all" : `key ${String(partition.key)}`;
    const views = registerViews(partition.ops, model);
    if (options.fastPath ?? true) {
      const violation = findRegisterViolation(partition.ops, model, views);
      if (violation) {
        fastFinding = { position, verdict: describeFastPath(partition, label, violation, model, ctx) };
        break;
      }
    }
    jobs.push({
      position,
      partition,
      label,
      searched: dropUnobservedOptionalWrites(partition.ops, model, views),
    });
  }
  return {
    model,
    ctx,
    partitions,
    jobs,
    ...(fastFinding ? { fastFinding } : {}),
    stats,
    started,
    deadline,
    maxCacheBytes: options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES,
  };
}

/**
 * The verdict from the search outcomes (indexed by position; missing = not searched): the first partition
 * in checking order that is not linearizable or could not be decided gives it, so a parallel check reports
 * exactly what the sequential one would.
 */
export function finishCheck(
  plan: CheckPlan,
  outcomes: readonly (SearchOutcome | undefined)[],
): LinearizabilityResult {
  const { stats, model, partitions } = plan;
  const finish = (result: LinearizabilityVerdict): LinearizabilityResult => {
    stats.checkMs = performance.now() - plan.started;
    return { ...result, model: model.name, stats };
  };
  for (const outcome of outcomes) {
    if (!outcome) continue;
    stats.steps += outcome.steps;
    stats.cacheEntries += outcome.cacheEntries;
    stats.peakCacheBytes = Math.max(stats.peakCacheBytes, outcome.peakCacheBytes);
    stats.cacheFull ||= outcome.cacheFull;
  }
  for (const job of plan.jobs) {
    const outcome = outcomes[job.position];
    const { partition, label, searched } = job;
    if (outcome === undefined || outcome.valid === "unknown") {
      // The fast path's violation is a proof: false beats unknown.
      if (plan.fastFinding) {
        stats.partitionsChecked++;
        return finish(plan.fastFinding.verdict);
      }
      const longest = outcome?.longestPrefix.length ?? 0;
      const reason = outcome?.reason ?? "aborted";
      return finish({
        valid: "unknown",
        explanation:
          `stopped (${reason}) while checking ${label} (${partition.ops.length} ops); ` +
          `${stats.partitionsChecked} of ${partitions.length} partitions were linearizable; ` +
          `the longest linearizable prefix found there has ${longest} ops`,
        progress: {
          partitionsDone: stats.partitionsChecked,
          partitionsTotal: partitions.length,
          longestPrefix: longest,
          partition: label,
        },
      });
    }
    stats.partitionsChecked++;
    if (outcome.valid === false) return finish(describeSearchFailure(plan, job, searched, outcome));
  }
  if (plan.fastFinding) {
    stats.partitionsChecked++;
    stats.fastPathDecided++;
    return finish(plan.fastFinding.verdict);
  }
  return finish({ valid: true });
}

function describeSearchFailure(
  plan: CheckPlan,
  job: SearchJob,
  searched: readonly PreparedOp[],
  outcome: SearchOutcome,
): LinearizabilityVerdict {
  const { model, ctx } = plan;
  const { partition, label } = job;
  const prefix = [...outcome.longestPrefix];
  const stuck = outcome.stuck;
  const opsInWords: Record<number, string> = {};
  for (const i of [...prefix.slice(-10), ...stuck]) {
    const op = searched[i]!;
    opsInWords[op.invokeIndex] = describePreparedOp(op, model, ctx, partition.key);
  }
  const state = model.describeState(outcome.stuckState, ctx);
  const blocking = stuck.length > 0 ? searched[stuck[stuck.length - 1]!] : undefined;
  const candidates = stuck.slice(0, 6).map((i) => opsInWords[searched[i]!.invokeIndex]!);
  return {
    valid: false,
    explanation:
      `${label}: not linearizable. The longest linearizable prefix has ${prefix.length} of ` +
      `${partition.ops.length} ops and leaves the state at ${state}; from there none of the ops that ` +
      `must come next can take effect: ${candidates.join("; ")}${stuck.length > 6 ? "; ..." : ""}.` +
      (blocking?.required
        ? ` Op ${blocking.invokeIndex} had to take effect before it returned at ${seconds(blocking.returnTimeNs)}.`
        : ""),
    counterexample: {
      partition: label,
      ...(partition.key === undefined ? {} : { key: partition.key }),
      kind: "no-linearization",
      linearizedPrefix: prefix.map((i) => searched[i]!.invokeIndex),
      stuck: stuck.map((i) => searched[i]!.invokeIndex),
      related: [],
      state,
      ops: opsInWords,
    },
  };
}

/** A time for explanations: seconds for real runs, milliseconds for short (often synthetic) histories. */
function seconds(ns: number): string {
  if (!Number.isFinite(ns)) return "never";
  return ns >= 1e9 ? `${(ns / 1e9).toFixed(3)} s` : `${(ns / 1e6).toFixed(3)} ms`;
}

/** `op 12 (process 3): read 5, 1.200–1.350 s` */
function describePreparedOp(
  op: PreparedOp,
  model: AnyModel,
  ctx: PrepareContext,
  partitionKey: Key | undefined,
): string {
  const key = partitionKey === undefined && op.key !== undefined ? `key ${String(op.key)} ` : "";
  const end = op.required ? seconds(op.returnTimeNs) : "unknown outcome";
  return (
    `op ${op.invokeIndex} (process ${String(op.process)}): ${key}${model.describeOp(op.input, ctx)}, ` +
    `${seconds(op.callTimeNs)}–${end}`
  );
}

function describeFastPath(
  partition: Partition,
  label: string,
  violation: ReturnType<typeof findRegisterViolation> & object,
  model: AnyModel,
  ctx: PrepareContext,
): LinearizabilityVerdict {
  const read = partition.ops[violation.read]!;
  const source = violation.source === undefined ? undefined : partition.ops[violation.source]!;
  const overwrite = violation.overwrite === undefined ? undefined : partition.ops[violation.overwrite]!;
  const value = describeValue(ctx.valueOf(violation.value));
  const readWords = `${model.describeOp(read.input, ctx)} (op ${read.invokeIndex}, process ${String(read.process)})`;
  let explanation: string;
  if (violation.kind === "impossible-read") {
    explanation = `${label}: ${readWords} at ${seconds(read.callTimeNs)}–${seconds(read.returnTimeNs)}, but no other operation ever wrote ${value}`;
  } else if (violation.kind === "read-from-future") {
    explanation =
      `${label}: ${readWords} finished at ${seconds(read.returnTimeNs)}, but the write of ${value} ` +
      `(op ${source!.invokeIndex}) began only at ${seconds(source!.callTimeNs)}, after that read had finished`;
  } else if (source === undefined) {
    explanation =
      `${label}: ${readWords} began at ${seconds(read.callTimeNs)} and found no value, but ` +
      `${model.describeOp(overwrite!.input, ctx)} (op ${overwrite!.invokeIndex}) had already finished at ${seconds(overwrite!.returnTimeNs)}`;
  } else {
    explanation =
      `${label}: ${readWords} began at ${seconds(read.callTimeNs)}, but ${value} (written by op ${source.invokeIndex}, ` +
      `done at ${seconds(source.returnTimeNs)}) was overwritten by ${model.describeOp(overwrite!.input, ctx)} ` +
      `(op ${overwrite!.invokeIndex}, ${seconds(overwrite!.callTimeNs)}–${seconds(overwrite!.returnTimeNs)}) before that read began`;
  }
  const related = [source, overwrite].filter((op): op is PreparedOp => op !== undefined);
  const ops: Record<number, string> = {};
  for (const op of [read, ...related])
    ops[op.invokeIndex] = describePreparedOp(op, model, ctx, partition.key);
  return {
    valid: false,
    explanation,
    counterexample: {
      partition: label,
      ...(partition.key === undefined ? {} : { key: partition.key }),
      kind: violation.kind,
      linearizedPrefix: [],
      stuck: [read.invokeIndex],
      related: related.map((op) => op.invokeIndex),
      ops,
    },
  };
}
