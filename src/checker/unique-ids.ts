/**
 * Unique ids: every `generate` that completed ok must have returned a value
 * no other `generate` returned. Duplicates are anomalies.
 */
import { canonicalJson } from "../history/values.js";
import type { Checker, CheckResult } from "./types.js";

export function uniqueIds(): Checker {
  return {
    name: "unique-ids",
    check(history): CheckResult {
      const seen = new Map<string, number[]>();
      let attempted = 0;
      let acknowledged = 0;
      for (const op of history) {
        if (op.process === "nemesis" || op.f !== "generate") continue;
        if (op.type === "invoke") attempted++;
        if (op.type !== "ok") continue;
        acknowledged++;
        const id = canonicalJson(op.value);
        const indices = seen.get(id);
        if (indices) indices.push(op.index);
        else seen.set(id, [op.index]);
      }
      const duplicates = [...seen.entries()]
        .filter(([, indices]) => indices.length > 1)
        .map(([id, opIndices]) => ({ id: JSON.parse(id) as unknown, opIndices }));
      const first = duplicates[0];
      return {
        valid: acknowledged === 0 ? "unknown" : duplicates.length === 0,
        attempted,
        acknowledged,
        duplicated: duplicates.slice(0, 100),
        duplicatedCount: duplicates.length,
        // Every op of the first duplicates, named as such in the summary and the report.
        highlights: duplicates
          .slice(0, 20)
          .flatMap(({ id, opIndices }) =>
            opIndices.map((index) => ({ index, label: `duplicate id ${JSON.stringify(id).slice(0, 40)}` })),
          ),
        ...(acknowledged === 0 && { explanation: "no generate op succeeded" }),
        ...(first && {
          explanation: `${duplicates.length} ids were handed out more than once; e.g. ${JSON.stringify(first.id)} by ops ${first.opIndices.join(", ")}`,
        }),
      };
    },
  };
}
