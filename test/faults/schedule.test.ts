import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import {
  FAULT_KINDS,
  type FaultKind,
  faultSchedule,
  faultScheduleOps,
  healOps,
  parseFaultKinds,
} from "../../src/faults/schedule.js";
import { majoritySize, minoritySize, resolveTarget } from "../../src/faults/targets.js";
import { nemesis, simulate } from "../../src/generator/index.js";
import { Random } from "../../src/random/random.js";

const ALL: FaultKind[] = ["kill", "pause", "partition", "latency", "loss", "bandwidth", "clock"];
const ops = (seed: number, kinds: readonly FaultKind[] = ALL) =>
  faultScheduleOps({
    kinds,
    nodeNames: ["n1", "n2", "n3", "n4", "n5"],
    intervalMs: 1_000,
    timeLimitMs: 60_000,
    random: new Random(seed).fork("nemesis-schedule"),
  });

const HEALS: Record<string, string> = {
  kill: "start",
  pause: "resume",
  "start-partition": "stop-partition",
  "start-latency": "stop-latency",
  "start-loss": "stop-loss",
  "start-bandwidth": "stop-bandwidth",
  "bump-clock": "reset-clock",
  "strobe-clock": "reset-clock",
};

describe("fault schedule", () => {
  it("is the same op sequence for the same seed and differs for another", () => {
    expect(ops(11)).toEqual(ops(11));
    expect(JSON.stringify(ops(11))).not.toBe(JSON.stringify(ops(12)));
  });

  it("is the same nemesis history for one seed when run through the generator simulator", () => {
    const run = () =>
      simulate(
        nemesis(
          faultSchedule({
            kinds: ALL,
            nodeNames: ["n1", "n2", "n3"],
            intervalMs: 500,
            timeLimitMs: 10_000,
            random: new Random(3).fork("nemesis-schedule"),
          }).generator,
        ),
        { seed: 99, concurrency: 1, nemesis: true },
      ).history.filter((op) => op.process === "nemesis" && op.type === "invoke");
    const first = run();
    expect(first.length).toBeGreaterThan(10);
    expect(run()).toEqual(first);
  });

  it('deal: "deck" deals every kind once per kinds.length rounds, the same for one seed', () => {
    const kinds: FaultKind[] = ["kill", "pause", "partition", "latency", "clock"];
    const deck = (seed: number) =>
      faultScheduleOps({
        kinds,
        nodeNames: ["n1", "n2", "n3"],
        intervalMs: 1_000,
        timeLimitMs: 60_000,
        random: new Random(seed).fork("nemesis-schedule"),
        deal: "deck",
      });
    const starts = new Set(kinds.map((kind) => kind as string));
    const fOf: Record<string, string> = {
      "start-partition": "partition",
      "start-latency": "latency",
      "bump-clock": "clock",
      "strobe-clock": "clock",
    };
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(deck(seed)).toEqual(deck(seed));
      const dealt = deck(seed)
        .map((op) => fOf[op.f] ?? op.f)
        .filter((f) => starts.has(f));
      expect(dealt.length).toBeGreaterThanOrEqual(2 * kinds.length);
      for (let block = 0; block + kinds.length <= dealt.length; block += kinds.length)
        expect(new Set(dealt.slice(block, block + kinds.length))).toEqual(starts);
    }
    expect(JSON.stringify(deck(1))).not.toBe(JSON.stringify(deck(2)));
  });

  it("heals every fault right after it, names its nodes, and covers the time limit", () => {
    const list = ops(5);
    expect(list).toHaveLength(2 * (Math.ceil(60_000 / 2_000) + 1));
    for (let i = 0; i < list.length; i += 2) {
      const fault = list[i]!;
      expect(list[i + 1]!.f).toBe(HEALS[fault.f]);
      const value = fault.value as { nodes?: unknown; grudge?: Record<string, string[]>; shape?: string };
      if (fault.f === "kill" || fault.f === "pause") {
        expect(fault.value === "primary" || (Array.isArray(fault.value) && fault.value.length === 1)).toBe(
          true,
        );
      } else if (fault.f === "start-partition") {
        if (value.shape !== "primaries") expect(Object.keys(value.grudge ?? {}).length).toBeGreaterThan(0);
      } else {
        expect(value.nodes === "primary" || Array.isArray(value.nodes)).toBe(true);
      }
    }
    const fs = new Set(list.map((op) => op.f));
    for (const f of ["kill", "pause", "start-partition", "start-latency", "start-loss", "start-bandwidth"]) {
      expect(fs, f).toContain(f);
    }
  });

  it("heals everything in the final phase, then waits for recovery", () => {
    const pkg = faultSchedule({
      kinds: ["partition", "kill", "clock"],
      nodeNames: ["n1", "n2", "n3"],
      intervalMs: 1_000,
      timeLimitMs: 5_000,
      random: new Random(1),
    });
    const final = pkg.finalGenerator as unknown as { f: string }[];
    expect(final.map((op) => op.f)).toEqual(["start", "stop-partition", "reset-clock", "wait-for-recovery"]);
    expect(pkg.nemesis.fs).toEqual(
      expect.arrayContaining(["kill", "start-partition", "bump-clock", "wait-for-recovery"]),
    );
    expect(healOps(["pause", "kill"]).map((op) => op.f)).toEqual(["resume", "start"]);
  });

  it("parses --nemesis kinds and rejects unknown ones as usage errors", () => {
    expect(parseFaultKinds(["kill", "kill", "clock"])).toEqual(["kill", "clock"]);
    expect(() => parseFaultKinds(["kill", "meteor"])).toThrow(UsageError);
    expect(FAULT_KINDS).toContain("partition");
  });
});

describe("targets", () => {
  const nodes = ["n1", "n2", "n3", "n4", "n5"];
  it("resolves specs with the seed", () => {
    const random = new Random(4);
    expect(resolveTarget("all", nodes, random)).toEqual(nodes);
    expect(resolveTarget("primary", nodes, random)).toBe("primary");
    expect(resolveTarget("one", nodes, random)).toHaveLength(1);
    expect(resolveTarget("minority", nodes, random)).toHaveLength(2);
    expect(resolveTarget("majority", nodes, random)).toHaveLength(3);
    expect(resolveTarget({ node: "n4" }, nodes, random)).toEqual(["n4"]);
    expect(() => resolveTarget(["n9"], nodes, random)).toThrow(/n9/);
    expect([minoritySize(3), majoritySize(3), minoritySize(1)]).toEqual([1, 2, 1]);
  });
});
