/**
 * `exactlyOnce({ key })`: each key (a cron tick, a job id) ran at most once,
 * and, when the test says which keys were due, at least once unless its
 * claimant was killed.
 *
 * The seed's cron rows: "each tick has exactly one result; killed winner ⇒
 * tick claimed, no result, no rerun". In the interval log, a run of a key is
 * a hold with that key; a finished run has its end record; a claimant killed
 * mid-run leaves an open hold, and its actor's kill or exit is in the history.
 *
 * - Two or more holds of one key: a rerun (or two winners) → invalid, naming
 *   every run.
 * - A due key (`expectedKeys`) with no hold at all: it never ran → invalid.
 * - A key whose only run is open and whose actor was killed: claimed, no
 *   result, no rerun → fine, counted as `killedClaims`.
 * - An open run with no kill of its actor: the run ended while it ran →
 *   counted as `unfinished`, not a violation.
 * - No hold with a key at all → `unknown`: nothing ran that can be judged.
 *
 * Keys compare by their text (`5` and `"5"` are one tick).
 */
import type { Interval } from "../../history/intervals.js";
import type { Key, Op } from "../../history/op.js";
import type { CheckContext, Checker, CheckResult } from "../types.js";
import { ENDED_BY_KILL, ENDED_BY_RECORD, endedByName, resolveEnds } from "./ends.js";
import { holderEnds, lossEvents } from "./loss-events.js";
import { intervalText } from "./words.js";

export interface ExactlyOnceOptions {
  /** Which field names the job a hold ran: the hold's `key` (default), `office` or `slot`, or a function. */
  readonly key?: "key" | "office" | "slot" | ((interval: Interval) => Key | undefined);
  /** The keys that were due (every tick of the schedule): each must have run, unless its claimant was killed. */
  readonly expectedKeys?: readonly Key[];
  /** The `f`s of ops that record an actor's exit (default `["actor-exit"]`). */
  readonly exitFs?: readonly string[];
  /** Keys described in full; default 20. */
  readonly maxReported?: number;
}

export interface ExactlyOnceViolation {
  readonly key: string;
  /** `rerun`: more than one run; `missing`: due, never ran. */
  readonly kind: "rerun" | "missing";
  readonly runs: ReadonlyArray<{
    holder: string;
    pid: number;
    startMs: number;
    endMs: number;
    endedBy: string;
    line: number;
  }>;
  readonly explanation: string;
}

export function checkExactlyOnce(
  intervals: readonly Interval[],
  history: readonly Op[],
  options: ExactlyOnceOptions = {},
): CheckResult {
  const pick = options.key ?? "key";
  const keyOf =
    typeof pick === "function"
      ? pick
      : (interval: Interval): Key | undefined => interval[pick] as Key | undefined;
  const maxReported = options.maxReported ?? 20;
  const holders = new Set(intervals.map((i) => i.holder));
  const events = lossEvents(history, { holders });
  const killed = holderEnds(history, events, {
    holders,
    ...(options.exitFs ? { exitFs: options.exitFs } : {}),
  });
  const { ends, endedBy } = resolveEnds(intervals, history, killed, "kill");
  const runs = new Map<string, number[]>();
  for (let i = 0; i < intervals.length; i++) {
    const key = keyOf(intervals[i] as Interval);
    if (key === undefined) continue;
    const text = String(key);
    const list = runs.get(text);
    if (list) list.push(i);
    else runs.set(text, [i]);
  }
  if (runs.size === 0)
    return {
      valid: "unknown",
      explanation: `no hold with a ${typeof pick === "function" ? "key" : `\`${pick}\``} in the interval log (${intervals.length} holds): nothing ran that can be judged`,
    };
  const violations: ExactlyOnceViolation[] = [];
  let violationCount = 0;
  let ranOnce = 0;
  let killedClaims = 0;
  let unfinished = 0;
  const describeRun = (i: number) => {
    const interval = intervals[i] as Interval;
    return {
      holder: interval.holder,
      pid: interval.pid,
      startMs: Math.round(interval.start) / 1e6,
      endMs: Math.round(ends[i] as number) / 1e6,
      endedBy: endedByName(endedBy[i] as number),
      line: interval.line,
    };
  };
  for (const [key, list] of runs) {
    if (list.length === 1) {
      const how = endedBy[list[0] as number] as number;
      if (how === ENDED_BY_RECORD) ranOnce++;
      else if (how === ENDED_BY_KILL) killedClaims++;
      else unfinished++;
      continue;
    }
    violationCount++;
    if (violations.length < maxReported)
      violations.push({
        key,
        kind: "rerun",
        runs: list.map(describeRun),
        explanation: `key ${key} ran ${list.length} times: ${list
          .map((i) =>
            intervalText(intervals[i] as Interval, ends[i] as number, endedByName(endedBy[i] as number)),
          )
          .join("; ")}`,
      });
  }
  const missing = (options.expectedKeys ?? []).map(String).filter((key) => !runs.has(key));
  for (const key of missing) {
    violationCount++;
    if (violations.length < maxReported)
      violations.push({
        key,
        kind: "missing",
        runs: [],
        explanation: `key ${key} was due but never ran (no hold with it)`,
      });
  }
  const detail = {
    keyCount: runs.size,
    expectedKeyCount: options.expectedKeys?.length ?? null,
    ranOnceCount: ranOnce,
    killedClaimCount: killedClaims,
    unfinishedCount: unfinished,
    rerunCount: violationCount - missing.length,
    missingCount: missing.length,
    violationCount,
    violations,
  };
  if (violationCount > 0)
    return {
      valid: false,
      ...detail,
      explanation: `${violationCount} key${violationCount === 1 ? "" : "s"} did not run exactly once: ${violations
        .slice(0, 3)
        .map((v) => v.explanation)
        .join("; ")}`,
    };
  return {
    valid: true,
    ...detail,
    explanation: `${runs.size} keys each ran at most once (${ranOnce} finished, ${killedClaims} claimed by a run that was killed, ${unfinished} still running when the run ended)${options.expectedKeys ? `; every one of the ${options.expectedKeys.length} due keys ran` : ""}`,
  };
}

export function exactlyOnce(options: ExactlyOnceOptions = {}): Checker {
  return {
    name: "exactly-once",
    check(history: readonly Op[], ctx: CheckContext): CheckResult {
      return checkExactlyOnce(ctx.intervals ?? [], history, options);
    },
  };
}
