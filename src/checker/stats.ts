/**
 * Stats: ok/fail/info counts per `f`. A history with no client op, or one in
 * which some `f` was attempted but never succeeded, is `unknown`: a workload
 * where every write failed checks nothing about writes, and that is missing
 * evidence, not an anomaly (Jepsen's stats checker calls it invalid; we keep
 * "invalid" for anomalies, so a red run always means a bug was found).
 */
import { summarize } from "../history/analysis.js";
import type { Checker, CheckResult } from "./types.js";

export function stats(): Checker {
  return {
    name: "stats",
    check(history): CheckResult {
      const summary = summarize(history);
      const fs = Object.entries(summary.byF);
      if (fs.length === 0) {
        return {
          valid: "unknown",
          byType: summary.byType,
          byF: summary.byF,
          explanation: "no client operations were recorded, so the history says nothing",
        };
      }
      const neverOk = fs.filter(([, counts]) => counts.ok === 0).map(([f]) => f);
      return {
        valid: neverOk.length === 0 ? true : "unknown",
        byType: summary.byType,
        byF: summary.byF,
        ...(neverOk.length > 0 && {
          explanation: `no ${neverOk.map((f) => `\`${f}\``).join(", ")} op ever succeeded, so the history says nothing about ${neverOk.length === 1 ? "it" : "them"}`,
        }),
      };
    },
  };
}
