/**
 * Checkers are pure functions of a history: `check(history) → { valid, ... }`.
 *
 * `valid` is three-valued: `true`, `false` (an anomaly was found), or
 * `"unknown"` (the checker could not decide, e.g. its time budget ran out).
 * Every result that is not `true` carries `explanation`, plain words a person
 * can act on; checkers may add structured detail (anomalies, counterexample).
 */
import type { Interval } from "../history/intervals.js";
import type { Op } from "../history/op.js";

export type Validity = true | false | "unknown";

/** One op a checker names with its own label (see `checker/highlights.ts`, docs/checkers.md). */
export interface OpHighlight {
  /** The op's `index` in the history (invocation or completion: either marks the pair). */
  readonly index: number;
  /** A few words: "overdraft", "duplicate id 7", "final read: 3 acknowledged adds missing". */
  readonly label: string;
}

export interface CheckResult {
  valid: Validity;
  /** Plain-words summary of what was found (required when valid is not true). */
  explanation?: string;
  /** The ops behind the verdict, named in the checker's words; shown by the summary and report.html. */
  highlights?: readonly OpHighlight[];
  [detail: string]: unknown;
}

export interface CheckContext {
  /** Stop early (result `unknown`) when this fires. */
  readonly signal?: AbortSignal;
  /** A time budget for the checker; exceeded → `unknown`. */
  readonly timeLimitMs?: number;
  /**
   * The run's interval log (who held a lock or slot, from when to when), on the
   * history's time axis, when the test has one; lock and semaphore checkers
   * judge it together with the fault ops of the history.
   */
  readonly intervals?: readonly Interval[];
  /**
   * False when the history's times were synthesized from file order (an
   * imported file without times): checkers must then draw no real-time
   * edges from them. Default true.
   */
  readonly realTimeKnown?: boolean;
}

export interface Checker {
  readonly name: string;
  check(history: readonly Op[], ctx: CheckContext): CheckResult | Promise<CheckResult>;
}
