import { describe, expect, it } from "vitest";
import { resolveTest } from "../../src/runner/spec.js";
import registerTest, { REGISTER_PARTITION_SHAPES } from "../../src/tests/register.js";
import { runOptions } from "../runner/helpers.js";

/** The schedule's ops, without its sleeps. */
function scheduledOps(generator: unknown): { f: string; value?: unknown }[] {
  return (generator as { f?: string; value?: unknown }[]).filter(
    (op): op is { f: string; value?: unknown } => typeof op?.f === "string",
  );
}

describe("the register workload's partitions cut a node that serves reads off from where writes commit", () => {
  it("draws only the shapes in REGISTER_PARTITION_SHAPES, and every one of them over enough seeds", async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const options = runOptions({ seed, timeLimitMs: 60_000, nodes: 3, nemesis: ["partition"] });
      const spec = await resolveTest(registerTest, options);
      const starts = scheduledOps(spec.nemesis?.generator).filter((op) => op.f === "start-partition");
      expect(starts.length).toBeGreaterThan(0);
      for (const op of starts) {
        const shape = (op.value as { shape: string }).shape;
        expect(REGISTER_PARTITION_SHAPES).toContain(shape);
        seen.add(shape);
        // Every drawn grudge leaves at least one node on its own side (3 nodes: one cut off).
        const grudge = (op.value as { grudge?: Record<string, string[]> }).grudge;
        if (grudge) expect(Object.values(grudge).some((drops) => drops.length === 2)).toBe(true);
      }
    }
    expect([...seen].sort()).toEqual([...REGISTER_PARTITION_SHAPES].sort());
  });
});
