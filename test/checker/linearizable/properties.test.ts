import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRegisterHistory, injectFault } from "../../../src/checker/linearizable/generate.js";
import { checkLinearizable } from "../../../src/checker/linearizable/index.js";
import { prepareHistory } from "../../../src/checker/linearizable/prepare.js";
import { createPrepareContext } from "../../../src/checker/models/context.js";
import { type AnyModel, models } from "../../../src/checker/models/index.js";
import type { Op } from "../../../src/history/op.js";
import { Random } from "../../../src/random/random.js";

const seedArb = fc.integer({ min: 0, max: 2 ** 40 });
const shapeArb = fc.record({
  ops: fc.integer({ min: 1, max: 120 }),
  concurrency: fc.integer({ min: 1, max: 6 }),
  readShare: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
  casShare: fc.double({ min: 0, max: 0.3, noNaN: true }),
  infoShare: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

/** Append `count` info writes of fresh values that never took effect: invoked, never completed. */
function addPhantomWrites(history: readonly Op[], random: Random, count: number): Op[] {
  const ops = history.map((op) => ({ ...op }));
  for (let k = 0; k < count; k++) {
    const at = random.int(0, ops.length);
    const time = ops[at]?.time ?? (ops[ops.length - 1]?.time ?? 0) + 1;
    ops.splice(at, 0, { index: 0, time, type: "invoke", process: 10_000 + k, f: "write", value: 1e9 + k });
  }
  return ops.map((op, index) => ({ ...op, index }));
}

describe("linearizability properties (fast-check)", () => {
  it("histories from a real sequential execution with random overlaps are valid", () => {
    fc.assert(
      fc.property(seedArb, shapeArb, (seed, shape) => {
        const history = generateRegisterHistory({ random: new Random(seed), ...shape });
        const result = checkLinearizable(history, models["cas-register"]!, { timeLimitMs: 10_000 });
        expect(result.valid, result.explanation).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("the same with one read corrupted to a never-written value are invalid (search alone agrees)", () => {
    fc.assert(
      fc.property(seedArb, shapeArb, (seed, shape) => {
        const random = new Random(seed);
        const injected = injectFault(
          generateRegisterHistory({ random, ...shape }),
          "impossible-read",
          random,
        );
        fc.pre(injected !== undefined);
        const fast = checkLinearizable(injected!.history, models["cas-register"]!, { timeLimitMs: 10_000 });
        expect(fast.valid).toBe(false);
        expect(fast.counterexample?.stuck).toContain(injected!.readIndex);
        const slow = checkLinearizable(injected!.history, models["cas-register"]!, {
          fastPath: false,
          timeLimitMs: 10_000,
        });
        expect(slow.valid).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("a stale read is invalid, and the search alone agrees with the fast path", () => {
    fc.assert(
      fc.property(seedArb, shapeArb, (seed, shape) => {
        const random = new Random(seed);
        const injected = injectFault(
          generateRegisterHistory({ random, ...shape, casShare: 0 }),
          "stale-read",
          random,
        );
        fc.pre(injected !== undefined);
        const fast = checkLinearizable(injected!.history, models.register!, { timeLimitMs: 10_000 });
        expect(fast.valid).toBe(false);
        const slow = checkLinearizable(injected!.history, models.register!, {
          fastPath: false,
          timeLimitMs: 10_000,
        });
        expect(slow.valid).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("adding info writes that never took effect keeps histories valid", () => {
    fc.assert(
      fc.property(seedArb, shapeArb, fc.integer({ min: 1, max: 5 }), (seed, shape, phantoms) => {
        const random = new Random(seed);
        const history = addPhantomWrites(generateRegisterHistory({ random, ...shape }), random, phantoms);
        const result = checkLinearizable(history, models["cas-register"]!, { timeLimitMs: 10_000 });
        expect(result.valid, result.explanation).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("keyed histories are valid with and without partitioning", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 2, max: 5 }), (seed, keys) => {
        const history = generateRegisterHistory({ random: new Random(seed), ops: 60, keys, concurrency: 4 });
        expect(checkLinearizable(history, models.kv!).valid).toBe(true);
        expect(checkLinearizable(history, models.kv!, { partition: false }).valid).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

/**
 * Linearizable or not by brute force: every order of the ops that respects real time (an op that returned
 * before another was called comes first) and has every required op, `info` ones anywhere or nowhere. Only
 * for a handful of ops; it shares the model with the checker, not the search.
 */
function bruteForce(history: readonly Op[], model: AnyModel): boolean {
  const ctx = createPrepareContext();
  const ops = prepareHistory(history, model, ctx, { partition: false }).partitions[0]?.ops ?? [];
  const used = new Uint8Array(ops.length);
  const visit = (state: unknown, left: number): boolean => {
    if (left === 0) return true;
    for (let x = 0; x < ops.length; x++) {
      if (used[x]) continue;
      // x may come next unless a required op still to place returned before x was called.
      let blocked = false;
      for (let y = 0; y < ops.length && !blocked; y++)
        blocked = !used[y] && ops[y]!.required && ops[y]!.returnAt < ops[x]!.callAt;
      if (blocked) continue;
      const next = model.step(state, ops[x]!.input);
      if (next === undefined) continue;
      used[x] = 1;
      const found = visit(next, left - (ops[x]!.required ? 1 : 0));
      used[x] = 0;
      if (found) return true;
    }
    return false;
  };
  return visit(model.init(ctx), ops.filter((op) => op.required).length);
}

describe("the search against brute force (fast-check)", () => {
  // Small registers, few values, many overlaps, reads that keep the state, cas that may fail, and info ops:
  // where the search's pruning (a state kept by an op ends the alternatives) could go wrong if it were unsound.
  const eventArb = fc.record({
    f: fc.constantFrom("read", "write", "cas"),
    a: fc.integer({ min: 0, max: 3 }),
    b: fc.integer({ min: 0, max: 3 }),
    type: fc.constantFrom("ok", "ok", "ok", "info", "fail"),
    start: fc.integer({ min: 0, max: 8 }),
    length: fc.integer({ min: 0, max: 6 }),
  });
  it("the search alone gives brute force's verdict on random 1- to 8-op register histories", () => {
    let invalid = 0;
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 8 }), (calls) => {
        const events: { at: number; op: Op }[] = [];
        calls.forEach((c, process) => {
          const value = c.f === "cas" ? [c.a, c.b] : c.f === "write" ? c.a : null;
          events.push({ at: c.start * 2, op: { index: 0, time: 0, type: "invoke", process, f: c.f, value } });
          const out = c.f === "read" ? (c.a === 0 ? null : c.a) : value;
          events.push({
            at: (c.start + c.length) * 2 + 1,
            op: { index: 0, time: 0, type: c.type, process, f: c.f, value: out },
          });
        });
        events.sort((x, y) => x.at - y.at);
        const history: Op[] = events.map((e, index) => ({ ...e.op, index, time: e.at }));
        for (const model of [models["cas-register"]!, models.register!]) {
          if (model === models.register && calls.some((c) => c.f === "cas")) continue;
          const want = bruteForce(history, model);
          if (!want) invalid++;
          const got = checkLinearizable(history, model, { fastPath: false, timeLimitMs: 10_000 });
          expect(got.valid, JSON.stringify(history)).toBe(want);
          expect(checkLinearizable(history, model, { timeLimitMs: 10_000 }).valid).toBe(want);
        }
      }),
      { numRuns: 2500, seed: 17 },
    );
    // Both verdicts are exercised.
    expect(invalid).toBeGreaterThan(50);
  });

  it("a write of the value the register holds is not read-only: taken first, it may not be taken at all", () => {
    // write 1; then write 1 and write 3 at once; then read 1: only write 3 before the second write 1 works.
    // Treating that second write 1 (which keeps the state 1 where it is first tried) like a read, whose
    // failure would be its level's, says "not linearizable".
    const lines: [number, Op["type"], string, unknown][] = [
      [0, "invoke", "write", 1],
      [0, "ok", "write", 1],
      [1, "invoke", "write", 1],
      [2, "invoke", "write", 3],
      [2, "ok", "write", 3],
      [1, "ok", "write", 1],
      [3, "invoke", "read", null],
      [3, "ok", "read", 1],
    ];
    const history: Op[] = lines.map(([process, type, f, value], index) => ({
      index,
      time: index,
      type,
      process,
      f,
      value,
    }));
    for (const model of [models["cas-register"]!, models.register!]) {
      expect(bruteForce(history, model)).toBe(true);
      expect(checkLinearizable(history, model, { fastPath: false }).valid).toBe(true);
    }
  });
});
