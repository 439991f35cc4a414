import { describe, expect, it } from "vitest";
import type { Op } from "../../src/history/op.js";
import { describeFaultValue, faultPeriods } from "../../src/report/periods.js";

/** A history from compact rows: [timeMs, type, process, f, value?]. */
function history(rows: [number, Op["type"], number | "nemesis", string, unknown?][]): Op[] {
  return rows.map(([timeMs, type, process, f, value], index) => ({
    index,
    time: timeMs * 1e6,
    type,
    process,
    f,
    value: value ?? null,
  }));
}

describe("faultPeriods", () => {
  it("pairs kill…start, pause…resume and start-partition…stop-partition from invoke to the healing completion", () => {
    const ops = history([
      [0, "invoke", 0, "read"],
      [10, "invoke", "nemesis", "kill", ["n1"]],
      [12, "ok", "nemesis", "kill", ["n1"]],
      [15, "ok", 0, "read"],
      [20, "invoke", "nemesis", "start"],
      [25, "ok", "nemesis", "start"],
      [30, "invoke", "nemesis", "pause", ["n2"]],
      [31, "ok", "nemesis", "pause", ["n2"]],
      [40, "invoke", "nemesis", "resume"],
      [41, "ok", "nemesis", "resume"],
      [50, "invoke", "nemesis", "start-partition", [["n1"], ["n2", "n3"]]],
      [52, "ok", "nemesis", "start-partition", [["n1"], ["n2", "n3"]]],
      [60, "invoke", "nemesis", "stop-partition"],
      [61, "ok", "nemesis", "stop-partition"],
    ]);
    const periods = faultPeriods(ops);
    expect(
      periods.map((p) => [p.kind, p.startNs / 1e6, p.endNs / 1e6, p.healedBy, p.startIndex, p.endIndex]),
    ).toEqual([
      ["kill", 10, 25, "start", 1, 5],
      ["pause", 30, 41, "resume", 6, 9],
      ["start-partition", 50, 61, "stop-partition", 10, 13],
    ]);
    expect(periods.every((p) => p.healed && !p.instant)).toBe(true);
    expect(periods[0]!.value).toEqual(["n1"]);
  });

  it("keeps overlapping faults of different kinds apart and ignores a repeated start of an open fault", () => {
    const ops = history([
      [0, "invoke", "nemesis", "kill"],
      [1, "ok", "nemesis", "kill"],
      [2, "invoke", "nemesis", "start-partition"],
      [3, "ok", "nemesis", "start-partition"],
      [4, "invoke", "nemesis", "kill"],
      [5, "ok", "nemesis", "kill"],
      [6, "invoke", "nemesis", "heal-network"],
      [7, "ok", "nemesis", "heal-network"],
      [8, "invoke", "nemesis", "start"],
      [9, "ok", "nemesis", "start"],
    ]);
    expect(faultPeriods(ops).map((p) => [p.kind, p.startNs / 1e6, p.endNs / 1e6])).toEqual([
      ["kill", 0, 9],
      ["start-partition", 2, 7],
    ]);
  });

  it("runs an unhealed fault to the end of the history, and an interrupted fault op counts", () => {
    const ops = history([
      [0, "invoke", "nemesis", "pause"],
      [1, "ok", "nemesis", "pause"],
      [5, "invoke", 0, "write", 1],
      [9, "ok", 0, "write", 1],
      [10, "invoke", "nemesis", "kill"],
      [12, "invoke", 0, "read"],
    ]);
    const periods = faultPeriods(ops);
    expect(periods.map((p) => [p.kind, p.startNs / 1e6, p.endNs / 1e6, p.healed, p.endIndex])).toEqual([
      ["pause", 0, 12, false, undefined],
      ["kill", 10, 12, false, undefined],
    ]);
  });

  it("pairs generic start-X/stop-X, makes one-shot ops instant periods, and ignores heals with nothing open", () => {
    const ops = history([
      [0, "invoke", "nemesis", "heal-network"],
      [1, "ok", "nemesis", "heal-network"],
      [2, "invoke", "nemesis", "start-loss"],
      [3, "ok", "nemesis", "start-loss"],
      [4, "invoke", "nemesis", "stop-loss"],
      [5, "ok", "nemesis", "stop-loss"],
      [6, "invoke", "nemesis", "revoke-leases"],
      [7, "ok", "nemesis", "revoke-leases"],
    ]);
    expect(faultPeriods(ops).map((p) => [p.kind, p.startNs / 1e6, p.endNs / 1e6, p.instant])).toEqual([
      ["start-loss", 2, 5, false],
      ["revoke-leases", 6, 7, true],
    ]);
  });
});

describe("describeFaultValue", () => {
  it("shows a partition as its sides, a ring as its cut links, nodes by name", () => {
    const isolate = { shape: "isolate", grudge: { n1: ["n3"], n2: ["n3"], n3: ["n1", "n2"] }, cut: [] };
    expect(describeFaultValue(isolate)).toBe("isolate · n1 n2 | n3");
    const ring = { shape: "ring", grudge: { n1: ["n3"], n2: [], n3: ["n1"] } };
    // n1 and n3 do not talk, but n2 talks to both: not clean sides, so the links.
    expect(describeFaultValue(ring)).toBe("ring · n3↛n1, n1↛n3");
    expect(describeFaultValue(["n2"])).toBe("n2");
    expect(describeFaultValue({ nodes: ["n1", "n2"], deltaMs: 5000 })).toBe("n1, n2 · deltaMs 5000");
    expect(describeFaultValue(null)).toBe("");
    expect(describeFaultValue({ huge: "x".repeat(500) }, 20)).toHaveLength(20);
  });
});

describe("faultPeriods and outcomes", () => {
  it("opens no period for a failed fault, and keeps one open past a heal whose outcome is unknown", () => {
    const periods = faultPeriods(
      history([
        [0, "invoke", "nemesis", "start-partition", { shape: "halves" }],
        [1, "fail", "nemesis", "start-partition", { shape: "halves" }],
        [2, "invoke", "nemesis", "kill", ["n1"]],
        [3, "ok", "nemesis", "kill", ["n1"]],
        [4, "invoke", "nemesis", "start", "all"],
        [5, "info", "nemesis", "start", "all"],
        [6, "invoke", "nemesis", "start", "all"],
        [7, "ok", "nemesis", "start", "all"],
      ]),
    );
    expect(periods.map((period) => [period.kind, period.healed, period.endNs / 1e6])).toEqual([
      ["kill", true, 7],
    ]);
  });
});
