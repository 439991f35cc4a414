import { describe, expect, it } from "vitest";
import { nextProcess, WorkerTable } from "../../src/generator/_internals/context.js";
import { GeneratorDriver } from "../../src/generator/_internals/driver.js";
import {
  any,
  clients,
  imperfect,
  imperfectCompletion,
  limit,
  mix,
  nemesis,
  perfect,
  repeat,
  simulate,
  stagger,
  synchronize,
  timeLimit,
} from "../../src/generator/index.js";
import type { GenContext } from "../../src/generator/types.js";
import type { Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";
import { completions, invokes, read, write } from "./helpers.js";

const workload = () =>
  any(
    clients(stagger(1, mix([read, (ctx: GenContext) => write(ctx.random.int(0, 100))]))),
    nemesis(
      stagger(
        50,
        mix([
          { f: "kill", value: null },
          { f: "start", value: null },
        ]),
      ),
    ),
  );

describe("simulate", () => {
  it("is deterministic: same seed, same history; another seed, another history", () => {
    const run = (seed: number) =>
      simulate(timeLimit(500, workload()), {
        seed,
        concurrency: 5,
        nemesis: true,
        completion: imperfectCompletion(),
      }).history;
    const a = run(123);
    expect(a.length).toBeGreaterThan(500);
    expect(run(123)).toEqual(a);
    expect(run(124)).not.toEqual(a);
  });

  it("produces a well-formed history: dense indexes, times never go back, one op in flight per process", () => {
    const { history } = simulate(timeLimit(300, workload()), {
      seed: 8,
      concurrency: 4,
      nemesis: true,
      completion: imperfectCompletion({ latencyNs: 3_000_000 }),
    });
    const open = new Map<unknown, Op>();
    history.forEach((op, i) => {
      expect(op.index).toBe(i);
      if (i > 0) expect(op.time).toBeGreaterThanOrEqual(history[i - 1]!.time);
      if (op.type === "invoke") {
        expect(open.has(op.process)).toBe(false);
        open.set(op.process, op);
      } else {
        expect(open.get(op.process)?.f).toBe(op.f);
        open.delete(op.process);
      }
    });
    expect(open.size).toBe(0);
  });

  it("moves a worker to process + concurrency after an info (Jepsen's rule)", () => {
    const run = simulate(limit(6, repeat(read)), {
      seed: 1,
      concurrency: 2,
      completion: (op) => ({ type: op.process === 0 || op.process === 2 ? "info" : "ok", latencyNs: 10 }),
    });
    const processes = invokes(run.history).map((op) => op.process);
    expect(processes).toEqual([0, 1, 2, 1, 4, 1]);
    expect(nextProcess(4, 2)).toBe(6);
    expect(nextProcess("nemesis", 2)).toBe("nemesis");
  });

  it("the nemesis keeps its process after an info", () => {
    const history = imperfect(nemesis(limit(30, repeat({ f: "kill", value: null }))), { seed: 2 });
    expect(completions(history).some((op) => op.type === "info")).toBe(true);
    expect(history.every((op) => op.process === "nemesis")).toBe(true);
  });

  it("perfect completes every op ok after 10 ns", () => {
    const history = perfect([read, write(3)], { concurrency: 1, nemesis: false });
    expect(history.map((op) => [op.type, op.f, op.time, op.process])).toEqual([
      ["invoke", "read", 0, 0],
      ["ok", "read", 10, 0],
      ["invoke", "write", 10, 0],
      ["ok", "write", 20, 0],
    ]);
  });

  it("throws when the generator waits forever", () => {
    // Pending for good with nothing running: no completion will ever change its mind.
    const stuck = { op: () => ({ op: "pending" as const, next: stuck }), update: () => stuck };
    expect(() => simulate(stuck, { seed: 1, concurrency: 1 })).toThrow(/pending .* nothing in flight/);
  });

  it("stops at maxTimeNs and completes what is in flight", () => {
    const run = simulate(stagger(10, repeat(read)), { seed: 1, concurrency: 2, maxTimeNs: 1e9 });
    expect(run.stoppedBy).toBe("maxTime");
    expect(invokes(run.history).length).toBe(completions(run.history).length);
    expect(Math.max(...invokes(run.history).map((op) => op.time))).toBeLessThan(1e9);
  });
});

describe("GeneratorDriver", () => {
  it("polls speculatively: only take() commits an op", () => {
    const driver = new GeneratorDriver({
      generator: limit(2, repeat(read)),
      concurrency: 1,
      nemesis: false,
      random: new Random(1),
    });
    const first = driver.poll(0);
    expect(first).toMatchObject({ kind: "op", worker: 0 });
    expect(driver.poll(0)).toMatchObject({ kind: "op", worker: 0 });
    const { op } = driver.take();
    expect(() => driver.take()).toThrow(/poll/);
    expect(driver.poll(0)).toEqual({ kind: "pending" });
    const invoke: Op = { index: 0, time: 0, type: "invoke", process: op.process, f: op.f, value: op.value };
    driver.invoked(invoke);
    driver.completed({ ...invoke, index: 1, time: 5, type: "ok" });
    expect(driver.poll(5)).toMatchObject({ kind: "op" });
    driver.take();
    driver.completed({ ...invoke, index: 3, time: 9, type: "ok" });
    expect(driver.poll(9)).toEqual({ kind: "done" });
  });

  it("rejects an op for a busy or unknown process", () => {
    const busy = new GeneratorDriver({
      generator: repeat({ f: "x", value: null, process: 0 }),
      concurrency: 2,
      nemesis: false,
      random: new Random(1),
    });
    busy.poll(0);
    busy.take();
    expect(() => busy.poll(0)).toThrow(/not a free worker/);
    const unknown = new GeneratorDriver({
      generator: { f: "x", value: null, process: 7 },
      concurrency: 2,
      nemesis: false,
      random: new Random(1),
    });
    expect(() => unknown.poll(0)).toThrow(/not a free worker/);
  });

  it("replace() switches to a final generator behind a barrier", () => {
    const driver = new GeneratorDriver({
      generator: repeat(read),
      concurrency: 2,
      nemesis: false,
      random: new Random(1),
    });
    driver.poll(0);
    driver.take();
    driver.replace(read);
    expect(driver.poll(1)).toEqual({ kind: "pending" });
    driver.completed({ index: 1, time: 2, type: "ok", process: 0, f: "read", value: null });
    expect(driver.poll(2)).toMatchObject({ kind: "op" });
  });
});

describe("WorkerTable", () => {
  it("tracks free workers in order, and maps old and new processes to their worker", () => {
    const table = new WorkerTable({ concurrency: 3, nemesis: true });
    expect(table.workers).toEqual([0, 1, 2, "nemesis"]);
    table.markBusy(1);
    const snapshot = table.freeWorkers();
    expect(snapshot).toEqual([0, 2, "nemesis"]);
    expect(table.freeWorkers()).toBe(snapshot);
    table.markFree(1);
    expect(snapshot).toEqual([0, 2, "nemesis"]);
    expect(table.renumber(1)).toBe(4);
    expect(table.processOf(1)).toBe(4);
    expect(table.workerOf(4)).toBe(1);
    expect(table.workerOf(1)).toBe(1);
    expect(table.workerOf(7)).toBeUndefined();
    expect(table.workerOf("nemesis")).toBe("nemesis");
    expect(() => table.markFree(0)).toThrow(/not busy/);
    expect(() => new WorkerTable({ concurrency: 0, nemesis: false })).toThrow(RangeError);
  });

  it("synchronize sees the whole table", () => {
    const driver = new GeneratorDriver({
      generator: [read, synchronize(write(1))],
      concurrency: 2,
      nemesis: true,
      random: new Random(1),
    });
    driver.poll(0);
    driver.take();
    expect(driver.poll(0)).toEqual({ kind: "pending" });
  });
});
