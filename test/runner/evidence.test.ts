import { describe, expect, it } from "vitest";
import type { Op, OpType } from "../../src/history/op.js";
import { judgeEvidence } from "../../src/runner/evidence.js";

function ops(rows: [number | "nemesis", OpType, string, string?][]): Op[] {
  return rows.map(([process, type, f, error], index) => ({
    index,
    time: index,
    type,
    process,
    f,
    value: null,
    ...(error && { error }),
  }));
}

describe("judgeEvidence: valid needs evidence", () => {
  it("an empty history is not evidence", () => {
    const evidence = judgeEvidence([], { finalPhaseStartIndex: undefined });
    expect(evidence.sufficient).toBe(false);
    expect(evidence.reasons).toEqual(["no client operation was recorded"]);
  });

  it("a final phase whose every op failed is not evidence", () => {
    const history = ops([
      [0, "invoke", "write"],
      [0, "ok", "write"],
      [0, "invoke", "read"],
      [0, "fail", "read", "ECONNREFUSED"],
      [1, "invoke", "read"],
      [1, "fail", "read", "ECONNREFUSED"],
    ]);
    const evidence = judgeEvidence(history, { finalPhaseStartIndex: 2 });
    expect(evidence.sufficient).toBe(false);
    expect(evidence.reasons[0]).toContain("none of the 2 final-phase ops succeeded");
  });

  it("a recovery wait that failed is not evidence, even when some final op succeeded", () => {
    const history = ops([
      [0, "invoke", "write"],
      [0, "ok", "write"],
      ["nemesis", "invoke", "wait-for-recovery"],
      [
        "nemesis",
        "fail",
        "wait-for-recovery",
        "not recovered after 30000 ms (all running: true, leader: none)",
      ],
      [0, "invoke", "read"],
      [0, "ok", "read"],
    ]);
    const evidence = judgeEvidence(history, { finalPhaseStartIndex: 2 });
    expect(evidence.sufficient).toBe(false);
    expect(evidence.reasons).toEqual([
      "the cluster was not seen to recover after the faults: not recovered after 30000 ms (all running: true, leader: none)",
    ]);
  });

  it("a recovered cluster whose final reads succeeded is evidence", () => {
    const history = ops([
      [0, "invoke", "write"],
      [0, "ok", "write"],
      ["nemesis", "invoke", "wait-for-recovery"],
      ["nemesis", "ok", "wait-for-recovery"],
      [0, "invoke", "read"],
      [0, "ok", "read"],
    ]);
    expect(judgeEvidence(history, { finalPhaseStartIndex: 2 })).toEqual({ sufficient: true, reasons: [] });
  });

  it("a test without a final phase needs only client ops", () => {
    const history = ops([
      [0, "invoke", "write"],
      [0, "fail", "write"],
    ]);
    expect(judgeEvidence(history, { finalPhaseStartIndex: undefined }).sufficient).toBe(true);
  });
});
