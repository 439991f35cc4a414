import { describe, expect, test } from "vitest";
import type { Op } from "../../src/history/op.js";
import { opToJson } from "../../src/history/op.js";
import { describeValue, unwritableReason, writableCompletion } from "../../src/history/writable.js";

const invoke: Op = { index: 4, time: 10, type: "invoke", process: 2, f: "read", value: null, key: "k" };
const completion = (fields: Partial<Op>): Op => ({ ...invoke, index: 5, time: 20, type: "ok", ...fields });

describe("unwritableReason", () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const shared = { x: 1 };
  let deep: unknown = 1;
  for (let i = 0; i < 5_000; i++) deep = [deep];

  test.each([
    ["a function", () => 1, "value is a function"],
    ["a Symbol", Symbol("s"), "value is a Symbol"],
    ["a BigInt", 9007199254740993n, "value is a BigInt"],
    ["a nested BigInt", { items: [1, 2, 3n] }, "value.items[2] is a BigInt"],
    ["a circular object", circular, "value.self is circular"],
    ["a Set", new Set([1]), "value is a Set (JSON writes it as {})"],
    ["a Map in an odd key", { "a b": new Map() }, 'value["a b"] is a Map'],
    ["a Promise", Promise.resolve(1), "value is a Promise"],
    ["NaN", [NaN], "value[0] is NaN (JSON writes it as null)"],
    ["undefined in an array", [1, undefined], "value[1] is undefined"],
    ["5,000 levels of nesting", deep, "nested deeper than 1000 levels"],
  ])("%s is refused, naming the part", (_name, value, expected) => {
    expect(unwritableReason(value)).toContain(expected);
  });

  test.each([
    ["null", null],
    ["a string", "x"],
    ["a nested plain value", { a: [1, "two", null, { b: true }], c: -0.5 }],
    ["a Date (toJSON)", new Date(0)],
    ["a shared, not circular, object", [shared, shared]],
    ["an absent property", { a: undefined }],
  ])("%s is writable", (_name, value) => {
    expect(unwritableReason(value)).toBeUndefined();
  });
});

describe("writableCompletion", () => {
  test("a writable completion is returned as it is", () => {
    const op = completion({ value: { v: 1 }, node: "n1" });
    expect(writableCompletion(op, invoke)).toBe(op);
  });

  test.each([
    ["value", { value: () => 1 }, "value is a function"],
    ["value", { value: 1n }, "value is a BigInt"],
    ["extra field", { value: 1, debug: Symbol("d") }, "debug is a Symbol"],
  ])(
    "an unwritable %s makes an info op with the invocation's value and the reason",
    (_name, fields, reason) => {
      const op = writableCompletion(completion(fields), invoke);
      expect(op).toEqual({
        index: 5,
        time: 20,
        type: "info",
        process: 2,
        f: "read",
        key: "k",
        value: null,
        error: expect.stringContaining(reason),
      });
      expect(op.error).toMatch(/^the client's ok completion cannot be written to the history: /);
      expect(JSON.parse(opToJson(op))).toEqual(op);
    },
  );
});

describe("describeValue", () => {
  test("never throws", () => {
    const circular: Record<string, unknown> = {};
    circular.c = circular;
    expect(describeValue({ type: "weird", value: 1n }, "completion")).toBe(
      "completion.value is a BigInt (JSON cannot write it; return a string or a number)",
    );
    expect(describeValue(circular)).toContain("circular");
    expect(describeValue({ type: "x" })).toBe('{"type":"x"}');
    expect(describeValue(undefined)).toBe("undefined");
  });
});
