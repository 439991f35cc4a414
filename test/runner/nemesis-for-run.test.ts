import { describe, expect, it } from "vitest";
import { nemesisForRun } from "../../src/runner/nemesis-for-run.js";
import type { RunOptions } from "../../src/runner/spec.js";

describe("nemesisForRun", () => {
  it("builds the package and says what the cluster needs", () => {
    const options: RunOptions = {
      seed: 7,
      timeLimitMs: 10_000,
      concurrency: 3,
      nodes: 3,
      nemesis: ["kill", "partition", "clock"],
      nemesisIntervalMs: 1_000,
      opTimeoutMs: 1_000,
      storeDir: "store",
      keep: false,
      extra: {},
    };
    const plan = nemesisForRun(options);
    expect(plan.needsNetwork).toBe(true);
    expect(plan.needsClock).toBe(true);
    expect(plan.nemesis?.kinds).toEqual(["kill", "partition", "clock"]);
    expect(nemesisForRun({ ...options, nemesis: [] }).nemesis).toBeUndefined();
    const again = nemesisForRun(options);
    expect(JSON.stringify(again.nemesis?.generator)).toBe(JSON.stringify(plan.nemesis?.generator));
  });
});
