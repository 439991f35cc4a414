import { describe, expect, it } from "vitest";
import { any, flipFlop, limit, mix, perfect, repeat, simulate, weighted } from "../../src/generator/index.js";
import type { Generator } from "../../src/generator/types.js";
import { fs, invokes, read, write } from "./helpers.js";

const MS = 1_000_000;

function counts(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) out[name] = (out[name] ?? 0) + 1;
  return out;
}

describe("mix", () => {
  it("chooses uniformly among generators per op (seeded)", () => {
    const gen = limit(3_000, mix([repeat(read), repeat(write(1)), repeat({ f: "cas", value: [1, 2] })]));
    const byF = counts(fs(perfect(gen, { seed: 5 })));
    for (const f of ["read", "write", "cas"]) {
      expect(byF[f]).toBeGreaterThan(900);
      expect(byF[f]).toBeLessThan(1_100);
    }
  });

  it("drops exhausted generators and ends when all are", () => {
    const history = perfect(mix([[read, read], write(1)]), { seed: 3 });
    expect(counts(fs(history))).toEqual({ read: 2, write: 1 });
  });

  it("is deterministic for a seed", () => {
    const gen = limit(100, mix([repeat(read), repeat(write(1))]));
    expect(fs(perfect(gen, { seed: 11 }))).toEqual(fs(perfect(gen, { seed: 11 })));
    expect(fs(perfect(gen, { seed: 11 }))).not.toEqual(fs(perfect(gen, { seed: 12 })));
  });
});

describe("weighted", () => {
  it("chooses in proportion to the weights", () => {
    const gen = limit(
      4_000,
      weighted([
        [3, repeat(read)],
        [1, repeat(write(1))],
        [0, repeat({ f: "never", value: 0 })],
      ]),
    );
    const byF = counts(fs(perfect(gen, { seed: 2 })));
    expect(byF.never).toBeUndefined();
    expect(byF.read! / 4_000).toBeGreaterThan(0.72);
    expect(byF.read! / 4_000).toBeLessThan(0.78);
  });

  it("rejects negative weights", () => {
    expect(() => weighted([[-1, read]])).toThrow(RangeError);
  });
});

describe("any", () => {
  it("takes the soonest op among its children and runs all of them to exhaustion", () => {
    const late = { f: "late", value: null, time: 5 * MS };
    const history = perfect(any([late, late], [read, read]), { concurrency: 2 });
    expect(fs(history)).toEqual(["read", "read", "late", "late"]);
  });

  it("tells every child about every event", () => {
    const seen: string[] = [];
    // Pending until it heard something and all is quiet: it stays in `any` long enough to hear events.
    const spy = (name: string): Generator => ({
      op(ctx) {
        const quiet = ctx.freeWorkers.length === ctx.workers.length;
        return quiet && seen.some((entry) => entry.startsWith(`${name}:`))
          ? null
          : { op: "pending", next: this };
      },
      update(_ctx, event) {
        seen.push(`${name}:${event.type}`);
        return this;
      },
    });
    perfect(any(spy("a"), spy("b"), read));
    expect(seen).toEqual(["a:invoke", "b:invoke", "a:ok", "b:ok"]);
  });
});

describe("flipFlop", () => {
  it("alternates between its generators", () => {
    const gen = limit(6, flipFlop(repeat({ f: "kill", value: null }), repeat({ f: "start", value: null })));
    expect(fs(perfect(gen))).toEqual(["kill", "start", "kill", "start", "kill", "start"]);
  });

  it("ends when the one whose turn it is is exhausted", () => {
    expect(fs(perfect(flipFlop([read, read, read], repeat(write(1)))))).toEqual([
      "read",
      "write",
      "read",
      "write",
      "read",
      "write",
    ]);
    expect(fs(perfect(flipFlop(repeat(read), [write(1)])))).toEqual(["read", "write", "read"]);
  });

  it("is the same with any workers", () => {
    const gen = limit(4, flipFlop(repeat(read), repeat(write(1))));
    const run = simulate(gen, { seed: 1, concurrency: 5 });
    expect(invokes(run.history).map((op) => op.f)).toEqual(["read", "write", "read", "write"]);
  });
});
