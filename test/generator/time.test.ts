import { describe, expect, it } from "vitest";
import {
  delay,
  limit,
  log,
  phases,
  repeat,
  simulate,
  sleep,
  stagger,
  timeLimit,
} from "../../src/generator/index.js";
import { completions, invokes, read } from "./helpers.js";

const MS = 1_000_000;

describe("timeLimit", () => {
  it("emits only ops that start before the first op's time plus the limit", () => {
    // One op every 3 ms; the limit of 10 ms counts from the first op at 5 ms, so ops at 5, 8, 11, 14 pass.
    const gen = timeLimit(10, delay(3, repeat({ f: "read", value: null, time: 5 * MS })));
    const run = simulate(gen, { seed: 1, concurrency: 2 });
    expect(run.stoppedBy).toBe("exhausted");
    expect(invokes(run.history).map((op) => op.time / MS)).toEqual([5, 8, 11, 14]);
  });

  it("cuts an infinite generator at the right simulated time", () => {
    const run = simulate(timeLimit(1_000, stagger(1, repeat(read))), { seed: 9, concurrency: 4 });
    const times = invokes(run.history).map((op) => op.time);
    expect(Math.max(...times)).toBeLessThan(1_000 * MS);
    // The next op would have come within a few ms of the cutoff.
    expect(Math.max(...times)).toBeGreaterThan(990 * MS);
    expect(run.stoppedBy).toBe("exhausted");
  });

  it("lets ops already running complete", () => {
    const run = simulate(timeLimit(1, repeat(read)), {
      seed: 1,
      concurrency: 1,
      completion: () => ({ type: "ok", latencyNs: 5 * MS }),
    });
    expect(invokes(run.history)).toHaveLength(1);
    expect(completions(run.history)).toHaveLength(1);
    expect(completions(run.history)[0]!.time).toBe(5 * MS);
  });
});

describe("stagger", () => {
  it("averages one op per interval across all workers", () => {
    const run = simulate(limit(2_000, stagger(10, repeat(read))), { seed: 42, concurrency: 8 });
    const times = invokes(run.history).map((op) => op.time);
    expect(times).toHaveLength(2_000);
    const meanGapMs = times[times.length - 1]! / (times.length - 1) / MS;
    // Uniform gaps in [0, 20) ms: mean 10 ms, standard error ~0.13 ms over 2,000 gaps.
    expect(meanGapMs).toBeGreaterThan(9.3);
    expect(meanGapMs).toBeLessThan(10.7);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...gaps)).toBeLessThan(20 * MS);
    // Random, not periodic.
    expect(new Set(gaps).size).toBeGreaterThan(1_000);
  });
});

describe("delay", () => {
  it("spaces op starts by a fixed gap", () => {
    const run = simulate(limit(5, delay(100, repeat(read))), { seed: 1, concurrency: 3 });
    expect(invokes(run.history).map((op) => op.time / MS)).toEqual([0, 100, 200, 300, 400]);
  });
});

describe("sleep and log", () => {
  it("sleep occupies a worker for its duration and is not journaled", () => {
    const run = simulate(phases(read, sleep(50), read), { seed: 1, concurrency: 2 });
    const times = invokes(run.history).map((op) => op.time);
    expect(run.history.every((op) => op.f === "read")).toBe(true);
    expect(times).toEqual([0, 10 + 50 * MS]);
  });

  it("log messages are collected with their time, not journaled", () => {
    const run = simulate([read, log("half way"), read], { seed: 1, concurrency: 1 });
    expect(run.logs).toEqual([{ time: 10, message: "half way" }]);
    expect(invokes(run.history)).toHaveLength(2);
  });

  it("rejects negative durations", () => {
    expect(() => sleep(-1)).toThrow(RangeError);
    expect(() => stagger(Number.NaN, read)).toThrow(RangeError);
  });
});
