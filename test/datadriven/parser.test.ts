import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DataDrivenFile, type Entry, parseDataDriven } from "../../src/datadriven/parser.js";
import { writeDataDriven } from "../../src/datadriven/writer.js";
import { UsageError } from "../../src/errors/index.js";

const parse = (text: string) => parseDataDriven(text, { path: "t.txt" });
const summary = (file: DataDrivenFile) =>
  file.directives.map(({ directive: d, form }) => ({
    line: d.line,
    cmd: d.cmd,
    input: d.input,
    expected: d.expected,
    form,
  }));

function parseError(text: string): UsageError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a parse error");
}

describe("parseDataDriven: the Go format's rules", () => {
  it("skips comments and blank lines between directives and numbers lines from 1", () => {
    const file = parse("# c\n\n  # indented\ncmd a=1\nin\n----\nout\n");
    expect(summary(file)).toEqual([{ line: 4, cmd: "cmd", input: "in", expected: "out\n", form: "single" }]);
    expect(file.directives[0]!.directive.pos).toBe("t.txt:4");
    expect(file.directives[0]!.directive.args).toEqual([{ key: "a", vals: ["1"] }]);
  });

  it("ends the expected output at the first blank or whitespace-only line", () => {
    const file = parse("a\n----\n1\n2\n\nb\n----\n3\n  \t\nc\n----\n4\n");
    expect(summary(file).map((d) => [d.cmd, d.expected])).toEqual([
      ["a", "1\n2\n"],
      ["b", "3\n"],
      ["c", "4\n"],
    ]);
  });

  it("reads an empty output when the separator is followed by a blank line or the end of the file", () => {
    expect(summary(parse("a\n----\n\nb\n----"))).toMatchObject([
      { cmd: "a", expected: "" },
      { cmd: "b", expected: "", form: "single" },
    ]);
  });

  it("keeps blank lines and inner ---- lines in the double-separator form", () => {
    const file = parse("a\n----\n----\nx\n\n----\ny\n----\n----\n\nb\n----\nz\n");
    expect(summary(file).map((d) => [d.cmd, d.expected, d.form])).toEqual([
      ["a", "x\n\n----\ny\n", "double"],
      ["b", "z\n", "single"],
    ]);
  });

  it("takes input up to ----, blank lines and # lines included, and trims it", () => {
    expect(parse("a\n\n  x\n\n# y\n z \n----\n").directives[0]!.directive.input).toBe("x\n\n# y\n z");
  });

  it("requires the separator to be exactly ----", () => {
    const [d] = parse("a\n---- \n-----\n----\nout\n").directives;
    expect(d!.directive.input).toBe("---- \n-----");
    expect(d!.directive.expected).toBe("out\n");
  });

  it("joins continuation lines with one space and numbers the directive by its first line", () => {
    const [d] = parse("\ncmd a=1 \\\n   b=(x, \\\n y)\n----\n").directives;
    expect(d!.directive.line).toBe(2);
    expect(d!.directive.args).toEqual([
      { key: "a", vals: ["1"] },
      { key: "b", vals: ["x", "y"] },
    ]);
  });

  it("gives a directive without a separator the rest of the file as input and no expected output", () => {
    expect(summary(parse("a\nx\n\nb\n"))).toEqual([
      { line: 1, cmd: "a", input: "x\n\nb", expected: "", form: "none" },
    ]);
  });

  it("handles a file without a final newline and CRLF line ends", () => {
    expect(summary(parse("a\n----\nout"))).toMatchObject([{ expected: "out\n" }]);
    expect(summary(parse("# c\r\na k=v\r\nin\r\n----\r\nout\r\n\r\nb\r\n----\r\n"))).toMatchObject([
      { cmd: "a", input: "in", expected: "out\n" },
      { cmd: "b", expected: "" },
    ]);
  });

  it("builds nested subtests; subtest lines take no input", () => {
    const file = parse(
      "subtest s\na\n----\n1\n\nsubtest s/t\nb\n----\n2\n\nsubtest end s/t\nsubtest end s\nc\n----\n3\n",
    );
    const shape = (entries: readonly Entry[]): unknown[] =>
      entries.map((e) => (e.kind === "subtest" ? { [e.name]: shape(e.entries) } : e.directive.cmd));
    expect(shape(file.entries)).toEqual([{ s: ["a", { "s/t": ["b"] }] }, "c"]);
    expect(file.directives.map((d) => d.directive.subtest)).toEqual(["s", "s/t", undefined]);
  });
});

describe("parseDataDriven: errors name file:line and what was expected", () => {
  it.each([
    ["a\n----\n----\nx\n", "t.txt:3", "expected ---- followed by ---- to close the output block"],
    ["a\n----\n----\nx\n----\n----\ny\n", "t.txt:7", "expected a blank line after the closing ----/----"],
    ["\ncmd k=(x\n", "t.txt:2", "cannot parse directive at column 8 (expected ')' to close the value list)"],
    ["subtest\n", "t.txt:1", "invalid syntax for subtest"],
    ["subtest end\n", "t.txt:1", "subtest end without a matching `subtest <name>`"],
    [
      "subtest a\nsubtest b\nsubtest end\nsubtest end\n",
      "t.txt:2",
      'name of nested subtest must begin with "a/"',
    ],
    ["subtest a\nsubtest end b\n", "t.txt:2", 'mismatched subtest end: expected "a", got "b"'],
    ["subtest a\nsubtest end a x\n", "t.txt:2", "invalid syntax for subtest end"],
    [
      "x\n----\n\nsubtest a\n",
      "t.txt",
      "end of file without `subtest end` for the subtest started at t.txt:4",
    ],
  ])("%j", (text, where, message) => {
    const error = parseError(text);
    expect(error.where).toBe(where);
    expect(error.message).toContain(message);
    expect(error.message.startsWith(`${where}: `)).toBe(true);
  });
});

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = join(dir, name);
      return statSync(full).isDirectory() ? fixtureFiles(full) : [full];
    });
}

describe("round trip: parse then write reproduces the file byte for byte", () => {
  const fixtures = fixtureFiles("test/datadriven/testdata");

  it("covers the fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
  });

  it.each(fixtures)("%s", (path) => {
    const text = readFileSync(path, "utf8");
    expect(writeDataDriven(parseDataDriven(text, { path }))).toBe(text);
  });

  it("holds for generated files (CRLF, missing final newline, separators everywhere)", () => {
    const line = fc.constantFrom(
      "cmd a=(1, 2)",
      "----",
      "",
      "  ",
      "# c",
      "x\r",
      "out",
      "subtest s",
      "subtest end",
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), (lines, finalNewline) => {
        const text = lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : "");
        let file: DataDrivenFile;
        try {
          file = parse(text);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          return;
        }
        expect(writeDataDriven(file)).toBe(text);
      }),
      { numRuns: 300, seed: 6 },
    );
  });
});
