/**
 * The datadriven file format (cockroachdb/datadriven), parsed with the Go
 * library's rules so one file means the same to both implementations:
 *
 * ```
 * # Comment lines (first non-space character '#') and blank lines are
 * # skipped between directives.
 * cmd arg key=val key=(v1, (nested, parens)) \
 *     more=args                 ← a trailing '\' continues the directive line
 * input lines, until a line that is exactly "----"
 * (blank lines allowed; the input is trimmed)
 * ----
 * expected output, ending at the first blank line or the end of the file
 *
 * cmd2
 * ----
 * ----
 * output that contains
 *
 * blank lines: bracketed by a double separator, closed by "----" twice,
 * followed by a blank line or the end of the file
 * ----
 * ----
 *
 * subtest name                  ← groups directives; no input or output
 * ...
 * subtest end [name]            ← nested subtests are named "outer/inner"
 * ```
 *
 * A directive that never reaches a `----` takes every following line as its
 * input and has no expected output (Go's rule). Separators must be exactly
 * `----` (a trailing space makes the line ordinary text). A CRLF file parses
 * as if it were LF. The parse keeps every line as it was, so writing the
 * file back reproduces it byte for byte and a rewrite touches only the
 * output blocks.
 *
 * Where Go is silent we are strict: an output opened with `----`/`----`
 * that never closes is an error here (Go takes the rest of the file as the
 * output), and every error is a `UsageError` naming `file:line`.
 */
import { UsageError } from "../errors/index.js";
import { Directive } from "./directive.js";
import { parseDirectiveLine } from "./line-parser.js";
import { goTrimSpace, isBlankLine, logicalLine, SEPARATOR, type SplitText, splitLines } from "./text.js";

/** Files larger than this are refused: a datadriven file is read whole, and a larger one is surely a mistake. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** How a directive's expected output is written. */
export type OutputForm = "none" | "single" | "double";

/** A directive and where its parts sit in the file (0-based line indexes). */
export interface DirectiveEntry {
  readonly kind: "directive";
  readonly directive: Directive;
  /** Index of the `----` line; undefined when the directive has no separator (form "none"). */
  readonly separatorIndex: number | undefined;
  /**
   * The lines a rewrite replaces: `[outputStart, outputEnd)`. For the single
   * form, the output lines (not the blank line that ends them); for the
   * double form, from the opening second `----` through the closing pair.
   */
  readonly outputStart: number;
  readonly outputEnd: number;
  readonly form: OutputForm;
}

export interface SubtestEntry {
  readonly kind: "subtest";
  /** Full name: `outer/inner` for a nested subtest. */
  readonly name: string;
  readonly pos: string;
  readonly entries: readonly Entry[];
}

export type Entry = DirectiveEntry | SubtestEntry;

export interface DataDrivenFile {
  /** The path as given (it prefixes every `pos`). */
  readonly path: string;
  readonly text: SplitText;
  /** Top-level directives and subtests, in file order. */
  readonly entries: readonly Entry[];
  /** Every directive, subtests flattened, in file order. */
  readonly directives: readonly DirectiveEntry[];
}

export interface ParseOptions {
  /** Name used in `pos` and errors; default `<string>` (as Go's RunTestFromString). */
  path?: string;
}

/** Parse the text of a datadriven file. Throws `UsageError` (`file:line: ...`) on a malformed file. */
export function parseDataDriven(source: string, options: ParseOptions = {}): DataDrivenFile {
  const path = options.path ?? "<string>";
  if (source.length > MAX_FILE_BYTES)
    throw new UsageError(`file is larger than ${MAX_FILE_BYTES} bytes; refusing to parse it`, path);
  const text = splitLines(source);
  const lines = text.lines.map(logicalLine);
  const count = lines.length;
  const where = (index: number): string => `${path}:${index + 1}`;

  const root: Entry[] = [];
  const directives: DirectiveEntry[] = [];
  /** Open subtests, innermost last. */
  const open: { name: string; pos: string; entries: Entry[] }[] = [];
  const current = (): Entry[] => open.at(-1)?.entries ?? root;

  let index = 0;
  while (index < count) {
    const startIndex = index;
    const first = goTrimSpace(lines[index]!);
    index++;
    if (first.startsWith("#")) continue;
    let joined = first;
    while (joined.endsWith("\\") && index < count) {
      joined = `${joined.slice(0, -1)} ${goTrimSpace(lines[index]!)}`;
      index++;
    }
    const { cmd, args } = parseDirectiveLine(joined, where(startIndex));
    if (cmd === "") continue;

    if (cmd === "subtest") {
      const pos = where(startIndex);
      const innermost = open.at(-1);
      if (innermost !== undefined && args[0]?.key === "end") {
        if (args.length > 2)
          throw new UsageError("invalid syntax for subtest end: expected `subtest end [name]`", pos);
        const endName = args[1]?.key;
        if (endName !== undefined && endName !== innermost.name)
          throw new UsageError(
            `mismatched subtest end: expected ${JSON.stringify(innermost.name)}, got ${JSON.stringify(endName)}`,
            pos,
          );
        open.pop();
        current().push({
          kind: "subtest",
          name: innermost.name,
          pos: innermost.pos,
          entries: innermost.entries,
        });
        continue;
      }
      if (args.length !== 1 || args[0]!.vals.length !== 0)
        throw new UsageError("invalid syntax for subtest: expected `subtest <name>`", pos);
      const name = args[0]!.key;
      if (name === "end") throw new UsageError("subtest end without a matching `subtest <name>`", pos);
      const prefix = innermost === undefined ? "" : `${innermost.name}/`;
      if (!name.startsWith(prefix) || name === prefix)
        throw new UsageError(`name of nested subtest must begin with ${JSON.stringify(prefix)}`, pos);
      open.push({ name, pos, entries: [] });
      continue;
    }

    // Input: every line up to the separator.
    const inputLines: string[] = [];
    let separatorIndex: number | undefined;
    while (index < count) {
      const line = lines[index]!;
      index++;
      if (line === SEPARATOR) {
        separatorIndex = index - 1;
        break;
      }
      inputLines.push(line);
    }
    const input = goTrimSpace(inputLines.map((line) => `${line}\n`).join(""));

    let block: ExpectedBlock = { expected: "", form: "none", outputEnd: count, next: count };
    if (separatorIndex !== undefined) block = readExpectedBlock(lines, index, where);
    index = block.next;
    const entry: DirectiveEntry = {
      kind: "directive",
      directive: new Directive({
        file: path,
        line: startIndex + 1,
        cmd,
        args,
        input,
        expected: block.expected,
        subtest: open.at(-1)?.name,
      }),
      separatorIndex,
      outputStart: separatorIndex === undefined ? count : separatorIndex + 1,
      outputEnd: block.outputEnd,
      form: block.form,
    };
    directives.push(entry);
    current().push(entry);
  }
  const unclosed = open.at(-1);
  if (unclosed !== undefined)
    throw new UsageError(
      `end of file without \`subtest end\` for the subtest started at ${unclosed.pos}`,
      path,
    );
  return { path, text, entries: root, directives };
}

export interface ExpectedBlock {
  expected: string;
  form: OutputForm;
  /** Exclusive end of the lines a rewrite replaces. */
  outputEnd: number;
  /** Where parsing resumes: after the blank line that ended the block, if any. */
  next: number;
}

/**
 * Read the expected output that starts at `start` (just after a `----`).
 * `lines` are logical lines (no `\r`). Exported for the writer, which
 * re-reads what it writes to prove the text parses back to the output.
 */
export function readExpectedBlock(
  lines: readonly string[],
  start: number,
  where: (index: number) => string,
): ExpectedBlock {
  const count = lines.length;
  if (start < count && lines[start] === SEPARATOR) {
    // Double form: everything up to two successive separators.
    const collected: string[] = [];
    let index = start + 1;
    while (index < count) {
      const line = lines[index]!;
      index++;
      if (line === SEPARATOR && index < count) {
        const next = lines[index]!;
        index++;
        if (next === SEPARATOR) {
          if (index < count && !isBlankLine(lines[index]!))
            throw new UsageError(
              "expected a blank line after the closing ----/---- of the output block",
              where(index),
            );
          return {
            expected: collected.map((out) => `${out}\n`).join(""),
            form: "double",
            outputEnd: index,
            next: index < count ? index + 1 : index,
          };
        }
        collected.push(line, next);
        continue;
      }
      collected.push(line);
    }
    throw new UsageError(
      "expected ---- followed by ---- to close the output block opened here (output with blank lines is bracketed by a double separator)",
      where(start),
    );
  }
  // Single form: up to the first blank line (consumed) or the end of the file.
  let index = start;
  while (index < count && !isBlankLine(lines[index]!)) index++;
  return {
    expected: lines
      .slice(start, index)
      .map((out) => `${out}\n`)
      .join(""),
    form: "single",
    outputEnd: index,
    next: index < count ? index + 1 : index,
  };
}
