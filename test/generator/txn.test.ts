import { describe, expect, it } from "vitest";
import { limit } from "../../src/generator/index.js";
import { simulate } from "../../src/generator/simulate.js";
import { listAppendTxns, rwRegisterTxns, type TxnMicroOp } from "../../src/generator/txn.js";

const txnsOf = (gen: Parameters<typeof simulate>[0], seed = 1) =>
  simulate(gen, { seed, concurrency: 4 })
    .history.filter((op) => op.type === "invoke")
    .map((op) => op.value as TxnMicroOp[]);

describe("transaction generators", () => {
  it("list-append: 1-5 micro-ops, appends unique per key, reads with a null value", () => {
    const txns = txnsOf(limit(2_000, listAppendTxns()));
    expect(txns).toHaveLength(2_000);
    const lengths = new Set(txns.map((t) => t.length));
    expect([...lengths].sort()).toEqual([1, 2, 3, 4, 5]);
    const seen = new Set<string>();
    for (const micro of txns.flat()) {
      expect(["append", "r"]).toContain(micro[0]);
      if (micro[0] === "r") expect(micro[2]).toBeNull();
      else {
        const id = `${micro[1]}:${micro[2]}`;
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
  });

  it("the key window moves: a key leaves after maxWritesPerKey writes and a fresh key replaces it", () => {
    const txns = txnsOf(limit(500, listAppendTxns({ activeKeys: 3, maxWritesPerKey: 4, readFraction: 0 })));
    const writesPerKey = new Map<number, number>();
    for (const [, key] of txns.flat()) writesPerKey.set(key, (writesPerKey.get(key) ?? 0) + 1);
    expect(Math.max(...writesPerKey.values())).toBe(4);
    expect(writesPerKey.size).toBeGreaterThan(100);
    // At most 3 keys are live at once: every key's writes lie in a bounded span of the sequence.
    const flat = txns.flat();
    const live = new Set<number>();
    const remaining = new Map(writesPerKey);
    for (const [, key] of flat) {
      live.add(key);
      expect(live.size).toBeLessThanOrEqual(3);
      const left = remaining.get(key)! - 1;
      remaining.set(key, left);
      if (left === 0) live.delete(key);
    }
  });

  it("rw-register writes w and the same seed gives the same transactions", () => {
    const a = txnsOf(limit(200, rwRegisterTxns()), 9);
    expect(a.flat().every(([f]) => f === "w" || f === "r")).toBe(true);
    expect(txnsOf(limit(200, rwRegisterTxns()), 9)).toEqual(a);
    expect(txnsOf(limit(200, rwRegisterTxns()), 10)).not.toEqual(a);
  });

  it("is pure: the values of each key, in invocation order, are 1, 2, 3, ... with no gap", () => {
    const txns = txnsOf(limit(1_000, listAppendTxns()));
    const last = new Map<number, number>();
    for (const [f, key, value] of txns.flat()) {
      if (f !== "append") continue;
      expect(value).toBe((last.get(key) ?? 0) + 1);
      last.set(key, value as number);
    }
  });

  it("tells the keys in its window", () => {
    const txns = listAppendTxns({ activeKeys: 2, maxWritesPerKey: 1, readFraction: 0 });
    expect(txns.activeKeys()).toEqual([0, 1]);
    simulate(limit(3, txns), { seed: 3, concurrency: 1 });
    const keys = txns.activeKeys();
    expect(keys).toHaveLength(2);
    expect(Math.max(...keys)).toBeGreaterThan(1);
  });

  it("refuses impossible options", () => {
    expect(() => listAppendTxns({ minLength: 3, maxLength: 2 })).toThrow(RangeError);
    expect(() => listAppendTxns({ activeKeys: 0 })).toThrow(RangeError);
    expect(() => rwRegisterTxns({ readFraction: 2 })).toThrow(RangeError);
  });
});
