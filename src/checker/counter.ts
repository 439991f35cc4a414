/**
 * Counter: clients `add` a non-negative delta and `read` the counter. A read
 * must lie between
 * - the lower bound: the sum of adds that completed ok before the read was
 *   invoked (they certainly happened before it), and
 * - the upper bound: the sum of every add invoked before the read completed
 *   that did not fail (ok, info, or still in flight: they may have happened).
 * Out-of-bounds reads are anomalies (Jepsen's counter checker).
 */
import type { Checker, CheckResult } from "./types.js";

export function counterChecker(initial = 0): Checker {
  return {
    name: "counter",
    check(history): CheckResult {
      // Deltas of failed adds are removed from the upper bound when the failure is seen;
      // until then they count as possible.
      let lower = initial;
      let upper = initial;
      const openAdds = new Map<unknown, number>();
      const openReads = new Map<unknown, { lower: number; index: number }>();
      const errors: { opIndex: number; value: number; lower: number; upper: number }[] = [];
      let reads = 0;
      for (const op of history) {
        if (op.process === "nemesis") continue;
        if (op.f === "add") {
          const delta = Number(op.value);
          if (op.type === "invoke") {
            openAdds.set(op.process, delta);
            upper += delta;
          } else if (op.type === "ok") {
            lower += openAdds.get(op.process) ?? delta;
            openAdds.delete(op.process);
          } else if (op.type === "fail") {
            upper -= openAdds.get(op.process) ?? delta;
            openAdds.delete(op.process);
          } else openAdds.delete(op.process);
        } else if (op.f === "read") {
          if (op.type === "invoke") openReads.set(op.process, { lower, index: op.index });
          else {
            const started = openReads.get(op.process);
            openReads.delete(op.process);
            if (op.type !== "ok" || !started) continue;
            reads++;
            const value = Number(op.value);
            if (!(value >= started.lower && value <= upper)) {
              errors.push({ opIndex: op.index, value, lower: started.lower, upper });
            }
          }
        }
      }
      const first = errors[0];
      return {
        valid: reads === 0 ? "unknown" : errors.length === 0,
        reads,
        errors: errors.slice(0, 100),
        errorCount: errors.length,
        highlights: errors.slice(0, 100).map((error) => ({
          index: error.opIndex,
          label: `read ${error.value} out of bounds [${error.lower}, ${error.upper}]`,
        })),
        ...(reads === 0 && { explanation: "no successful read of the counter" }),
        ...(first && {
          explanation: `${errors.length} reads out of bounds; first: op ${first.opIndex} read ${first.value}, expected between ${first.lower} and ${first.upper}`,
        }),
      };
    },
  };
}
