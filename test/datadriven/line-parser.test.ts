import { describe, expect, it } from "vitest";
import { formatCmdArg, parseDirectiveLine } from "../../src/datadriven/line-parser.js";
import { UsageError } from "../../src/errors/index.js";

const parse = (line: string) => parseDirectiveLine(line, "f:1");

describe("parseDirectiveLine (Go ParseLine rules)", () => {
  it("returns an empty command for a blank line", () => {
    expect(parse("   ")).toEqual({ cmd: "", args: [] });
  });

  it("parses bare keys, single values, empty values and lists", () => {
    expect(parse("cmd a b=1 c= d=(x, y) e=()")).toEqual({
      cmd: "cmd",
      args: [
        { key: "a", vals: [] },
        { key: "b", vals: ["1"] },
        { key: "c", vals: [""] },
        { key: "d", vals: ["x", "y"] },
        { key: "e", vals: [""] },
      ],
    });
  });

  it("keeps commas inside nested parens and whitespace before a comma", () => {
    expect(parse("c v=(f(a, b), (1, (2)) , z)").args[0]!.vals).toEqual(["f(a, b)", "(1, (2)) ", "z"]);
  });

  it("treats quotes as ordinary characters and only ASCII space as a separator", () => {
    expect(parse('c k="a b"').args).toEqual([
      { key: "k", vals: ['"a'] },
      { key: 'b"', vals: [] },
    ]);
    expect(parse("c a\tb").args).toEqual([{ key: "a\tb", vals: [] }]);
  });

  it("continues after a closing paren that is not followed by a space, as Go does", () => {
    expect(parse("c k=(a)b").args).toEqual([
      { key: "k", vals: ["a"] },
      { key: "b", vals: [] },
    ]);
  });

  it.each([
    ["c k=(a, b", 9, "expected ')' to close the value list"],
    ["c k=(a, (b)", 9, "expected ')' to close the value list"],
    ["c k=(f(a", 6, "expected ')' to close a nested '('"],
    ["c =x", 3, "expected an argument name before '='"],
  ])("reports %j with its column and what was expected", (line, column, expected) => {
    let caught: unknown;
    try {
      parse(line);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const error = caught as UsageError;
    expect(error.where).toBe("f:1");
    expect(error.message).toBe(`f:1: cannot parse directive at column ${column} (${expected}): ${line}`);
  });

  it("formats arguments back as Go's CmdArg.String does", () => {
    expect(formatCmdArg({ key: "a", vals: [] })).toBe("a");
    expect(formatCmdArg({ key: "a", vals: ["1"] })).toBe("a=1");
    expect(formatCmdArg({ key: "a", vals: ["1", "2"] })).toBe("a=(1, 2)");
  });
});
