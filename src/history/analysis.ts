/**
 * Helpers over a history: pair invocations with completions, filter, and
 * summarize (counts by type and f, latency quantiles). All are pure and
 * linear in the history's length.
 */

import type { Key, Op, ProcessId } from "./op.js";
import type { LatencySummary, RunStats } from "./results.js";

/** An invocation and its completion (undefined when the history ended first: an implicit `info`). */
export interface OpPair {
  invoke: Op;
  completion: Op | undefined;
}

/**
 * Pair each invocation with the next op of the same process. Throws when a
 * process invokes twice without completing (a broken history).
 */
export function pairOps(history: readonly Op[]): OpPair[] {
  const pairs: OpPair[] = [];
  const open = new Map<ProcessId, OpPair>();
  for (const op of history) {
    if (op.type === "invoke") {
      const previous = open.get(op.process);
      if (previous) {
        throw new Error(
          `op ${op.index}: process ${op.process} invoked again while op ${previous.invoke.index} was still open`,
        );
      }
      const pair: OpPair = { invoke: op, completion: undefined };
      open.set(op.process, pair);
      pairs.push(pair);
    } else {
      const pair = open.get(op.process);
      if (!pair) continue; // a completion with no invocation: tolerated (e.g. a trimmed history)
      pair.completion = op;
      open.delete(op.process);
    }
  }
  return pairs;
}

/** Map from each op's index to its partner's index (invoke ↔ completion). */
export function partnerIndex(history: readonly Op[]): Map<number, number> {
  const partners = new Map<number, number>();
  for (const { invoke, completion } of pairOps(history)) {
    if (completion) {
      partners.set(invoke.index, completion.index);
      partners.set(completion.index, invoke.index);
    }
  }
  return partners;
}

export interface OpFilter {
  process?: ProcessId;
  f?: string | readonly string[];
  key?: Key;
  type?: Op["type"] | readonly Op["type"][];
  clientOnly?: boolean;
}

/** The ops matching every given criterion. */
export function filterOps(history: readonly Op[], filter: OpFilter): Op[] {
  const fs =
    filter.f === undefined ? undefined : new Set(typeof filter.f === "string" ? [filter.f] : filter.f);
  const types =
    filter.type === undefined
      ? undefined
      : new Set(typeof filter.type === "string" ? [filter.type] : filter.type);
  return history.filter(
    (op) =>
      (filter.process === undefined || op.process === filter.process) &&
      (fs === undefined || fs.has(op.f)) &&
      (filter.key === undefined || op.key === filter.key) &&
      (types === undefined || types.has(op.type)) &&
      (!filter.clientOnly || op.process !== "nemesis"),
  );
}

/** The q-quantile (0..1) of sorted numbers, nearest-rank; 0 for an empty list. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function latencySummary(latenciesMs: number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const list = Array.from(sorted);
  return {
    count: list.length,
    p50Ms: quantile(list, 0.5),
    p95Ms: quantile(list, 0.95),
    p99Ms: quantile(list, 0.99),
    maxMs: list.length ? list[list.length - 1]! : 0,
  };
}

/** Counts by type and f, throughput, latency quantiles of completed client ops. */
export function summarize(history: readonly Op[]): RunStats {
  const byType = { ok: 0, fail: 0, info: 0 };
  const byF: RunStats["byF"] = {};
  const latenciesMs: number[] = [];
  let firstNs = Number.POSITIVE_INFINITY;
  let lastNs = 0;
  let ops = 0;
  for (const { invoke, completion } of pairOps(history)) {
    if (invoke.process === "nemesis") continue;
    ops++;
    const type = completion?.type === "ok" || completion?.type === "fail" ? completion.type : "info";
    byType[type]++;
    const counts = byF[invoke.f] ?? { ok: 0, fail: 0, info: 0 };
    counts[type]++;
    byF[invoke.f] = counts;
    firstNs = Math.min(firstNs, invoke.time);
    lastNs = Math.max(lastNs, completion?.time ?? invoke.time);
    if (completion && completion.type !== "info") latenciesMs.push((completion.time - invoke.time) / 1e6);
  }
  const durationMs = ops ? (lastNs - firstNs) / 1e6 : 0;
  return {
    ops,
    byType,
    byF,
    durationMs,
    throughputOpsPerSec: durationMs > 0 ? (ops * 1000) / durationMs : 0,
    latency: latencySummary(latenciesMs),
  };
}
