/**
 * Stats: ok/fail/info counts per `f`. Invalid when some `f` was attempted
 * but never succeeded — a workload where every write failed checks nothing,
 * and a green verdict on it would be a lie (Jepsen's stats checker).
 */
import { summarize } from "../history/analysis.js";
import type { Checker, CheckResult } from "./types.js";

export function stats(): Checker {
  return {
    name: "stats",
    check(history): CheckResult {
      const summary = summarize(history);
      const neverOk = Object.entries(summary.byF)
        .filter(([, counts]) => counts.ok === 0)
        .map(([f]) => f);
      return {
        valid: neverOk.length === 0,
        byType: summary.byType,
        byF: summary.byF,
        ...(neverOk.length > 0 && {
          explanation: `no ${neverOk.map((f) => `\`${f}\``).join(", ")} op ever succeeded, so the history says nothing about ${neverOk.length === 1 ? "it" : "them"}`,
        }),
      };
    },
  };
}
