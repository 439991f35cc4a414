import { describe, expect, it } from "vitest";
import { makeContext, WorkerTable } from "../../src/generator/_internals/context.js";
import {
  any,
  clients,
  eachWorker,
  eachWorkerFrom,
  limit,
  mix,
  nemesis,
  onWorkers,
  repeat,
  simulate,
  stagger,
  timeLimit,
} from "../../src/generator/index.js";
import type { GenContext, Generator } from "../../src/generator/types.js";
import { Random } from "../../src/random/random.js";
import { invokes, read, write } from "./helpers.js";

describe("clients / nemesis routing", () => {
  it("clients never uses the nemesis worker; nemesis uses nothing else", () => {
    const gen = any(
      clients(limit(200, repeat(read))),
      nemesis(limit(20, repeat({ f: "kill", value: null }))),
    );
    const run = simulate(gen, { seed: 1, concurrency: 3, nemesis: true });
    const ops = invokes(run.history);
    expect(ops.filter((op) => op.f === "read").every((op) => typeof op.process === "number")).toBe(true);
    expect(ops.filter((op) => op.f === "kill").every((op) => op.process === "nemesis")).toBe(true);
    expect(ops.filter((op) => op.f === "kill")).toHaveLength(20);
  });

  it("a bare generator at the top level may use the nemesis worker, which is why the runner wraps it in clients", () => {
    const run = simulate(limit(30, repeat(read)), { seed: 1, concurrency: 2, nemesis: true });
    expect(invokes(run.history).some((op) => op.process === "nemesis")).toBe(true);
  });

  it("nemesis is skipped when the test has no nemesis worker, clients when it has no client", () => {
    const run = simulate(any(nemesis(repeat({ f: "kill", value: null })), clients(limit(3, repeat(read)))), {
      seed: 1,
      concurrency: 2,
    });
    expect(invokes(run.history).map((op) => op.f)).toEqual(["read", "read", "read"]);
  });

  it("routes events: clients hear only client events, nemesis only nemesis events", () => {
    const heard: Record<string, string[]> = { clients: [], nemesis: [] };
    // Pending until it heard something and its workers are quiet: it stays around to hear events.
    const spy = (name: string): Generator => ({
      op(ctx) {
        const quiet = ctx.freeWorkers.length === ctx.workers.length;
        return quiet && heard[name]!.length > 0 ? null : { op: "pending", next: this };
      },
      update(_ctx, event) {
        heard[name]!.push(String(event.process));
        return this;
      },
    });
    simulate(
      any(
        clients(any(spy("clients"), limit(2, repeat(read)))),
        nemesis(any(spy("nemesis"), { f: "kill", value: null })),
      ),
      { seed: 1, concurrency: 2, nemesis: true },
    );
    expect(heard.clients!.length).toBeGreaterThan(0);
    expect(heard.clients!.every((p) => p !== "nemesis")).toBe(true);
    expect(heard.nemesis!.length).toBeGreaterThan(0);
    expect(heard.nemesis!.every((p) => p === "nemesis")).toBe(true);
  });

  it("the fault schedule does not depend on the client workload's draws", () => {
    const faults = nemesis(
      stagger(
        100,
        mix([
          (ctx: GenContext) => ({ f: "kill", value: ctx.random.int(1, 5) }),
          (ctx: GenContext) => ({ f: "pause", value: ctx.random.int(1, 5) }),
        ]),
      ),
    );
    const schedule = (workload: Parameters<typeof clients>[0]) => {
      const run = simulate(timeLimit(5_000, any(clients(workload), faults)), {
        seed: 77,
        concurrency: 3,
        nemesis: true,
      });
      return invokes(run.history)
        .filter((op) => op.process === "nemesis")
        .map((op) => `${op.time}:${op.f}:${op.value}`);
    };
    const quiet = schedule(stagger(10, repeat(read)));
    const busy = schedule(stagger(1, mix([read, (ctx: GenContext) => write(ctx.random.int(0, 1_000))])));
    expect(quiet.length).toBeGreaterThan(20);
    expect(busy).toEqual(quiet);
  });
});

describe("onWorkers", () => {
  it("restricts ops to the accepted workers", () => {
    const run = simulate(
      onWorkers((worker) => worker === 1, limit(10, repeat(read))),
      { seed: 1, concurrency: 3 },
    );
    expect(invokes(run.history).every((op) => op.process === 1)).toBe(true);
    expect(invokes(run.history)).toHaveLength(10);
  });
});

describe("eachWorker", () => {
  it("runs an independent copy per worker", () => {
    const run = simulate(clients(eachWorker([write(1), read])), { seed: 1, concurrency: 4, nemesis: true });
    const ops = invokes(run.history);
    expect(ops).toHaveLength(8);
    for (const worker of [0, 1, 2, 3]) {
      expect(ops.filter((op) => op.process === worker).map((op) => op.f)).toEqual(["write", "read"]);
    }
  });

  it("eachWorkerFrom builds a generator per worker", () => {
    const run = simulate(clients(eachWorkerFrom((worker) => repeat(2, write(Number(worker) * 10)))), {
      seed: 1,
      concurrency: 3,
    });
    const byProcess = invokes(run.history).map((op) => `${op.process}=${op.value}`);
    expect(byProcess.sort()).toEqual(["0=0", "0=0", "1=10", "1=10", "2=20", "2=20"]);
  });

  it("gives each worker its own random stream", () => {
    const run = simulate(clients(eachWorker(limit(3, (ctx: GenContext) => write(ctx.random.int(0, 1e9))))), {
      seed: 5,
      concurrency: 2,
    });
    const values = (p: number) =>
      invokes(run.history)
        .filter((op) => op.process === p)
        .map((op) => op.value);
    expect(values(0)).toHaveLength(3);
    expect(values(0)).not.toEqual(values(1));
  });
});

describe("clients: replayable under speculative polls", () => {
  it("gives the same k-th op however often it is asked, so a seed replays the workload", () => {
    const table = new WorkerTable({ concurrency: 4, nemesis: true });
    const ctx = makeContext(table, { time: 0, random: new Random(5).fork("generator") });
    const gen = clients(stagger(10, (c: GenContext) => ({ f: "write", value: c.random.int(0, 1_000_000) })));
    const first = gen.op(ctx);
    // The runner asks again when a completion arrives before the op is due: the answer must not drift.
    expect(gen.op(ctx)).toEqual(first);
    expect(gen.op(ctx)).toEqual(first);
    const next = (first as { next: Generator }).next;
    expect(next.op(ctx)).toEqual(next.op(ctx));
    expect(next.op(ctx)).not.toEqual(first);
  });
});
