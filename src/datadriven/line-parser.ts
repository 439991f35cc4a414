/**
 * The directive line: `cmd arg key=val key=(v1, v2) key=`.
 *
 * The rules are those of cockroachdb/datadriven's `ParseLine`, so a file
 * parses the same in Go and here:
 * - the command runs up to the first space (only ASCII space separates; a tab
 *   is part of a word, as in Go);
 * - each argument is `key` (no values), `key=` (one empty value), `key=value`
 *   (one value, up to the next space) or `key=(v1, v2, ...)` (a list);
 * - list values may contain nested parentheses, whose commas do not split:
 *   `exprs=(a + (b, c), d)` has two values, `a + (b, c)` and `d`;
 * - after each comma the next value's leading whitespace is dropped, but a
 *   value's trailing whitespace is kept (`(a , b)` gives `"a "`, `"b"`),
 *   and `key=()` is one empty value;
 * - there is no quoting: `"` and `'` are ordinary characters, so
 *   `name="a b"` is the argument `name` with value `"a` followed by the
 *   argument `b"` (Go behaves the same way); put spaces inside a list
 *   instead: `name=(a b)`.
 * Keys may repeat; lookups take the first occurrence.
 */
import { UsageError } from "../errors/index.js";
import { goTrimSpace } from "./text.js";

/** One argument of a directive: `key`, `key=v` or `key=(v1, v2)`. */
export interface CmdArg {
  readonly key: string;
  /** `[]` for a bare `key`; `[""]` for `key=` or `key=()`. */
  readonly vals: readonly string[];
}

export interface ParsedLine {
  /** `""` for a blank line (nothing to run). */
  cmd: string;
  args: CmdArg[];
}

/**
 * Parse one directive line (continuations already joined). `where` (a
 * `file:line`) goes into the error. Throws `UsageError` naming the column
 * and what was expected.
 */
export function parseDirectiveLine(text: string, where?: string): ParsedLine {
  const line = goTrimSpace(text);
  if (line === "") return { cmd: "", args: [] };
  let rest = line;
  const fail = (expected: string): never => {
    const column = line.length - rest.length + 1;
    throw new UsageError(`cannot parse directive at column ${column} (${expected}): ${line}`, where);
  };
  /** Cut `rest` before the first of `chars` (or at its end) and return the cut prefix. */
  const takeUntil = (chars: string): string => {
    let index = 0;
    while (index < rest.length && !chars.includes(rest[index]!)) index++;
    const taken = rest.slice(0, index);
    rest = rest.slice(index);
    return taken;
  };

  const cmd = takeUntil(" ");
  rest = goTrimSpace(rest);
  const args: CmdArg[] = [];
  while (rest !== "") {
    const key = takeUntil(" =");
    if (key === "") fail("expected an argument name before '='");
    let vals: string[] = [];
    if (rest.startsWith("=")) {
      rest = rest.slice(1);
      if (rest === "" || rest.startsWith(" ")) vals = [""];
      else if (!rest.startsWith("(")) vals = [takeUntil(" ")];
      else {
        rest = rest.slice(1);
        vals = parseValueList();
      }
    }
    args.push({ key, vals });
    rest = goTrimSpace(rest);
  }
  return { cmd, args };

  /** Values after `(` up to the matching `)`, which is consumed. */
  function parseValueList(): string[] {
    const vals: string[] = [];
    // Each pass takes one value; the bound is the line length (every pass consumes a character).
    for (let pass = 0; pass <= line.length; pass++) {
      let pos = 0;
      while (pos < rest.length && rest[pos] !== ")" && rest[pos] !== ",") {
        pos++;
        if (rest[pos - 1] === "(") pos = skipNested(pos);
      }
      if (pos >= rest.length) fail("expected ')' to close the value list");
      vals.push(rest.slice(0, pos));
      const closed = rest[pos] === ")";
      rest = goTrimSpace(rest.slice(pos + 1));
      if (closed) return vals;
    }
    return fail("expected ')' to close the value list");
  }

  /** From just after a `(` inside a value, the position just after its matching `)`. */
  function skipNested(start: number): number {
    let depth = 1;
    for (let pos = start; pos < rest.length; pos++) {
      if (rest[pos] === "(") depth++;
      else if (rest[pos] === ")" && --depth === 0) return pos + 1;
    }
    return fail("expected ')' to close a nested '('");
  }
}

/** An argument as it would be written on a directive line (Go's `CmdArg.String`). */
export function formatCmdArg(arg: CmdArg): string {
  if (arg.vals.length === 0) return arg.key;
  if (arg.vals.length === 1) return `${arg.key}=${arg.vals[0]}`;
  return `${arg.key}=(${arg.vals.join(", ")})`;
}
