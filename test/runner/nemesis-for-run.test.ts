import { describe, expect, it } from "vitest";
import { nemesisForRun } from "../../src/runner/nemesis-for-run.js";
import { runOptions } from "./helpers.js";

describe("nemesisForRun", () => {
  it("builds the package and says what the cluster needs", () => {
    const nemesis = ["kill", "partition", "clock"];
    const options = runOptions({ seed: 7, timeLimitMs: 10_000, concurrency: 3, nodes: 3, nemesis });
    const plan = nemesisForRun(options);
    expect(plan.needsNetwork).toBe(true);
    expect(plan.needsClock).toBe(true);
    expect(plan.nemesis?.kinds).toEqual(["kill", "partition", "clock"]);
    expect(nemesisForRun({ ...options, nemesis: [] }).nemesis).toBeUndefined();
    const again = nemesisForRun(options);
    expect(JSON.stringify(again.nemesis?.generator)).toBe(JSON.stringify(plan.nemesis?.generator));
  });
});
