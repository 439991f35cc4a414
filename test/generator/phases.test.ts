import { describe, expect, it } from "vitest";
import {
  andThen,
  any,
  clients,
  concat,
  eachWorker,
  finalPhase,
  finalReads,
  limit,
  nemesis,
  phases,
  repeat,
  simulate,
  synchronize,
  timeLimit,
} from "../../src/generator/index.js";
import type { Op } from "../../src/history/op.js";
import { completions, invokes, read, write } from "./helpers.js";

const MS = 1_000_000;
/** Ops take 1 ms, so that a barrier makes a visible difference. */
const slow = () => ({ type: "ok" as const, latencyNs: MS });

function lastCompletion(history: readonly Op[], f: string): number {
  return Math.max(
    ...completions(history)
      .filter((op) => op.f === f)
      .map((op) => op.time),
  );
}
function firstInvoke(history: readonly Op[], f: string): number {
  return Math.min(
    ...invokes(history)
      .filter((op) => op.f === f)
      .map((op) => op.time),
  );
}

describe("phases", () => {
  it("starts each phase only after every op of the previous one completed", () => {
    const gen = phases(limit(5, repeat(write(1))), limit(3, repeat(read)), { f: "done", value: null });
    const run = simulate(gen, { seed: 1, concurrency: 3, completion: slow });
    expect(invokes(run.history).map((op) => op.f)).toEqual([
      "write",
      "write",
      "write",
      "write",
      "write",
      "read",
      "read",
      "read",
      "done",
    ]);
    expect(firstInvoke(run.history, "read")).toBeGreaterThanOrEqual(lastCompletion(run.history, "write"));
    expect(firstInvoke(run.history, "done")).toBeGreaterThanOrEqual(lastCompletion(run.history, "read"));
  });

  it("concat does not wait: the next generator starts while ops are still running", () => {
    const run = simulate(concat(limit(2, repeat(write(1))), read), {
      seed: 1,
      concurrency: 3,
      completion: slow,
    });
    expect(firstInvoke(run.history, "read")).toBeLessThan(lastCompletion(run.history, "write"));
  });

  it("andThen runs the first, a barrier, then the second", () => {
    const run = simulate(andThen(limit(2, repeat(write(1))), read), {
      seed: 1,
      concurrency: 3,
      completion: slow,
    });
    expect(firstInvoke(run.history, "read")).toBe(lastCompletion(run.history, "write"));
  });

  it("synchronize under clients waits for client workers only", () => {
    // The nemesis holds its op for 50 ms; the clients' barrier does not wait for it.
    const faults = nemesis({ f: "kill", value: null });
    const workload = clients([write(1), synchronize(read)]);
    const run = simulate(any(faults, workload), {
      seed: 1,
      concurrency: 2,
      nemesis: true,
      completion: (op) => ({ type: "ok", latencyNs: op.f === "kill" ? 50 * MS : MS }),
    });
    expect(firstInvoke(run.history, "read")).toBe(MS);
  });
});

describe("final phase", () => {
  it("simulate runs the final generator once the main one is exhausted and quiet", () => {
    const run = simulate(timeLimit(100, repeat(write(1))), {
      seed: 4,
      concurrency: 3,
      completion: slow,
      finalGenerator: finalReads({ keys: ["a", "b"] }),
    });
    const reads = invokes(run.history).filter((op) => op.f === "read");
    // One read per key per client worker.
    expect(reads).toHaveLength(6);
    expect(new Set(reads.map((op) => `${op.process}:${op.key}`)).size).toBe(6);
    expect(firstInvoke(run.history, "read")).toBeGreaterThanOrEqual(lastCompletion(run.history, "write"));
  });

  it("finalPhase heals on the nemesis, settles, then reads on every client", () => {
    const gen = finalPhase({ heal: { f: "start-all", value: null }, quiesceMs: 500, reads: finalReads() });
    const run = simulate(gen, { seed: 1, concurrency: 4, nemesis: true });
    const ops = invokes(run.history);
    expect(ops[0]).toMatchObject({ f: "start-all", process: "nemesis" });
    expect(ops.slice(1).map((op) => op.process)).toEqual([0, 1, 2, 3]);
    expect(ops[1]!.time).toBeGreaterThanOrEqual(500 * MS);
  });

  it("eachWorker in the final phase reads on every worker even if some had ended info", () => {
    const run = simulate(limit(20, repeat(write(1))), {
      seed: 2,
      concurrency: 3,
      completion: (op, random) => ({
        type: op.f === "write" && random.chance(0.5) ? "info" : "ok",
        latencyNs: 10,
      }),
      finalGenerator: clients(eachWorker(read)),
    });
    const reads = invokes(run.history).filter((op) => op.f === "read");
    expect(reads.map((op) => (op.process as number) % 3).sort()).toEqual([0, 1, 2]);
  });
});
