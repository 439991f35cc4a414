import { describe, expect, it } from "vitest";
import {
  filter,
  imperfectCompletion,
  limit,
  map,
  onUpdate,
  perfect,
  repeat,
  simulate,
  untilOk,
} from "../../src/generator/index.js";
import type { GenContext } from "../../src/generator/types.js";
import { completions, fs, invokes, read, write } from "./helpers.js";

describe("map", () => {
  it("transforms every op after process and time are filled in", () => {
    const history = perfect(
      limit(
        3,
        map((op) => ({ ...op, key: `k${op.process}` }), repeat(read)),
      ),
      { concurrency: 3, nemesis: false },
    );
    expect(invokes(history).map((op) => op.key)).toEqual(["k0", "k1", "k2"]);
  });
});

describe("filter", () => {
  it("skips the ops its predicate rejects", () => {
    let n = 0;
    const counter = () => (n < 10 ? write(n++) : null);
    const history = perfect(filter((op) => (op.value as number) % 2 === 0, counter));
    expect(invokes(history).map((op) => op.value)).toEqual([0, 2, 4, 6, 8]);
  });

  it("gives up loudly on a predicate that never matches", () => {
    expect(() => perfect(filter(() => false, repeat(read)))).toThrow(/rejected/);
  });
});

describe("onUpdate", () => {
  it("lets a handler decide what the generator becomes after each event", () => {
    // Stop the workload at the first failure.
    const gen = onUpdate(
      ({ gen, ctx, event }) => (event.type === "fail" ? null : gen.update(ctx, event)),
      repeat(read),
    );
    const run = simulate(gen, {
      seed: 1,
      concurrency: 1,
      completion: (op) => ({ type: op.index >= 8 ? "fail" : "ok", latencyNs: 10 }),
    });
    expect(completions(run.history).map((op) => op.type)).toEqual(["ok", "ok", "ok", "ok", "fail"]);
    expect(run.stoppedBy).toBe("exhausted");
  });
});

describe("untilOk", () => {
  it("retries through fail and info until an op of its own completes ok", () => {
    const run = simulate(untilOk(repeat({ f: "start", value: null })), {
      seed: 3,
      concurrency: 1,
      completion: imperfectCompletion({ ok: 1, fail: 2, info: 2 }),
    });
    const ends = completions(run.history);
    expect(ends.length).toBeGreaterThan(1);
    expect(ends[ends.length - 1]!.type).toBe("ok");
    expect(ends.slice(0, -1).every((op) => op.type !== "ok")).toBe(true);
    expect(run.stoppedBy).toBe("exhausted");
  });

  it("lets ops already in flight finish, then stops", () => {
    const run = simulate(untilOk(repeat(read)), {
      seed: 1,
      concurrency: 4,
      completion: (op) => ({ type: op.process === 2 ? "ok" : "fail", latencyNs: op.process === 2 ? 10 : 20 }),
    });
    expect(invokes(run.history)).toHaveLength(4);
    expect(completions(run.history)).toHaveLength(4);
  });

  it("ignores ok completions of ops it did not emit", () => {
    // Another generator's op completes ok first; untilOk's own op fails, so it tries again.
    const other = { f: "other", value: null };
    const run = simulate([other, limit(3, untilOk(repeat(write(1))))], {
      seed: 1,
      concurrency: 2,
      completion: (op) => ({ type: op.f === "other" ? "ok" : "fail", latencyNs: op.f === "other" ? 5 : 10 }),
    });
    expect(fs(run.history)).toEqual(["other", "write", "write", "write"]);
  });
});

describe("functions see the context", () => {
  it("receive the time and free workers", () => {
    const seen: number[] = [];
    perfect(
      limit(3, (ctx: GenContext) => {
        seen.push(ctx.freeWorkers.length);
        return read;
      }),
      { concurrency: 3, nemesis: false },
    );
    expect(seen.slice(0, 3)).toEqual([3, 2, 1]);
  });
});
