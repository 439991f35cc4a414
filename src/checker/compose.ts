/**
 * Composing checkers: run several over the same history and merge their
 * verdicts. `false` beats `"unknown"` beats `true`: one anomaly makes the
 * whole run invalid, and a run is only valid when every checker says so.
 */
import type { Op } from "../history/op.js";
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

/** Run one checker, turning a thrown error into an `unknown` result that says why. */
export async function runChecker(
  checker: Checker,
  history: readonly Op[],
  ctx: CheckContext,
): Promise<CheckResult> {
  try {
    return await checker.check(history, ctx);
  } catch (error) {
    return {
      valid: "unknown",
      explanation: `checker ${checker.name} crashed: ${(error as Error).stack ?? String(error)}`,
    };
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
