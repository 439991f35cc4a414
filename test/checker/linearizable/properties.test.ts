import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRegisterHistory, injectFault } from "../../../src/checker/linearizable/generate.js";
import { checkLinearizable } from "../../../src/checker/linearizable/index.js";
import { models } from "../../../src/checker/models/index.js";
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
