/**
 * Composing checkers: run several over the same history and merge their
 * verdicts. `false` beats `"unknown"` beats `true`: one anomaly makes the
 * whole run invalid, and a run is only valid when every checker says so.
 *
 * {@link runChecker} is the one door every checker goes through: a checker
 * that throws, never settles, or returns something that is not a result is
 * `unknown` with the reason — never valid, never a crashed run.
 */
import { describeError } from "../errors/index.js";
import type { Op } from "../history/op.js";
import { describeValue } from "../history/writable.js";
import { ModelInputError } from "./models/input-error.js";
import type { CheckContext, Checker, CheckResult, Validity } from "./types.js";

/** Merge verdicts: false > unknown > true. An empty list is valid. */
export function mergeValidity(verdicts: Iterable<Validity>): Validity {
  let merged: Validity = true;
  for (const verdict of verdicts) {
    if (verdict === false) return false;
    if (verdict === "unknown") merged = "unknown";
  }
  return merged;
}

export interface ComposedResult extends CheckResult {
  checkers: Record<string, CheckResult>;
}

/**
 * How long one checker may run before it is called unknown. Checkers with a
 * search of their own bound it with `ctx.timeLimitMs` far below this; this
 * bound is for the checker that never settles, which would otherwise leave
 * nothing for Node to wait on (exit 13, no results).
 */
export const DEFAULT_CHECKER_TIMEOUT_MS = 10 * 60_000;

export interface RunCheckerOptions {
  /** Bound on the checker's run (default {@link DEFAULT_CHECKER_TIMEOUT_MS}). */
  timeoutMs?: number;
}

const VALIDITIES: readonly unknown[] = [true, false, "unknown"];

/**
 * Check that a checker returned a result: an object whose `valid` is exactly
 * `true`, `false` or `"unknown"`. Anything else (`{ valid: "false" }`,
 * `{ valid: 0 }`, `undefined`) is a bug in the checker, reported as unknown.
 */
export function validateResult(checkerName: string, result: unknown): CheckResult {
  if (result === null || typeof result !== "object" || Array.isArray(result)) {
    return {
      valid: "unknown",
      checkerBug: true,
      explanation: `checker ${checkerName} is broken: it returned ${describeValue(result)}, not a result object { valid: true | false | "unknown" }`,
    };
  }
  const valid = (result as { valid?: unknown }).valid;
  if (!VALIDITIES.includes(valid)) {
    return {
      ...(result as Record<string, unknown>),
      valid: "unknown",
      checkerBug: true,
      returnedValid: describeValue(valid),
      explanation: `checker ${checkerName} is broken: its result's valid is ${describeValue(valid)}; it must be true, false or "unknown"`,
    };
  }
  return result as CheckResult;
}

/** Run one checker: a throw, a hang or a malformed result becomes an `unknown` result that says why. */
export async function runChecker(
  checker: Checker,
  history: readonly Op[],
  ctx: CheckContext,
  options: RunCheckerOptions = {},
): Promise<CheckResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECKER_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  // A ref'd timer on purpose: it is what keeps Node waiting for a checker that never settles.
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(() => checker.check(history, ctx)), timeout]);
    if (outcome === "timeout") {
      return {
        valid: "unknown",
        explanation: `checker ${checker.name} did not finish within ${timeoutMs} ms`,
      };
    }
    return validateResult(checker.name, outcome);
  } catch (error) {
    if (error instanceof ModelInputError) {
      // Not a crash: the history holds ops this checker's model has no meaning for. One line, no stack.
      return {
        valid: "unknown",
        unjudgeable: true,
        explanation: `checker ${checker.name} cannot judge this history: ${error.message}; give it only its ops with only({ f: [...] }, checker)`,
      };
    }
    return {
      valid: "unknown",
      checkerCrashed: true,
      explanation: `checker crashed: ${describeError(error)}`,
      ...(error instanceof Error && error.stack !== undefined && { stack: error.stack }),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A checker that runs every given checker (in order) and merges their verdicts. */
export function compose(checkers: readonly Checker[], name = "compose"): Checker {
  const seen = new Set<string>();
  for (const checker of checkers) {
    if (seen.has(checker.name)) throw new Error(`compose: two checkers are named ${checker.name}`);
    seen.add(checker.name);
  }
  return {
    name,
    async check(history, ctx): Promise<ComposedResult> {
      const results: Record<string, CheckResult> = {};
      for (const checker of checkers) results[checker.name] = await runChecker(checker, history, ctx);
      const valid = mergeValidity(Object.values(results).map((result) => result.valid));
      const failing = Object.entries(results).filter(([, result]) => result.valid !== true);
      return {
        valid,
        checkers: results,
        ...(failing.length > 0 && {
          explanation: failing
            .map(([checkerName, result]) => `${checkerName}: ${result.explanation ?? result.valid}`)
            .join("\n"),
        }),
      };
    },
  };
}

/** Which ops {@link only} passes on. */
export interface OnlyFilter {
  /** Keep client ops with one of these `f`s. */
  f?: string | readonly string[];
  /** Keep the nemesis's ops too (default false). */
  nemesis?: boolean;
}

/**
 * Give a checker just the ops it understands: `only({ f: ["acquire",
 * "release"] }, linearizable({ model: mutexModel() }))` in a test whose
 * workload also reads. Invocations and completions are kept together (a
 * completion's `f` is its invocation's). The checker keeps its name.
 */
export function only(filter: OnlyFilter, checker: Checker): Checker {
  const fs =
    filter.f === undefined ? undefined : new Set(typeof filter.f === "string" ? [filter.f] : filter.f);
  const keep = (op: Op): boolean => {
    if (op.process === "nemesis") return filter.nemesis === true;
    return fs === undefined || fs.has(op.f);
  };
  return {
    name: checker.name,
    check(history, ctx) {
      return checker.check(history.filter(keep), ctx);
    },
  };
}
