/**
 * Fuzzing the datadriven parser (fast-check): thousands of mutated files,
 * directive lines and op lines. Each is parsed, or refused with a
 * `UsageError` naming `file:line` (an op line: `OpSyntaxError` with its
 * offset, or a sentence saying what the target expected); never another
 * exception, never a hang.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpSyntaxError, parseOpLines, registerOpProblem } from "../../src/datadriven/directives/ops.js";
import { parseDirectiveLine } from "../../src/datadriven/line-parser.js";
import { parseDataDriven } from "../../src/datadriven/parser.js";
import { UsageError } from "../../src/errors/index.js";
import { FUZZ_RUNS, mutated, PARSE_MS_MAX } from "../history/fuzz/mutate.js";

const FIXTURES = [
  ...["args", "basic", "continuation", "double-separator", "subtests"].map((name) =>
    readFileSync(join("test/datadriven/testdata/format", name), "utf8"),
  ),
  readFileSync("examples/datadriven/demo/sequential-exec.txt", "utf8"),
];

/** Run `parse`; a UsageError is a refusal (checked by `refused`), anything else thrown fails the property. */
function timed<T>(parse: () => T): T | UsageError {
  const started = performance.now();
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  } finally {
    expect(performance.now() - started).toBeLessThan(PARSE_MS_MAX);
  }
}

describe("datadriven parser fuzz (fast-check)", () => {
  it("mutated files: directives with their positions, or a UsageError at file:line", () => {
    fc.assert(
      fc.property(mutated(FIXTURES), (text) => {
        const result = timed(() => parseDataDriven(text, { path: "fuzz.txt" }));
        if (result instanceof UsageError) {
          expect(result.message).toMatch(/^fuzz\.txt(:\d+)?: \S/);
          return;
        }
        for (const entry of result.directives) {
          expect(entry.directive.pos).toMatch(/^fuzz\.txt:\d+$/);
          // Reading the arguments as the directives do: refused with the directive's line, or a value.
          for (const arg of entry.directive.args) {
            const reads: (() => unknown)[] = [
              () => entry.directive.intArg(arg.key),
              () => entry.directive.durationMsArg(arg.key),
              () => entry.directive.boolArg(arg.key),
              () => entry.directive.stringsArg(arg.key),
            ];
            for (const read of reads) {
              const value = timed(read);
              if (value instanceof UsageError)
                expect(value.message.startsWith(entry.directive.pos)).toBe(true);
            }
          }
          // Its input as op lines: ops, or a syntax error at an offset inside the input.
          try {
            for (const op of parseOpLines(entry.directive.input, entry.directive.line + 1)) {
              const problem = registerOpProblem(op, "the demo target");
              if (problem !== undefined) expect(problem).toMatch(/expected/);
            }
          } catch (error) {
            if (!(error instanceof OpSyntaxError)) throw error;
            expect(error.offset).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: FUZZ_RUNS, seed: 21 },
    );
  }, 60_000);

  it("arbitrary directive lines: parsed, or a UsageError naming where", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 200 }),
      mutated(["show arg1 arg2=val1 arg3=(val1, (2,3), val2)", "exec session=a node=(n1, n2) timeout=10s"]),
    );
    fc.assert(
      fc.property(line, (text) => {
        const result = timed(() => parseDirectiveLine(text, "fuzz.txt:3"));
        if (result instanceof UsageError) expect(result.message.startsWith("fuzz.txt:3")).toBe(true);
        else expect(typeof result.cmd).toBe("string");
      }),
      { numRuns: FUZZ_RUNS, seed: 22 },
    );
  }, 60_000);

  it("arbitrary op lines: ops (each with a problem in words or none), or an OpSyntaxError", () => {
    const token = fc.oneof(
      fc.constantFrom(
        "read",
        "write",
        "cas",
        "frob",
        "nil",
        "true",
        '"a b"',
        '"',
        "[1",
        "2]",
        "9007199254740993",
      ),
      fc.string({ maxLength: 12 }),
    );
    const input = fc.array(
      fc.array(token, { maxLength: 6 }).map((tokens) => tokens.join(" ")),
      {
        maxLength: 8,
      },
    );
    fc.assert(
      fc.property(input, (lines) => {
        const started = performance.now();
        try {
          for (const op of parseOpLines(lines.join("\n"), 10)) {
            expect(op.line).toBeGreaterThanOrEqual(10);
            const problem = registerOpProblem(op, "etcd");
            if (problem !== undefined) expect(typeof problem).toBe("string");
          }
        } catch (error) {
          if (!(error instanceof OpSyntaxError)) throw error;
        }
        expect(performance.now() - started).toBeLessThan(PARSE_MS_MAX);
      }),
      { numRuns: FUZZ_RUNS, seed: 23 },
    );
  }, 60_000);
});
