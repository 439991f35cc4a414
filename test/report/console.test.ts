import { describe, expect, it } from "vitest";
import { listAppend } from "../../src/checker/txn/index.js";
import type { CheckResult } from "../../src/checker/types.js";
import type { Results } from "../../src/history/results.js";
import {
  allowedAnomaliesLine,
  formatDuration,
  formatMs,
  formatProgressLine,
  formatSummary,
} from "../../src/report/console.js";
import { type TxnRow, txnHistory } from "../checker/txn/helpers.js";
import { syntheticRun } from "./synthetic-run.js";

describe("formatProgressLine", () => {
  it("shows elapsed / limit, counts, rate and current faults on one line", () => {
    const line = formatProgressLine({
      elapsedMs: 12_345,
      timeLimitMs: 60_000,
      ops: 12_345,
      ok: 12_000,
      fail: 300,
      info: 45,
      opsPerSec: 1000.4,
      faults: ["kill n1", "partition [n1] | [n2 n3]"],
    });
    expect(line).toBe(
      "12.3 s / 1 m 00 s · 12,345 ops (ok 12,000 · fail 300 · info 45) · 1000 ops/s · faults: kill n1, partition [n1] | [n2 n3]",
    );
    expect(line).not.toContain("\n");
  });

  it("says when there are no faults, colors only when asked, and caps long fault lists", () => {
    const base = { elapsedMs: 500, ops: 0, ok: 0, fail: 0, info: 0, opsPerSec: 0, faults: [] };
    expect(formatProgressLine(base)).toBe("0.5 s · 0 ops (ok 0 · fail 0 · info 0) · 0 ops/s · faults: none");
    expect(formatProgressLine({ ...base, color: true })).toContain("\u001b[");
    const many = formatProgressLine({ ...base, faults: Array.from({ length: 30 }, (_, i) => `kill n${i}`) });
    expect(many.length).toBeLessThan(160);
    expect(many).toContain("…");
  });
});

describe("formatSummary", () => {
  const run = syntheticRun({ seed: 5, ops: 300, concurrency: 3, durationS: 6 });

  it("gives verdict per checker, figures, the anomaly with its ops, how to reproduce, and the report path", () => {
    const text = formatSummary(run.test, run.results, {
      reportPath: "store/x/1/report.html",
      history: run.history,
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe("register-synthetic · seed 5 · INVALID");
    expect(text).toMatch(/✗ linearizable\s+INVALID {2}key 3: read/);
    expect(text).toMatch(/✓ stats\s+valid\n/);
    expect(text).toMatch(/\? perf\s+unknown {2}latency budget not set/);
    const stats = run.results.stats;
    expect(text).toContain(
      `ops ${stats.ops} (ok ${stats.byType.ok} · fail ${stats.byType.fail} · info ${stats.byType.info})`,
    );
    expect(text).toContain(
      `latency p50 ${formatMs(stats.latency.p50Ms)} · p95 ${formatMs(stats.latency.p95Ms)}`,
    );
    expect(text).toContain(`anomaly (linearizable): ${run.results.checkers.linearizable!.explanation}`);
    const stuck = run.history[run.stuckIndex]!;
    expect(text).toContain(
      `could not linearize op ${run.stuckIndex}: process ${stuck.process}: read key 3 null → ${stuck.value}, ok`,
    );
    expect(text).toMatch(/after \d+ linearized ops, the last: op \d+: process/);
    expect(text).toContain(`reproduce: ${run.test.reproduce}`);
    expect(lines.at(-2)).toBe("report: store/x/1/report.html");
    expect(text).not.toContain("\u001b[");
  });

  it("is short for a valid run and colors only when asked", () => {
    const results = {
      ...run.results,
      valid: true as const,
      checkers: { stats: { valid: true as const } },
      notes: [],
    };
    const text = formatSummary(run.test, results, { color: true });
    expect(text).toContain("\u001b[32m");
    expect(text).not.toContain("anomaly");
    expect(text).not.toContain("reproduce:");
  });

  it("formats durations and latencies for people", () => {
    expect(formatDuration(125_000)).toBe("2 m 05 s");
    expect(formatDuration(3_725_000)).toBe("1 h 02 m 05 s");
    expect(formatMs(0.423)).toBe("0.42 ms");
    expect(formatMs(1250)).toBe("1.25 s");
  });
});

describe("formatSummary: untrusted text cannot drive the terminal", () => {
  it("escapes control characters in explanations, errors and names", () => {
    const hostile = "\u001b[2J\u001b[H✓ all valid\u009b31m\u202e";
    const text = formatSummary(
      { name: `t${hostile}`, seed: 1 } as never,
      {
        valid: false,
        complete: false,
        error: hostile,
        checkers: { [`c${hostile}`]: { valid: false, explanation: `key ${hostile}` } },
        notes: [hostile],
      } as never,
    );
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain("\\u001b[2J");
    expect(text).toContain("\\u202e");
  });
});

describe("formatSummary: anomalies a valid transactional verdict allows", () => {
  /** Read skew (G-single) on x, y: T2 saw T1's append to y but not its append to x. */
  const readSkew = (x: string, y: string, p: number): TxnRow[] => [
    [
      p,
      "ok",
      [
        ["append", x, 1],
        ["append", y, 1],
      ],
    ],
    [
      p + 1,
      "ok",
      [
        ["r", x, []],
        ["r", y, [1]],
      ],
    ],
  ];
  /** Write skew (G2-item) on a, b: each read both empty and appended to one. */
  const writeSkew: TxnRow[] = [
    [
      10,
      "ok",
      [
        ["r", "a", []],
        ["r", "b", []],
        ["append", "a", 1],
      ],
    ],
    [
      11,
      "ok",
      [
        ["r", "a", []],
        ["r", "b", []],
        ["append", "b", 1],
      ],
    ],
    [12, "ok", [["r", "a", [1]]]],
    [13, "ok", [["r", "b", [1]]]],
  ];
  const history = txnHistory([...readSkew("x", "y", 1), ...readSkew("u", "v", 3), ...writeSkew], {
    concurrent: true,
  });
  const summaryOf = (checker: string, result: CheckResult) =>
    formatSummary(undefined, {
      valid: result.valid,
      complete: true,
      checkers: { [checker]: result },
    } as Results);

  it("names the allowed anomalies, counted, under the valid verdict at read committed", () => {
    const result = listAppend({ consistencyModels: ["read-committed"] }).check(history);
    expect(result.valid).toBe(true);
    expect(result.allowedAnomalyTypes).toEqual(["G-single", "G2-item"]);
    const text = summaryOf("list-append", result);
    // Under the checker's line, indented past its name.
    expect(text).toContain(
      `  ✓ list-append  valid\n${" ".repeat(17)}allowed at read-committed: G-single ×2, G2-item ×1\n`,
    );
    expect(allowedAnomaliesLine(result)).toBe("allowed at read-committed: G-single ×2, G2-item ×1");
  });

  it("marks a count the checker's cap cut short with +", () => {
    const result = listAppend({ consistencyModels: ["read-committed"], maxCyclesPerType: 1 }).check(history);
    expect(result.cappedAnomalyTypes).toContain("G-single");
    expect(allowedAnomaliesLine(result)).toMatch(/^allowed at read-committed: G-single ×1\+, /);
  });

  it("says nothing more when the models forbid what was found or nothing was found", () => {
    const invalid = listAppend({ consistencyModels: ["serializable"] }).check(history);
    expect(invalid.valid).toBe(false);
    expect(allowedAnomaliesLine(invalid)).toBeUndefined();
    expect(summaryOf("list-append", invalid)).not.toContain("allowed at");
    const clean = listAppend({ consistencyModels: ["read-committed"] }).check(
      txnHistory([
        [1, "ok", [["append", "x", 1]]],
        [2, "ok", [["r", "x", [1]]]],
      ]),
    );
    expect(clean.valid).toBe(true);
    expect(allowedAnomaliesLine(clean)).toBeUndefined();
    expect(summaryOf("list-append", clean)).not.toContain("allowed");
  });
});
