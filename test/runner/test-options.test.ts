import { describe, expect, expectTypeOf, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import { withTestOptionDefaults } from "../../src/runner/run-test.js";
import { defineTest, type RunOptions, type TestSpec } from "../../src/runner/spec.js";
import {
  declaredTestOptions,
  flagNameOf,
  parseDuration,
  parseTestOptionValue,
  resolveTestOptions,
} from "../../src/runner/test-options.js";

const BASE: RunOptions = {
  seed: 1,
  timeLimitMs: 1000,
  concurrency: 1,
  nodes: 1,
  nemesis: [],
  nemesisIntervalMs: 1000,
  opTimeoutMs: 100,
  storeDir: "store",
  keep: false,
  extra: {},
};

const spec = (name: string): TestSpec => ({
  name,
  client: { name: "c", open: async () => ({ invoke: async () => ({ type: "ok" }), close: async () => {} }) },
  generator: [],
  checker: { name: "k", check: () => ({ valid: true }) },
});

describe("test-defined options", () => {
  it("types options.test from the declarations and attaches them to the definition", () => {
    const definition = defineTest(
      (options) => {
        expectTypeOf(options.test.rate).toEqualTypeOf<number>();
        expectTypeOf(options.test.mode).toEqualTypeOf<"a" | "b">();
        expectTypeOf(options.test.quiet).toEqualTypeOf<boolean>();
        return spec(`t-${options.test.rate}-${options.test.mode}`);
      },
      {
        options: {
          rate: { type: "number", default: 2.5, help: "r" },
          mode: { type: "choice", choices: ["a", "b"], default: "a", help: "m" },
          quiet: { type: "boolean", default: false, help: "q" },
        },
      },
    );
    expect(Object.keys(declaredTestOptions(definition))).toEqual(["rate", "mode", "quiet"]);
    expect(declaredTestOptions(spec("plain"))).toEqual({});
  });

  it("fills in defaults for a run started from code, keeping given values", () => {
    const definition = defineTest((options) => spec(String(options.test.n)), {
      options: {
        n: { type: "integer", default: 3, help: "n" },
        s: { type: "string", default: "x", help: "s" },
      },
    });
    expect(withTestOptionDefaults(definition, BASE, "t.ts").test).toEqual({ n: 3, s: "x" });
    expect(withTestOptionDefaults(definition, { ...BASE, test: { n: 9 } }, "t.ts").test).toEqual({
      n: 9,
      s: "x",
    });
    expect(withTestOptionDefaults(spec("plain"), BASE, "t.ts")).toBe(BASE);
  });

  it("refuses a bad declaration from code too, naming the source", () => {
    const definition = defineTest(() => spec("x"), {
      options: { n: { type: "integer", default: 1.5, help: "n" } },
    });
    expect(() => withTestOptionDefaults(definition, BASE, "t.ts")).toThrow(UsageError);
    expect(() => withTestOptionDefaults(definition, BASE, "t.ts")).toThrow(
      /^t\.ts: option "n": default 1\.5/,
    );
  });

  it.each([
    [{ type: "integer", default: 0, help: "h" }, "-3", -3],
    [{ type: "integer", default: 0, help: "h" }, "1.5", { problem: 'expected an integer; got "1.5"' }],
    [
      { type: "integer", default: 0, help: "h" },
      "99999999999999999999",
      { problem: 'expected an integer; got "99999999999999999999"' },
    ],
    [{ type: "number", default: 0, help: "h" }, "2.5e3", 2500],
    [{ type: "number", default: 0, help: "h" }, "NaN", { problem: 'expected a number; got "NaN"' }],
    [
      { type: "number", default: 0, min: 1, help: "h" },
      "0.5",
      { problem: 'expected a value >= 1; got "0.5"' },
    ],
    [{ type: "boolean", default: false, help: "h" }, "yes", true],
    [
      { type: "boolean", default: false, help: "h" },
      "maybe",
      { problem: 'expected true or false; got "maybe"' },
    ],
    [{ type: "duration", default: 1, help: "h" }, "250ms", 250],
    [{ type: "duration", default: 1, help: "h" }, "2", 2000],
    [{ type: "string", default: "", help: "h" }, "any thing", "any thing"],
  ] as const)("parses %j from %j", (declared, text, expected) => {
    expect(parseTestOptionValue(declared, text)).toEqual(expected);
  });

  it("spells names as kebab-case flags and resolves defaults", () => {
    expect(flagNameOf("readRatio")).toBe("read-ratio");
    expect(resolveTestOptions({ a: { type: "string", default: "d", help: "h" } }, {})).toEqual({ a: "d" });
    expect(parseDuration("0")).toContain("positive");
    expect(parseDuration("30d")).toContain("expected a duration");
  });
});
