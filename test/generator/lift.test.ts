import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import { makeContext, WorkerTable } from "../../src/generator/_internals/context.js";
import { empty, fillIn, isGenerator, lift, perfect, simulate } from "../../src/generator/index.js";
import type { GenContext } from "../../src/generator/types.js";
import { Random } from "../../src/random/random.js";
import { fs, invokes, read, write } from "./helpers.js";

function context(time = 0): { table: WorkerTable; ctx: GenContext } {
  const table = new WorkerTable({ concurrency: 2, nemesis: true });
  return { table, ctx: makeContext(table, { time, random: new Random(1) }) };
}

describe("lift", () => {
  it("turns null, undefined and [] into an exhausted generator", () => {
    expect(lift(null)).toBeNull();
    expect(lift(undefined)).toBeNull();
    expect(lift([])).toBeNull();
    expect(empty.op(context().ctx)).toBeNull();
  });

  it("emits an invocation once, to a free worker, at the context's time", () => {
    const { ctx } = context(500);
    const step = lift(read)!.op(ctx);
    expect(step).toMatchObject({ op: { type: "invoke", f: "read", value: null, time: 500 }, next: null });
    const op = (step as { op: { process: number } }).op;
    expect(ctx.freeWorkers.map((worker) => ctx.processOf(worker))).toContain(op.process);
  });

  it("spreads ops over the free workers at random (Jepsen's some-free-process), reproducibly", () => {
    const pick = (seed: number) => {
      const { table } = context();
      const ctx = makeContext(table, { time: 0, random: new Random(seed) });
      return Array.from({ length: 50 }, () => (fillIn(read, ctx) as { process: number }).process);
    };
    expect(new Set(pick(1)).size).toBeGreaterThan(1);
    expect(pick(1)).toEqual(pick(1));
  });

  it("is pending when no worker is free", () => {
    const { table } = context();
    for (const worker of table.workers) table.markBusy(worker);
    const ctx = makeContext(table, { time: 0, random: new Random(1) });
    expect(lift(read)!.op(ctx)).toMatchObject({ op: "pending" });
  });

  it("keeps a later time and an explicit process, never an earlier time", () => {
    const { ctx } = context(100);
    expect(fillIn({ f: "x", value: 1, time: 300, process: "nemesis" }, ctx)).toMatchObject({
      time: 300,
      process: "nemesis",
    });
    expect(fillIn({ f: "x", value: 1, time: 50 }, ctx)).toMatchObject({ time: 100 });
    expect(fillIn({ type: "sleep", f: "sleep", value: 5 }, ctx)).toMatchObject({ type: "sleep" });
  });

  it("runs arrays in order, each element to exhaustion", () => {
    const history = perfect([read, [write(1), write(2)], null, read]);
    expect(invokes(history).map((op) => `${op.f}${op.value ?? ""}`)).toEqual([
      "read",
      "write1",
      "write2",
      "read",
    ]);
  });

  it("calls a function for every op until it returns null", () => {
    let calls = 0;
    const history = perfect(() => (calls++ < 5 ? write(calls) : null));
    expect(invokes(history).map((op) => op.value)).toEqual([1, 2, 3, 4, 5]);
  });

  it("runs a generator a function returns to exhaustion before calling it again", () => {
    let calls = 0;
    const history = perfect(() => (calls++ < 2 ? [read, write(calls)] : null));
    expect(fs(history)).toEqual(["read", "write", "read", "write"]);
  });

  it("gives functions the seeded random stream", () => {
    const run = (seed: number) =>
      simulate((ctx: GenContext) => ({ f: "write", value: ctx.random.int(0, 1_000_000) }), {
        seed,
        concurrency: 2,
        maxOps: 20,
      }).history.map((op) => op.value);
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it("recognizes generators and rejects junk", () => {
    expect(isGenerator(empty)).toBe(true);
    expect(isGenerator(read)).toBe(false);
    expect(() => lift(42 as never)).toThrow(UsageError);
    expect(() => lift(42 as never)).toThrow("the generator gave 42");
  });
});
