/**
 * The linearizability checker.
 *
 * A history is linearizable when every operation can be given one instant
 * between its invocation and its completion such that, in the order of those
 * instants, the operations make a legal sequential execution of a model
 * (a register, a queue, ...). `info` operations may take effect at any instant
 * after their invocation, or never.
 *
 * ```ts
 * import { linearizable } from "./checker/linearizable/index.js";
 * import { models } from "./checker/models/index.js";
 * const checker = linearizable({ model: models["cas-register"]!, timeLimitMs: 60_000 });
 * const result = await checker.check(history, {});
 * // result.valid: true | false | "unknown"; when false, result.explanation and result.counterexample
 * ```
 *
 * How: Wing & Gong's search with Lowe's cache, as Porcupine does (`search.ts`),
 * on each partition of the history when the model can split it per key
 * (P-compositionality), after an O(n log n) fast path that decides impossible
 * and stale reads of registers with unique values (`fastpath.ts`).
 */
import type { Op } from "../../history/op.js";
import type { AnyModel } from "../models/types.js";
import type { CheckContext, Checker } from "../types.js";
import type { LinearizabilityResult } from "./check.js";
import { checkLinearizableParallel, type ParallelLinearizabilityOptions } from "./parallel.js";

export {
  type CounterexampleKind,
  checkLinearizable,
  type LinearizabilityCounterexample,
  type LinearizabilityOptions,
  type LinearizabilityResult,
  type LinearizabilityStats,
} from "./check.js";
export {
  checkLinearizableParallel,
  DEFAULT_MIN_OPS_FOR_WORKERS,
  DEFAULT_MIN_PARTITION_OPS_FOR_WORKERS,
  liveLinearizabilityWorkers,
  type ParallelLinearizabilityOptions,
} from "./parallel.js";

export interface LinearizableCheckerOptions extends Omit<ParallelLinearizabilityOptions, "signal"> {
  model: AnyModel;
}

/** The default time budget of the `linearizable` checker when neither it nor the context gives one: 5 minutes. */
export const DEFAULT_TIME_LIMIT_MS = 300_000;

/**
 * A `Checker` that judges a history linearizable against `model`. The time
 * budget is the smaller of `timeLimitMs` and the context's (default 5 min);
 * the context's signal stops it early. Both end in `unknown`, never a hang.
 * Large partitioned histories are searched on worker threads where it pays
 * (`checkLinearizableParallel`); the result is the same either way.
 */
export function linearizable(options: LinearizableCheckerOptions): Checker {
  const { model, ...rest } = options;
  return {
    name: `linearizable(${model.name})`,
    async check(history: readonly Op[], ctx: CheckContext): Promise<LinearizabilityResult> {
      const limits = [rest.timeLimitMs, ctx.timeLimitMs].filter((v): v is number => v !== undefined);
      const timeLimitMs = limits.length > 0 ? Math.min(...limits) : DEFAULT_TIME_LIMIT_MS;
      const result = await checkLinearizableParallel(history, model, {
        ...rest,
        timeLimitMs,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      // Valid needs evidence: a history in which no client op could have taken effect checked nothing.
      if (result.valid === true && !history.some(mayHaveTakenEffect))
        return {
          ...result,
          valid: "unknown",
          explanation: history.some((op) => op.process !== "nemesis" && op.type === "invoke")
            ? "every client operation failed, so no operation took effect and there was nothing to check"
            : "no client operation was recorded, so there was nothing to check",
        };
      return result;
    },
  };
}

/** A client op that completed ok, or whose outcome is unknown (`info`): one that may have taken effect. */
function mayHaveTakenEffect(op: Op): boolean {
  return op.process !== "nemesis" && (op.type === "ok" || op.type === "info");
}
