/**
 * Op highlights: how a checker names the ops behind its verdict in its own
 * words, so reports can point at them without pretending to be a
 * linearizability counterexample.
 *
 * ```ts
 * return {
 *   valid: false,
 *   explanation: "account 3 went negative",
 *   highlights: [{ index: 41, label: "overdraft" }, { index: 57, label: "read after overdraft" }],
 * };
 * ```
 *
 * `index` is the `index` of an op in the history (the invocation or its
 * completion: either marks the pair), `label` a few words (at most
 * {@link HIGHLIGHT_LABEL_CHARS_MAX} characters, cut beyond). The console
 * summary prints `  <label>: op <index>: <the op in words>` under the
 * checker's anomaly, and report.html marks the ops on the timeline and lists
 * them with their labels. A highlight that is not of this shape is ignored,
 * so a checker's detail can never break a report.
 */
import type { CheckResult, OpHighlight } from "./types.js";

export type { OpHighlight };

/** Longest label kept; a longer one is cut with "…" (a label is a tag, the explanation holds the prose). */
export const HIGHLIGHT_LABEL_CHARS_MAX = 80;
/** Most highlights read from one result: a checker that names a million ops still gives a readable report. */
export const HIGHLIGHTS_MAX = 1000;

/** The well-formed highlights of a result (`result.highlights`), labels cut, at most {@link HIGHLIGHTS_MAX}. */
export function highlightsOf(result: CheckResult | Record<string, unknown>): OpHighlight[] {
  const raw = (result as { highlights?: unknown }).highlights;
  if (!Array.isArray(raw)) return [];
  const found: OpHighlight[] = [];
  for (const item of raw) {
    if (found.length >= HIGHLIGHTS_MAX) break;
    if (typeof item !== "object" || item === null) continue;
    const { index, label } = item as { index?: unknown; label?: unknown };
    if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) continue;
    if (typeof label !== "string" || label.trim() === "") continue;
    const text = label.trim();
    found.push({
      index,
      label:
        text.length > HIGHLIGHT_LABEL_CHARS_MAX ? `${text.slice(0, HIGHLIGHT_LABEL_CHARS_MAX - 1)}…` : text,
    });
  }
  return found;
}
