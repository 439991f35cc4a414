/**
 * Counter: clients `add` a delta and `read` the counter (Jepsen's counter
 * checker). A read must lie between
 * - the lower bound: the initial value plus every add that certainly
 *   happened before the read began (completed ok before its invocation), and
 * - the upper bound: the initial value plus every add that may have happened
 *   before the read ended (invoked before its completion, and not failed).
 *
 * A failed add never happened, so it counts toward no bound, not even while
 * it is in flight (Jepsen drops failed operations before checking); an add
 * whose outcome is unknown (`info`, or never completed) may have happened at
 * any time after its invocation. Negative deltas are allowed and swap the
 * roles: they lower the lower bound from their invocation on and the upper
 * bound only once acknowledged. Out-of-bounds reads are anomalies; a history
 * without any ok read is no evidence (`unknown`).
 */
import type { Op } from "../history/op.js";
import type { Checker, CheckResult } from "./types.js";

export interface CounterRead {
  opIndex: number;
  value: number;
  lower: number;
  upper: number;
}

/** Out-of-bounds reads kept in the result, at most (the count is exact). */
const ERRORS_KEPT_MAX = 100;

export function counterChecker(initial = 0): Checker {
  return {
    name: "counter",
    check(history): CheckResult {
      const failed = failedInvocations(history);
      let lower = initial;
      let upper = initial;
      const openAdds = new Map<unknown, number>();
      const openReads = new Map<unknown, number>();
      const errors: CounterRead[] = [];
      let errorCount = 0;
      let reads = 0;
      for (const op of history) {
        if (op.process === "nemesis") continue;
        if (op.f === "add") {
          if (op.type === "invoke") {
            if (failed.has(op.index)) continue;
            const delta = op.value;
            if (typeof delta !== "number" || !Number.isFinite(delta)) {
              return {
                valid: "unknown",
                explanation: `add at op ${op.index} has delta ${JSON.stringify(delta)}, not a number`,
              };
            }
            openAdds.set(op.process, delta);
            if (delta >= 0) upper += delta;
            else lower += delta;
          } else {
            const delta = openAdds.get(op.process);
            openAdds.delete(op.process);
            if (delta === undefined || op.type !== "ok") continue;
            if (delta >= 0) lower += delta;
            else upper += delta;
          }
        } else if (op.f === "read") {
          if (op.type === "invoke") {
            openReads.set(op.process, lower);
            continue;
          }
          const lowerAtStart = openReads.get(op.process);
          openReads.delete(op.process);
          if (op.type !== "ok" || lowerAtStart === undefined) continue;
          if (typeof op.value !== "number") {
            return {
              valid: "unknown",
              explanation: `read at op ${op.index} returned ${JSON.stringify(op.value)}, not a number`,
            };
          }
          reads++;
          if (!(op.value >= lowerAtStart && op.value <= upper)) {
            errorCount++;
            if (errors.length < ERRORS_KEPT_MAX)
              errors.push({ opIndex: op.index, value: op.value, lower: lowerAtStart, upper });
          }
        }
      }
      const first = errors[0];
      return {
        valid: reads === 0 ? "unknown" : errorCount === 0,
        reads,
        errors,
        errorCount,
        highlights: errors.map((error) => ({
          index: error.opIndex,
          label: `read ${error.value} out of bounds [${error.lower}, ${error.upper}]`,
        })),
        ...(reads === 0 && { explanation: "no successful read of the counter" }),
        ...(first && {
          explanation: `${errorCount} reads out of bounds; first: op ${first.opIndex} read ${first.value}, expected between ${first.lower} and ${first.upper}`,
        }),
      };
    },
  };
}

/** History indices of invocations whose completion is `fail`. */
function failedInvocations(history: readonly Op[]): Set<number> {
  const open = new Map<unknown, number>();
  const failed = new Set<number>();
  for (const op of history) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") open.set(op.process, op.index);
    else {
      const invokedAt = open.get(op.process);
      open.delete(op.process);
      if (op.type === "fail" && invokedAt !== undefined) failed.add(invokedAt);
    }
  }
  return failed;
}
