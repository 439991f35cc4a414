/**
 * The shape of `results.json` and `test.json` in a run's store folder: the
 * machine-readable source every report (console, HTML, JUnit) renders from.
 */
import type { CheckResult, Validity } from "../checker/types.js";

export interface TestInfo {
  name: string;
  seed: number;
  /** ISO time the run started. */
  startedAt: string;
  /** The command line that reproduces the run (`crucible run ... --seed N`). */
  reproduce: string;
  argv: readonly string[];
  timeLimitMs: number;
  /** The per-op timeout in force (a slower op was recorded as info). */
  opTimeoutMs?: number;
  concurrency: number;
  nodes: number;
  /** Cluster recipe, the seeded configuration variant, if any, and `tls: true` when its servers ran with TLS on. */
  cluster: { name: string; variant?: string | undefined; tls?: boolean } | undefined;
  nemesis: readonly string[];
  versions: { crucible: string; node: string; [component: string]: string };
  /** Free-form spec fields the test declared. */
  spec?: Record<string, unknown>;
  /** Values of the test file's own options (declared with `defineTest(fn, { options })`), given or default. */
  testOptions?: Record<string, string | number | boolean>;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RunStats {
  ops: number;
  byType: Record<"ok" | "fail" | "info", number>;
  byF: Record<string, { ok: number; fail: number; info: number }>;
  durationMs: number;
  throughputOpsPerSec: number;
  latency: LatencySummary;
}

export interface Results {
  valid: Validity;
  /** One entry per checker, by name. */
  checkers: Record<string, CheckResult>;
  /** False when the run was interrupted (Ctrl-C, crash): the verdict covers the history recorded so far. */
  complete: boolean;
  /** Why the run failed or stopped early, when it did. */
  error?: string;
  stats: RunStats;
  /** Notes for a reader: fallbacks taken, faults that could not be applied, ... */
  notes: string[];
  /**
   * Whether the run saw enough for `valid` to stand (client ops recorded, the
   * cluster seen to recover, a final phase that succeeded). When it did not,
   * a verdict the checkers called valid is `unknown`, and `reasons` say why.
   */
  evidence?: { sufficient: boolean; reasons: string[] };
  /**
   * The run's time zero on `CLOCK_MONOTONIC`, in nanoseconds, as a decimal
   * string (monotonic times pass 2^53 on a host up for 104 days); present when
   * the run folder has an `intervals.jsonl`. Subtracting it from the log's
   * times puts the holds on the history's time axis, so `crucible report`
   * can draw them and `crucible check` can judge the log again.
   */
  intervalOriginNs?: string;
}
