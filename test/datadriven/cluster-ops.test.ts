/** The text form of ops and completions used by the cluster directives (pure: no cluster). */
import { describe, expect, it } from "vitest";
import { Directive } from "../../src/datadriven/directive.js";
import { clusterDirectives } from "../../src/datadriven/directives/cluster.js";
import { ClusterHarness } from "../../src/datadriven/directives/harness.js";
import {
  allTrue,
  formatCompletion,
  formatValue,
  OpSyntaxError,
  parseOpLine,
  parseOpLines,
  parseValueToken,
  REGISTER_OP_FORMS,
  registerOpProblem,
} from "../../src/datadriven/directives/ops.js";
import { UsageError } from "../../src/errors/index.js";

describe("parseOpLine", () => {
  it("reads f, key and the value: none → null, one → itself, several → an array", () => {
    expect(parseOpLine("read x")).toEqual({ f: "read", key: "x", value: null });
    expect(parseOpLine("write x 1")).toEqual({ f: "write", key: "x", value: 1 });
    expect(parseOpLine("cas x 1 2")).toEqual({ f: "cas", key: "x", value: [1, 2] });
    expect(parseOpLine("cas  k7   nil   3 ")).toEqual({ f: "cas", key: "k7", value: [null, 3] });
    expect(parseOpLine("read")).toEqual({ f: "read", value: null });
    expect(parseOpLine("write 5 true")).toEqual({ f: "write", key: 5, value: true });
  });

  it("types tokens: nil/null, booleans, safe integers, quoted strings, else text", () => {
    expect(parseValueToken("nil")).toBeNull();
    expect(parseValueToken("null")).toBeNull();
    expect(parseValueToken("false")).toBe(false);
    expect(parseValueToken("-12")).toBe(-12);
    expect(parseValueToken("1.5")).toBe("1.5");
    expect(parseValueToken("99999999999999999999")).toBe("99999999999999999999");
    expect(parseOpLine('write x "a b"')).toEqual({ f: "write", key: "x", value: "a b" });
    expect(parseOpLine('write x "12"')).toEqual({ f: "write", key: "x", value: "12" });
  });

  it("rejects a line that does not start with an op name, and unterminated strings", () => {
    expect(() => parseOpLine("1 x")).toThrow(OpSyntaxError);
    expect(() => parseOpLine('"write" x')).toThrow(/op name/);
    expect(() => parseOpLine('write x "abc')).toThrow(/unterminated/);
    expect(() => parseOpLine("write [1] 2")).not.toThrow();
  });

  it("parses an input block, skipping blank and # lines, and says which line is bad", () => {
    const ops = parseOpLines("write x 1\n\n# note\nread x", 10);
    expect(ops.map((op) => [op.line, op.invocation.f])).toEqual([
      [10, "write"],
      [13, "read"],
    ]);
    try {
      parseOpLines("read x\n7 y", 1);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OpSyntaxError);
      expect((error as OpSyntaxError).offset).toBe(1);
    }
  });
});

describe("formatCompletion", () => {
  it("prints type f key value, Jepsen-style", () => {
    const write = { f: "write", key: "x", value: 1 };
    expect(formatCompletion(write, { type: "ok" })).toBe("ok write x 1");
    expect(formatCompletion(write, { type: "info", error: "timeout" })).toBe("info write x 1");
    const read = { f: "read", key: "y", value: null };
    expect(formatCompletion(read, { type: "ok", value: null })).toBe("ok read y nil");
    expect(formatCompletion(read, { type: "ok", value: 3 })).toBe("ok read y 3");
    expect(formatCompletion(read, { type: "fail", error: "refused" })).toBe("fail read y nil");
    expect(formatCompletion({ f: "cas", key: "x", value: [1, 2] }, { type: "fail" })).toBe(
      "fail cas x [1 2]",
    );
  });

  it("quotes strings that would not read back as themselves, so output round-trips", () => {
    for (const value of ["hello", "a b", "", "12", "nil", "true", 'q"', "[x]", -3, true, null])
      expect(parseOpLine(`write k ${formatValue(value)}`).value).toEqual(value);
    expect(formatValue("hello")).toBe("hello");
    expect(formatValue("12")).toBe('"12"');
    expect(formatValue({ a: [1] })).toBe('{"a":[1]}');
    expect(formatValue([1, [null, "x"]])).toBe("[1 [nil x]]");
  });
});

describe("allTrue", () => {
  const read = { f: "read", key: "x", value: null };
  it("holds when every op is ok and no read returned nil or false", () => {
    expect(allTrue([{ invocation: read, completion: { type: "ok", value: 1 } }])).toBe(true);
    expect(allTrue([{ invocation: { f: "write", value: 0 }, completion: { type: "ok" } }])).toBe(true);
    expect(allTrue([{ invocation: read, completion: { type: "ok", value: null } }])).toBe(false);
    expect(allTrue([{ invocation: read, completion: { type: "ok", value: false } }])).toBe(false);
    expect(allTrue([{ invocation: { f: "write", value: 1 }, completion: { type: "info" } }])).toBe(false);
  });
});

describe("ops a target cannot run are refused before anything is sent", () => {
  function execDirective(input: string, cmd = "exec"): Directive {
    return new Directive({
      file: "ops.txt",
      line: 4,
      cmd,
      args: [],
      input,
      expected: "",
      context: { rewrite: false, tempDir: () => "/tmp/x", presentOutput: (o) => o },
    });
  }

  it("names the op line, the target and the expected form; the cluster never starts", async () => {
    const cases: [input: string, line: number, message: string][] = [
      ["read x\ncas x 1", 6, "cas takes 2 values after the key, got 1: expected cas KEY EXPECTED NEW"],
      [
        "frob x",
        5,
        'the demo target has no op "frob"; expected one of: read KEY, write KEY VALUE, cas KEY EXPECTED NEW',
      ],
      ["write x", 5, "write takes 1 value after the key, got 0: expected write KEY VALUE"],
      ["write x nil nil", 5, "write takes 1 value after the key, got 2"],
      ["read x 3", 5, "read takes no value after the key, got 1: expected read KEY"],
      ["read", 5, "read needs a key: expected read KEY"],
      ["toString x", 5, 'has no op "toString"'],
    ];
    for (const cmd of ["exec", "wait", "async"]) {
      for (const [input, line, message] of cases) {
        const harness = new ClusterHarness({ kind: "demo" });
        const directives = clusterDirectives(harness);
        const error = await Promise.resolve()
          .then(() => directives[cmd]!(execDirective(input, cmd)))
          .then(
            () => undefined,
            (thrown: unknown) => thrown,
          );
        expect(error, `${cmd}: ${input}`).toBeInstanceOf(UsageError);
        expect((error as UsageError).message).toContain(message);
        expect((error as UsageError).where).toBe(`ops.txt:${line}`);
        expect(harness.isStarted).toBe(false);
        await harness.close();
      }
    }
  });

  it("accepts every op form a register client runs, and `write x nil` counts as one value", () => {
    for (const text of ["read x", "write x 1", "write x nil", "cas x 1 2", "cas 7 nil 3"]) {
      const [line] = parseOpLines(text, 1);
      expect(registerOpProblem(line!, "etcd"), text).toBeUndefined();
    }
    expect(Object.keys(REGISTER_OP_FORMS)).toEqual(["read", "write", "cas"]);
  });
});
