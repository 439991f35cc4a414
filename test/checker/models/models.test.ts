import { describe, expect, it } from "vitest";
import { checkLinearizable } from "../../../src/checker/linearizable/index.js";
import { type AnyModel, modelByName, modelNames, models } from "../../../src/checker/models/index.js";
import type { Key, Op } from "../../../src/history/op.js";

/**
 * Build a history from a compact script: each entry is [process, "invoke"|"ok"|"fail"|"info", f, value, key?].
 * Times are the line numbers in ms.
 */
type Line =
  | [number, Op["type"], string, unknown, Key?]
  | [number, Op["type"], string, unknown, Key | undefined, Record<string, unknown>];
function history(lines: readonly Line[]): Op[] {
  return lines.map(([process, type, f, value, key, extra], index) => ({
    index,
    time: index * 1_000_000,
    type,
    process,
    f,
    value,
    ...(key === undefined ? {} : { key }),
    ...(extra ?? {}),
  }));
}
const check = (model: AnyModel, lines: readonly Line[]) => checkLinearizable(history(lines), model);

describe("model registry", () => {
  it("has every documented model by name", () => {
    expect(modelNames).toEqual([
      "register",
      "cas-register",
      "kv",
      "mutex",
      "set",
      "queue",
      "porcupine-kv",
      "owner-mutex",
      "fenced-mutex",
    ]);
    expect(modelByName("queue")).toBe(models.queue);
    expect(modelByName("toString")).toBeUndefined();
  });
});

describe("register", () => {
  const m = models.register!;
  it("concurrent writes with a read that must see the later one", () => {
    // w1 and w2 overlap; a read after both finished saw 2, a later read saw 1: no order explains both.
    const valid = check(m, [
      [0, "invoke", "write", 1],
      [1, "invoke", "write", 2],
      [0, "ok", "write", 1],
      [1, "ok", "write", 2],
      [2, "invoke", "read", null],
      [2, "ok", "read", 2],
      [2, "invoke", "read", null],
      [2, "ok", "read", 2],
    ]);
    expect(valid.valid).toBe(true);
    const invalid = check(m, [
      [0, "invoke", "write", 1],
      [1, "invoke", "write", 2],
      [0, "ok", "write", 1],
      [1, "ok", "write", 2],
      [2, "invoke", "read", null],
      [2, "ok", "read", 2],
      [2, "invoke", "read", null],
      [2, "ok", "read", 1],
    ]);
    expect(invalid.valid).toBe(false);
    expect(invalid.counterexample?.stuck).toContain(6);
  });
  it("a read of nothing after a completed write is stale, in words", () => {
    const r = check(m, [
      [0, "invoke", "write", 7],
      [0, "ok", "write", 7],
      [1, "invoke", "read", null],
      [1, "ok", "read", null],
    ]);
    expect(r.valid).toBe(false);
    expect(r.counterexample?.kind).toBe("stale-read");
    expect(r.explanation).toContain("write 7 (op 0) had already finished");
  });
  it("an info write observed later took effect; one never observed is optional", () => {
    expect(
      check(m, [
        [0, "invoke", "write", 1],
        [0, "info", "write", 1],
        [1, "invoke", "read", null],
        [1, "ok", "read", 1],
      ]).valid,
    ).toBe(true);
    expect(
      check(m, [
        [0, "invoke", "write", 1],
        [0, "info", "write", 1],
        [1, "invoke", "read", null],
        [1, "ok", "read", null],
      ]).valid,
    ).toBe(true);
  });
  it("a failed write did not happen", () => {
    const r = check(m, [
      [0, "invoke", "write", 1],
      [0, "fail", "write", 1],
      [1, "invoke", "read", null],
      [1, "ok", "read", 1],
    ]);
    expect(r.valid).toBe(false);
    expect(r.counterexample?.kind).toBe("impossible-read");
  });
  it("rejects cas: that is the cas-register", () => {
    expect(() =>
      check(m, [
        [0, "invoke", "cas", [1, 2]],
        [0, "ok", "cas", [1, 2]],
      ]),
    ).toThrow(/cas-register/);
  });
});

describe("cas-register", () => {
  const m = models["cas-register"]!;
  it("a cas chain must apply in order", () => {
    const chain: Line[] = [
      [0, "invoke", "write", 1],
      [0, "ok", "write", 1],
      [1, "invoke", "cas", [2, 3]],
      [2, "invoke", "cas", [1, 2]],
      [1, "ok", "cas", [2, 3]],
      [2, "ok", "cas", [1, 2]],
      [0, "invoke", "read", null],
      [0, "ok", "read", 3],
    ];
    expect(check(m, chain).valid).toBe(true);
    const broken = chain.map((line, i) => (i === 7 ? ([0, "ok", "read", 2] as Line) : line));
    expect(check(m, broken).valid).toBe(false);
  });
  it("a failed cas is dropped, unless it says its compare failed", () => {
    const lines = (extra: Record<string, unknown>): Line[] => [
      [0, "invoke", "write", 1],
      [0, "ok", "write", 1],
      [1, "invoke", "cas", [1, 2]],
      [1, "fail", "cas", [1, 2], undefined, extra],
    ];
    expect(check(m, lines({})).valid).toBe(true);
    // The register certainly held 1 when the cas ran, so "compare failed" is impossible.
    expect(check(m, lines({ compareFailed: true })).valid).toBe(false);
  });
});

describe("kv", () => {
  it("partitions by key and names the key in the verdict", () => {
    const r = check(models.kv!, [
      [0, "invoke", "write", 1, "a"],
      [0, "ok", "write", 1, "a"],
      [1, "invoke", "write", 1, "b"],
      [1, "ok", "write", 1, "b"],
      [2, "invoke", "read", null, "b"],
      [2, "ok", "read", 2, "b"],
    ]);
    expect(r.valid).toBe(false);
    expect(r.stats.partitions).toBe(2);
    expect(r.counterexample?.key).toBe("b");
    expect(r.explanation).toMatch(/^key b:/);
  });
  it("the same value on two keys is not a duplicate write (the fast path works per key)", () => {
    const r = check(models.kv!, [
      [0, "invoke", "write", 5, 1],
      [0, "ok", "write", 5, 1],
      [1, "invoke", "write", 5, 2],
      [1, "ok", "write", 5, 2],
      [0, "invoke", "read", null, 1],
      [0, "ok", "read", 5, 1],
    ]);
    expect(r.valid).toBe(true);
  });
});

describe("mutex", () => {
  const m = models.mutex!;
  it("two holders at once are impossible; an info acquire may not have happened", () => {
    expect(
      check(m, [
        [0, "invoke", "acquire", null],
        [0, "ok", "acquire", null],
        [1, "invoke", "acquire", null],
        [1, "ok", "acquire", null],
      ]).valid,
    ).toBe(false);
    expect(
      check(m, [
        [0, "invoke", "acquire", null],
        [0, "info", "acquire", null],
        [1, "invoke", "acquire", null],
        [1, "ok", "acquire", null],
      ]).valid,
    ).toBe(true);
    expect(
      check(m, [
        [0, "invoke", "acquire", null],
        [0, "ok", "acquire", null],
        [0, "invoke", "release", null],
        [1, "invoke", "acquire", null],
        [1, "ok", "acquire", null],
        [0, "ok", "release", null],
      ]).valid,
    ).toBe(true);
  });
});

describe("set", () => {
  const m = models.set!;
  it("a read sees exactly the adds linearized before it, in any order", () => {
    expect(
      check(m, [
        [0, "invoke", "add", 1],
        [1, "invoke", "add", 2],
        [0, "ok", "add", 1],
        [1, "ok", "add", 2],
        [2, "invoke", "read", null],
        [2, "ok", "read", [2, 1]],
      ]).valid,
    ).toBe(true);
    expect(
      check(m, [
        [0, "invoke", "add", 1],
        [0, "ok", "add", 1],
        [2, "invoke", "read", null],
        [2, "ok", "read", []],
      ]).valid,
    ).toBe(false);
    // Concurrent with the add, the read may or may not see it.
    expect(
      check(m, [
        [0, "invoke", "add", 1],
        [2, "invoke", "read", null],
        [2, "ok", "read", []],
        [0, "ok", "add", 1],
      ]).valid,
    ).toBe(true);
  });
});

describe("queue", () => {
  const m = models.queue!;
  it("dequeues come out in enqueue order", () => {
    const base: Line[] = [
      [0, "invoke", "enqueue", 1],
      [0, "ok", "enqueue", 1],
      [0, "invoke", "enqueue", 2],
      [0, "ok", "enqueue", 2],
    ];
    expect(check(m, [...base, [1, "invoke", "dequeue", null], [1, "ok", "dequeue", 1]]).valid).toBe(true);
    expect(check(m, [...base, [1, "invoke", "dequeue", null], [1, "ok", "dequeue", 2]]).valid).toBe(false);
    expect(
      check(m, [
        [1, "invoke", "dequeue", null],
        [1, "ok", "dequeue", null],
      ]).valid,
    ).toBe(true);
  });
  it("an info dequeue may have taken the head", () => {
    const lines: Line[] = [
      [0, "invoke", "enqueue", 1],
      [0, "ok", "enqueue", 1],
      [0, "invoke", "enqueue", 2],
      [0, "ok", "enqueue", 2],
      [1, "invoke", "dequeue", null],
      [1, "info", "dequeue", null],
      [2, "invoke", "dequeue", null],
      [2, "ok", "dequeue", 2],
    ];
    expect(check(m, lines).valid).toBe(true);
  });
});

describe("porcupine-kv", () => {
  const m = models["porcupine-kv"]!;
  it("append concatenates and get reads the whole string; initial value is empty", () => {
    const lines: Line[] = [
      [0, "invoke", "get", null, "k"],
      [0, "ok", "get", "", "k"],
      [0, "invoke", "put", "a", "k"],
      [0, "ok", "put", "a", "k"],
      [1, "invoke", "append", "b", "k"],
      [1, "ok", "append", "b", "k"],
      [0, "invoke", "get", null, "k"],
      [0, "ok", "get", "ab", "k"],
    ];
    expect(check(m, lines).valid).toBe(true);
    expect(checkLinearizable(history(lines), m, { partition: false }).valid).toBe(true);
    const wrong = lines.map((line, i) => (i === 7 ? ([0, "ok", "get", "ba", "k"] as Line) : line));
    expect(check(m, wrong).valid).toBe(false);
  });
  it("states reached by different paths are equal (the cache relies on it)", () => {
    const ctx = { intern: () => 0, valueOf: () => null };
    const put = m.prepare(
      { f: "put", input: "ab", output: "ab", type: "ok", key: "k", invoke: {} as Op, completion: undefined },
      ctx,
    )!;
    const p1 = m.prepare(
      { f: "put", input: "a", output: "a", type: "ok", key: "k", invoke: {} as Op, completion: undefined },
      ctx,
    )!;
    const ap = m.prepare(
      { f: "append", input: "b", output: "b", type: "ok", key: "k", invoke: {} as Op, completion: undefined },
      ctx,
    )!;
    const direct = m.step(m.init(ctx), put)!;
    const viaAppend = m.step(m.step(m.init(ctx), p1)!, ap)!;
    expect(m.equal(direct, viaAppend)).toBe(true);
    expect(m.hash(direct)).toBe(m.hash(viaAppend));
  });
});
