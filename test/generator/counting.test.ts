import { describe, expect, it } from "vitest";
import { cycle, limit, once, perfect, repeat, simulate } from "../../src/generator/index.js";
import { fs, invokes, read, write } from "./helpers.js";

describe("limit / once", () => {
  it("limit stops after n ops", () => {
    expect(invokes(perfect(limit(7, repeat(read))))).toHaveLength(7);
    expect(perfect(limit(0, repeat(read)))).toEqual([]);
  });

  it("limit ends early when its generator does", () => {
    expect(fs(perfect(limit(10, [read, write(1)])))).toEqual(["read", "write"]);
  });

  it("once takes only the first op", () => {
    expect(fs(perfect(once([write(1), read, read])))).toEqual(["write"]);
  });

  it("rejects a negative or fractional count", () => {
    expect(() => limit(-1, read)).toThrow(RangeError);
    expect(() => limit(1.5, read)).toThrow(RangeError);
  });
});

describe("repeat", () => {
  it("repeats the first op of its generator n times", () => {
    expect(fs(perfect(repeat(3, [write(1), read])))).toEqual(["write", "write", "write"]);
  });

  it("repeats forever without a count (bounded by limit)", () => {
    const history = perfect(limit(50, repeat(read)));
    expect(invokes(history)).toHaveLength(50);
    // Every op got its own process and time: ops spread over both client workers and the nemesis worker.
    expect(new Set(invokes(history).map((op) => op.process))).toEqual(new Set([0, 1, "nemesis"]));
  });

  it("an unbounded repeat is stopped by simulate's maxOps", () => {
    const run = simulate(repeat(read), { seed: 1, concurrency: 2, maxOps: 100 });
    expect(run.stoppedBy).toBe("maxOps");
    expect(run.history.length).toBeGreaterThanOrEqual(100);
    expect(run.history.length).toBeLessThan(110);
  });
});

describe("cycle", () => {
  it("runs its generator again from the start, n rounds", () => {
    expect(invokes(perfect(cycle(3, [write(1), read]))).map((op) => op.f)).toEqual([
      "write",
      "read",
      "write",
      "read",
      "write",
      "read",
    ]);
  });

  it("cycles forever without a count (bounded by limit)", () => {
    expect(fs(perfect(limit(5, cycle([write(1), read]))))).toEqual([
      "write",
      "read",
      "write",
      "read",
      "write",
    ]);
  });

  it("ends instead of spinning when a round yields nothing", () => {
    expect(perfect(cycle([]))).toEqual([]);
    expect(perfect(cycle(() => null))).toEqual([]);
  });
});
