import { describe, expect, it } from "vitest";
import { compose, mergeValidity, only, runChecker } from "../../src/checker/compose.js";
import { counterChecker } from "../../src/checker/counter.js";
import { unhandledExceptions } from "../../src/checker/exceptions.js";
import { setChecker } from "../../src/checker/set.js";
import { stats } from "../../src/checker/stats.js";
import type { Checker } from "../../src/checker/types.js";
import { uniqueIds } from "../../src/checker/unique-ids.js";
import type { Op, OpType } from "../../src/history/op.js";

/** Build a history from [process, type, f, value] rows; index and time follow row order. */
function history(rows: [number, OpType, string, unknown, string?][]): Op[] {
  return rows.map(([process, type, f, value, error], index) => ({
    index,
    time: index * 1000,
    type,
    process,
    f,
    value,
    ...(error && { error }),
  }));
}

describe("compose", () => {
  it("false beats unknown beats true", () => {
    expect(mergeValidity([true, "unknown", true])).toBe("unknown");
    expect(mergeValidity([true, "unknown", false])).toBe(false);
    expect(mergeValidity([])).toBe(true);
  });

  it("runs every checker and a crashing checker becomes unknown with the reason", async () => {
    const crashing: Checker = {
      name: "crashing",
      check() {
        throw new Error("bug in checker");
      },
    };
    const result = await compose([stats(), crashing]).check(
      history([
        [0, "invoke", "read", null],
        [0, "ok", "read", 1],
      ]),
      {},
    );
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("bug in checker");
  });
});

describe("stats", () => {
  it("is unknown (missing evidence, not an anomaly) when some f never succeeded", async () => {
    const h = history([
      [0, "invoke", "read", null],
      [0, "ok", "read", 1],
      [1, "invoke", "write", 2],
      [1, "fail", "write", 2],
    ]);
    const result = await stats().check(h, {});
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("`write`");
  });

  it("is unknown on a history without client ops", async () => {
    const result = await stats().check([], {});
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("no client operations");
    expect((await unhandledExceptions().check([], {})).valid).toBe("unknown");
  });
});

describe("runChecker: a checker's bugs are never a verdict", () => {
  const h = history([
    [0, "invoke", "read", null],
    [0, "ok", "read", 1],
  ]);
  const returning = (value: unknown): Checker => ({ name: "odd", check: () => value as never });

  it.each([
    ["the string false", { valid: "false" }],
    ["zero", { valid: 0 }],
    ["a missing valid", { explanation: "hm" }],
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
  ])("a result with %s is unknown, named a checker bug", async (_label, value) => {
    const result = await runChecker(returning(value), h, {});
    expect(result.valid).toBe("unknown");
    expect(result.checkerBug).toBe(true);
    expect(result.explanation).toContain("checker odd is broken");
  });

  it("a checker that throws a null-prototype object or a string is unknown: checker crashed", async () => {
    const nullProto = Object.create(null) as object;
    const hostile = {
      toString() {
        throw new Error("no");
      },
    };
    for (const thrown of [nullProto, "just a string", hostile, undefined]) {
      const result = await runChecker(
        {
          name: "thrower",
          check() {
            throw thrown;
          },
        },
        h,
        {},
      );
      expect(result.valid).toBe("unknown");
      expect(result.explanation).toMatch(/^checker crashed: /);
    }
  });

  it("a checker that throws keeps its stack out of the explanation", async () => {
    const result = await runChecker(
      {
        name: "thrower",
        check() {
          throw new TypeError("cannot read x");
        },
      },
      h,
      {},
    );
    expect(result.explanation).toBe("checker crashed: TypeError: cannot read x");
    expect(String(result.stack)).toContain("basic.test.ts");
  });

  it("a checker that never settles is unknown after its timeout", async () => {
    const never: Checker = { name: "never", check: () => new Promise(() => {}) };
    const result = await runChecker(never, h, {}, { timeoutMs: 50 });
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("did not finish within 50 ms");
  });
});

describe("only", () => {
  it("gives the checker just the ops of the named fs, and keeps its name", async () => {
    const seen: string[] = [];
    const spy: Checker = {
      name: "spy",
      check(ops) {
        for (const op of ops) seen.push(`${op.f}:${op.type}`);
        return { valid: true };
      },
    };
    const h = history([
      [0, "invoke", "acquire", null],
      [0, "ok", "acquire", null],
      [1, "invoke", "read", null],
      [1, "ok", "read", 1],
    ]);
    const filtered = only({ f: ["acquire"] }, spy);
    expect(filtered.name).toBe("spy");
    await filtered.check(h, {});
    expect(seen).toEqual(["acquire:invoke", "acquire:ok"]);
  });
});

describe("set", () => {
  it("finds lost and unexpected elements against the final read", async () => {
    const h = history([
      [0, "invoke", "add", 1],
      [0, "ok", "add", 1],
      [1, "invoke", "add", 2],
      [1, "ok", "add", 2],
      [2, "invoke", "add", 3],
      [2, "info", "add", 3],
      [0, "invoke", "read", null],
      [0, "ok", "read", [1, 3, 9]],
    ]);
    const result = await setChecker().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.lost).toEqual([2]);
    expect(result.unexpected).toEqual([9]);
    expect(result.recoveredCount).toBe(1);
  });

  it("is valid when every acknowledged add is read", async () => {
    const h = history([
      [0, "invoke", "add", 1],
      [0, "ok", "add", 1],
      [0, "invoke", "read", null],
      [0, "ok", "read", [1]],
    ]);
    expect((await setChecker().check(h, {})).valid).toBe(true);
  });
});

describe("set: every final read, per replica", () => {
  it("judges each final read, so a lagging replica's read is caught", async () => {
    const h = history([
      [0, "invoke", "add", 1],
      [0, "ok", "add", 1],
      [0, "invoke", "add", 2],
      [0, "ok", "add", 2],
      [1, "invoke", "read", null],
      [1, "ok", "read", [1]], // replica lagging: 2 lost there
      [2, "invoke", "read", null],
      [2, "ok", "read", [1, 2]],
    ]).map((op) => (op.process === 1 ? { ...op, node: "n2" } : { ...op, node: "n1" }));
    const result = await setChecker().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.lost).toEqual([2]);
    expect(result.explanation).toContain("on n2");
    expect((result.reads as unknown[]).length).toBe(2);
  });

  it("says so in words when reads return strings where numbers were added", async () => {
    const h = history([
      [0, "invoke", "add", 5],
      [0, "ok", "add", 5],
      [0, "invoke", "read", null],
      [0, "ok", "read", ["5"]],
    ]);
    const result = await setChecker().check(h, {});
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain("strings");
    expect(result.explanation).toContain("convert");
  });
});

describe("counter", () => {
  it("accepts reads within bounds, including concurrent adds", async () => {
    const h = history([
      [0, "invoke", "add", 1],
      [0, "ok", "add", 1],
      [1, "invoke", "add", 5],
      [2, "invoke", "read", null],
      [2, "ok", "read", 6],
      [1, "ok", "add", 5],
    ]);
    expect((await counterChecker().check(h, {})).valid).toBe(true);
  });

  it("rejects a read below the acknowledged sum", async () => {
    const h = history([
      [0, "invoke", "add", 3],
      [0, "ok", "add", 3],
      [2, "invoke", "read", null],
      [2, "ok", "read", 2],
    ]);
    const result = await counterChecker().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.explanation).toContain("read 2, expected between 3 and 3");
  });
});

describe("unique ids", () => {
  it("finds duplicates", async () => {
    const h = history([
      [0, "invoke", "generate", null],
      [0, "ok", "generate", 7],
      [1, "invoke", "generate", null],
      [1, "ok", "generate", 7],
    ]);
    const result = await uniqueIds().check(h, {});
    expect(result.valid).toBe(false);
    expect(result.duplicated).toEqual([{ id: 7, opIndices: [1, 3] }]);
  });
});

describe("unhandled exceptions", () => {
  it("groups info errors and judges only with a limit", async () => {
    const h = history([
      [0, "invoke", "read", null],
      [0, "info", "read", null, "timed out after 5 ms"],
      [5, "invoke", "read", null],
      [5, "info", "read", null, "timed out after 5 ms"],
      [1, "invoke", "read", null],
      [1, "ok", "read", 1],
    ]);
    const report = await unhandledExceptions().check(h, {});
    expect(report.valid).toBe(true);
    expect(report.exceptions).toEqual([
      { message: "timed out after 5 ms", count: 2, firstOpIndex: 1, f: "read" },
    ]);
    expect((await unhandledExceptions({ maxInfoFraction: 0.5 }).check(h, {})).valid).toBe(false);
  });
});

describe("set: concurrency with the final read", () => {
  it("does not call an add lost when it was acknowledged while the read ran", async () => {
    const h = history([
      [0, "invoke", "add", 1],
      [0, "ok", "add", 1],
      [2, "invoke", "read", null],
      [1, "invoke", "add", 2],
      [1, "ok", "add", 2],
      [2, "ok", "read", [1]],
    ]);
    expect((await setChecker().check(h, {})).valid).toBe(true);
  });
});
