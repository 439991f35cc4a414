import { describe, expect, it } from "vitest";
import { generateRegisterHistory, injectFault } from "../../../src/checker/linearizable/generate.js";
import { checkLinearizable, linearizable } from "../../../src/checker/linearizable/index.js";
import { models } from "../../../src/checker/models/index.js";
import type { Op } from "../../../src/history/op.js";
import { Random } from "../../../src/random/random.js";

describe("the hard invalid cases (exhaustive search is hopeless; the fast path decides)", () => {
  it("a 3,000-op single register at concurrency 8 with one impossible read", () => {
    const random = new Random(3);
    const injected = injectFault(
      generateRegisterHistory({ random, ops: 3000, concurrency: 8, spread: 8 }),
      "impossible-read",
      random,
    )!;
    const result = checkLinearizable(injected.history, models.register!, { timeLimitMs: 20_000 });
    expect(result.valid).toBe(false);
    expect(result.counterexample?.kind).toBe("impossible-read");
    expect(result.counterexample?.stuck).toEqual([injected.readIndex]);
    expect(result.explanation).toMatch(/no other operation ever wrote -\d+/);
  });

  it("a 40,000-op 20-key history with one stale read names the key and the overwriting write", () => {
    const random = new Random(4);
    const history = generateRegisterHistory({ random, ops: 40_000, keys: 20, concurrency: 10 });
    const injected = injectFault(history, "stale-read", random)!;
    const result = checkLinearizable(injected.history, models.kv!, { timeLimitMs: 20_000 });
    expect(result.valid).toBe(false);
    expect(result.counterexample?.kind).toBe("stale-read");
    const read = injected.history[injected.readIndex]!;
    expect(result.counterexample?.key).toBe(read.key);
    expect(result.counterexample?.related).toHaveLength(2);
    expect(result.explanation).toMatch(/was overwritten by write \d+ \(op \d+/);
  });

  it("a time budget ends in unknown with partial progress, never a hang", () => {
    // Many concurrent writes, each value twice, and no unique-value fast path (values repeat): exponential.
    const ops: Op[] = [];
    const n = 18;
    for (let p = 0; p < n; p++)
      ops.push({
        index: ops.length,
        time: ops.length,
        type: "invoke",
        process: p,
        f: "write",
        value: (p >> 1) + 10,
      });
    for (let p = 0; p < n; p++)
      ops.push({
        index: ops.length,
        time: ops.length,
        type: "ok",
        process: p,
        f: "write",
        value: (p >> 1) + 10,
      });
    ops.push({ index: ops.length, time: ops.length, type: "invoke", process: 99, f: "read", value: null });
    ops.push({ index: ops.length, time: ops.length, type: "ok", process: 99, f: "read", value: 5 });
    const result = checkLinearizable(ops, models.register!, { timeLimitMs: 0, fastPath: false });
    // Millions of steps before saying no; with no time the first clock check stops it.
    expect(result.valid).toBe("unknown");
    expect(result.progress?.partitionsTotal).toBe(1);
    expect(result.explanation).toMatch(/stopped \(time limit\)/);
  });

  it("the Checker wrapper honours an aborted signal with unknown", async () => {
    const random = new Random(9);
    const history = generateRegisterHistory({ random, ops: 20_000, concurrency: 10, keys: 1 });
    const controller = new AbortController();
    controller.abort();
    const result = await linearizable({ model: models.register! }).check(history, {
      signal: controller.signal,
    });
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/aborted/);
  });
});
