import { describe, expect, it } from "vitest";
import { processFaultSchedule } from "../../src/faults/process.js";
import { Random } from "../../src/random/random.js";

const schedule = (seed: number) =>
  processFaultSchedule({
    kinds: ["kill", "pause"],
    nodeNames: ["n1", "n2", "n3"],
    intervalMs: 1000,
    timeLimitMs: 20_000,
    random: new Random(seed).fork("nemesis-schedule"),
  });

describe("process fault schedule", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(schedule(7)).toEqual(schedule(7));
    expect(schedule(7)).not.toEqual(schedule(8));
  });

  it("heals every fault right after it and covers the time limit", () => {
    const ops = schedule(3);
    expect(ops.length).toBe(2 * (Math.ceil(20_000 / 2000) + 1));
    for (let i = 0; i < ops.length; i += 2) {
      const fault = ops[i]!;
      const heal = ops[i + 1]!;
      expect(["kill", "pause"]).toContain(fault.f);
      expect(heal.f).toBe(fault.f === "kill" ? "start" : "resume");
      expect(fault.value).toHaveLength(1);
    }
    const kinds = new Set(ops.map((op) => op.f));
    expect(kinds).toEqual(new Set(["kill", "start", "pause", "resume"]));
  });
});
