import { describe, expect, it } from "vitest";
import type { Op } from "../../src/history/op.js";
import { buildReportData, niceBinSeconds } from "../../src/report/model.js";
import { syntheticRun } from "./synthetic-run.js";

describe("buildReportData", () => {
  const run = syntheticRun({ seed: 9, ops: 400, concurrency: 4, durationS: 8 });
  const data = buildReportData({ test: run.test, results: run.results, history: run.history });
  const t = data.timeline;

  it("puts every op pair on one bar, nemesis first, then one lane per worker with no overlaps", () => {
    const invokes = run.history.filter((op) => op.type === "invoke").length;
    expect(t.lane).toHaveLength(invokes);
    expect(t.lanes.map((lane) => lane.label)).toEqual([
      "nemesis",
      "worker 0",
      "worker 1",
      "worker 2",
      "worker 3",
    ]);
    for (let i = 1; i < t.lane.length; i++) {
      if (t.lane[i] === t.lane[i - 1]) expect(t.startS[i]).toBeGreaterThanOrEqual(t.endS[i - 1]!);
      else expect(t.lane[i]).toBeGreaterThan(t.lane[i - 1]!);
    }
    // info ops moved their workers to fresh processes, which stay on the worker's lane
    expect(t.lanes.some((lane) => /process \d+, \d+/.test(lane.processes))).toBe(true);
    expect(t.outcome.filter((o, i) => o === 2 && t.lane[i] !== 0).length).toBe(run.results.stats.byType.info);
  });

  it("maps the counterexample's op indices to bars", () => {
    const [example] = data.counterexamples;
    expect(example!.checker).toBe("linearizable");
    expect(example!.key).toBe("3");
    expect(example!.stuckBars).toHaveLength(1);
    expect(t.completionIndex[example!.stuckBars[0]!]).toBe(run.stuckIndex);
    expect(example!.prefixTailBars.length).toBeGreaterThan(0);
    expect(example!.rows[0]).toMatchObject({ role: "stuck" });
    expect(example!.rows[0]!.text).toMatch(/^process \d+: read key 3 null → \d, ok, /);
  });

  it("counts every completed client op once in the throughput series, and in one latency group", () => {
    const completed =
      run.results.stats.byType.ok + run.results.stats.byType.fail + run.results.stats.byType.info;
    const binS = data.throughput.binS;
    const counted = data.throughput.series.reduce(
      (sum, series) => sum + series.opsPerSec.reduce((a, b) => a + b, 0) * binS,
      0,
    );
    expect(Math.round(counted)).toBe(completed);
    expect(data.latency.groups.reduce((sum, group) => sum + group.t.length, 0)).toBe(completed);
    const p50 = data.latency.quantiles.find((q) => q.q === 0.5)!;
    const p99 = data.latency.quantiles.find((q) => q.q === 0.99 && q.f === p50.f)!;
    p50.values.forEach((value, i) => {
      if (value !== null) expect(p99.values[i]).toBeGreaterThanOrEqual(value);
    });
  });

  it("falls back to one lane per process when worker lanes would overlap, and works without test.json", () => {
    const ops: Op[] = [
      { index: 0, time: 0, type: "invoke", process: 0, f: "write", value: 1 },
      { index: 1, time: 1e6, type: "invoke", process: 2, f: "read", value: null },
      { index: 2, time: 2e6, type: "ok", process: 0, f: "write", value: 1 },
    ];
    const bare = buildReportData({
      test: { ...run.test, concurrency: 2 },
      results: { ...run.results, checkers: {} },
      history: ops,
    });
    expect(bare.timeline.lanes.map((lane) => lane.label)).toEqual(["process 0", "process 2"]);
    expect(bare.timeline.outcome).toEqual([0, 3]);
    expect(bare.timeline.endS[1]).toBe(0.002);
    expect(buildReportData({ test: undefined, results: run.results, history: ops }).title).toBe("history");
  });

  it("picks bin widths of 1, 2 or 5 × 10^k seconds", () => {
    expect(niceBinSeconds(20, 120)).toBe(0.2);
    expect(niceBinSeconds(300, 120)).toBe(5);
    expect(niceBinSeconds(0, 120)).toBe(0.001);
  });
});
