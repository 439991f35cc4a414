/**
 * Evidence: did the run see enough for `valid` to mean something?
 *
 * Checkers judge the ops they are given; a history in which the cluster was
 * dead from the third second on passes most of them (every op failed, and a
 * failed op constrains nothing). `valid` is a claim — "checked, enough was
 * seen, nothing wrong" — so the runner asks three questions of every history
 * before it lets a valid verdict stand:
 *
 * 1. Were any client ops recorded at all?
 * 2. Did the cluster recover after the last fault? A `wait-for-recovery` that
 *    ended `fail` or `info` says it did not.
 * 3. Did any op of the final phase succeed? The final phase is where a test
 *    reads back what the faults may have lost; when all of it failed, nothing
 *    was read back.
 *
 * A "no" makes a valid verdict `unknown` with the reasons in words; it never
 * touches an invalid one (an anomaly found is found, whatever else happened).
 */
import { RECOVERY_F } from "../faults/vocabulary.js";
import type { Op } from "../history/op.js";

export interface EvidenceInput {
  /** History index at which the final phase began; undefined when it never began. */
  readonly finalPhaseStartIndex: number | undefined;
}

export interface Evidence {
  /** True when nothing below says the history is too thin to call valid. */
  readonly sufficient: boolean;
  /** Why not, in words; empty when sufficient. */
  readonly reasons: readonly string[];
}

export function judgeEvidence(history: readonly Op[], input: EvidenceInput): Evidence {
  const reasons: string[] = [];
  let clientInvokes = 0;
  let finalInvokes = 0;
  let finalOks = 0;
  for (const op of history) {
    if (op.process === "nemesis") {
      if (op.f === RECOVERY_F && op.type !== "invoke" && op.type !== "ok")
        reasons.push(
          `the cluster was not seen to recover after the faults: ${op.error ?? `${RECOVERY_F} ended ${op.type}`}`,
        );
      continue;
    }
    if (op.type === "invoke") clientInvokes++;
    if (input.finalPhaseStartIndex === undefined || op.index < input.finalPhaseStartIndex) continue;
    if (op.type === "invoke") finalInvokes++;
    else if (op.type === "ok") finalOks++;
  }
  if (clientInvokes === 0) reasons.push("no client operation was recorded");
  else if (finalInvokes > 0 && finalOks === 0)
    reasons.push(
      `none of the ${finalInvokes} final-phase ops succeeded, so nothing the faults may have lost was read back`,
    );
  return { sufficient: reasons.length === 0, reasons };
}
