/**
 * One test case of a datadriven file, as the handler sees it:
 *
 * ```
 * # a comment
 * put key=a value=(1, 2)      ← cmd "put", args key=a, value=(1, 2)
 * some input                  ← input (trimmed)
 * ----
 * expected output             ← expected (each line ends with "\n")
 * ```
 *
 * The argument helpers parse values the way Go's `ScanArgs` does (ints in
 * base 10, Go's boolean spellings, Go durations) and throw a `UsageError`
 * that names `file:line`, so a typo in a test file points at itself.
 */
import { invariant, UsageError } from "../errors/index.js";
import { type CmdArg, formatCmdArg } from "./line-parser.js";
import { type RetryOptions, retry } from "./retry.js";
import { normalizeOutput } from "./text.js";

/** The kinds `scanArgs` can parse a value into. */
export type ArgKind = "string" | "int" | "float" | "bool" | "durationMs";
/** The TypeScript type each `ArgKind` parses to. */
export type ArgValue<K extends ArgKind> = K extends "string" ? string : K extends "bool" ? boolean : number;

/** What a directive knows about the run it belongs to; the engine provides it. */
export interface DirectiveContext {
  /** True when expected outputs are being regenerated (rewrite mode). */
  readonly rewrite: boolean;
  /** The per-file temp dir (created on first use, removed when the file ends); `<TEMP>` stands for it. */
  tempDir(): string;
  /**
   * An output as it will be compared and written: final newline added, the
   * temp dir's path replaced by `<TEMP>`.
   */
  presentOutput(output: string): string;
}

const NO_CONTEXT: DirectiveContext = {
  rewrite: false,
  tempDir() {
    throw new Error("this directive has no temp dir: it was not created by the datadriven engine");
  },
  presentOutput: normalizeOutput,
};

export interface DirectiveInit {
  /** The file path as given to the engine (`pos` is built from it). */
  file: string;
  /** 1-based line of the directive's first line. */
  line: number;
  cmd: string;
  args: readonly CmdArg[];
  input: string;
  expected: string;
  /** Full name of the enclosing subtest (`outer/inner`), if any. */
  subtest?: string;
  context?: DirectiveContext;
}

export class Directive {
  /** `file:line` of the directive line; every error about this directive starts with it. */
  readonly pos: string;
  readonly file: string;
  readonly line: number;
  /** The first word of the directive line. */
  readonly cmd: string;
  readonly args: readonly CmdArg[];
  /** The lines between the directive line and `----`, joined with `\n` and trimmed (Go's rule). */
  readonly input: string;
  /** The expected output as written: every line ends with `\n`; `""` when empty. */
  readonly expected: string;
  readonly subtest: string | undefined;
  readonly context: DirectiveContext;

  constructor(init: DirectiveInit) {
    this.file = init.file;
    this.line = init.line;
    this.pos = `${init.file}:${init.line}`;
    this.cmd = init.cmd;
    this.args = init.args;
    this.input = init.input;
    this.expected = init.expected;
    this.subtest = init.subtest;
    this.context = init.context ?? NO_CONTEXT;
  }

  /** A copy with some fields replaced (e.g. after `<TEMP>` substitution, or a directive nested in `retry`). */
  with(changes: Partial<DirectiveInit>): Directive {
    return new Directive({
      file: this.file,
      line: this.line,
      cmd: this.cmd,
      args: this.args,
      input: this.input,
      expected: this.expected,
      subtest: this.subtest,
      context: this.context,
      ...changes,
    });
  }

  /** True in rewrite mode: `expected` is about to be replaced, so do not wait for it. */
  get rewrite(): boolean {
    return this.context.rewrite;
  }

  /** The per-file temp dir (see `DirectiveContext.tempDir`). */
  get tempDir(): string {
    return this.context.tempDir();
  }

  /** The directive line as it would be written (`cmd a=1 b=(x, y)`), for messages and test names. */
  get title(): string {
    return [this.cmd, ...this.args.map(formatCmdArg)].join(" ");
  }

  /**
   * Run `attempt` until its output matches `expected` (as the engine will
   * compare it) or `timeoutMs` (default 5 s) passes; returns the last output.
   * In rewrite mode it runs once: there is no expected output to wait for.
   */
  async retry(
    attempt: () => string | Promise<string>,
    options: Omit<RetryOptions, "expected" | "normalize"> = {},
  ): Promise<string> {
    if (this.rewrite) return attempt();
    const outcome = await retry(attempt, {
      ...options,
      expected: this.expected,
      normalize: (output) => this.context.presentOutput(output),
    });
    return outcome.output;
  }

  hasArg(key: string): boolean {
    return this.args.some((arg) => arg.key === key);
  }

  /** The first argument named `key`, or undefined. */
  arg(key: string): CmdArg | undefined {
    return this.args.find((arg) => arg.key === key);
  }

  /** An error that points at this directive (a `UsageError`: the test file is what needs fixing). */
  error(message: string): UsageError {
    return new UsageError(message, this.pos);
  }

  /**
   * Parse the values of argument `key` into the given kinds, one per value,
   * like Go's `ScanArgs`: `d.scanArgs("range", ["int", "int"])` for
   * `range=(1, 5)`. Throws (with `file:line`) if the argument is missing,
   * has a different number of values, or a value does not parse.
   */
  scanArgs<const K extends readonly ArgKind[]>(
    key: string,
    kinds: K,
  ): { -readonly [I in keyof K]: ArgValue<K[I]> } {
    const arg = this.arg(key);
    if (arg === undefined) throw this.error(`missing argument: ${key}`);
    if (arg.vals.length !== kinds.length)
      throw this.error(`${key}: expected ${kinds.length} value(s), got ${arg.vals.length}`);
    return kinds.map((kind, index) => parseArgValue(this, key, arg.vals[index]!, kind)) as {
      -readonly [I in keyof K]: ArgValue<K[I]>;
    };
  }

  /** The single value of `key` parsed as `kind`; `fallback` when the argument is absent (else it is required). */
  scanArg<K extends ArgKind>(key: string, kind: K, fallback?: ArgValue<K>): ArgValue<K> {
    const arg = this.arg(key);
    if (arg === undefined) {
      if (fallback !== undefined) return fallback;
      throw this.error(`missing argument: ${key}`);
    }
    if (kind === "bool" && arg.vals.length === 0) return true as ArgValue<K>;
    if (arg.vals.length !== 1) throw this.error(`${key}: expected one value, got ${arg.vals.length}`);
    return parseArgValue(this, key, arg.vals[0]!, kind);
  }

  /** `key=value` as a string (`fallback` if absent). */
  stringArg(key: string, fallback?: string): string {
    return this.scanArg(key, "string", fallback);
  }

  /** `key=42` as an integer, base 10 (`fallback` if absent). */
  intArg(key: string, fallback?: number): number {
    return this.scanArg(key, "int", fallback);
  }

  /** `key=true`/`key=false` (Go spellings: 1, t, T, TRUE, true, True, and their negations); a bare `key` is true. */
  boolArg(key: string, fallback?: boolean): boolean {
    return this.scanArg(key, "bool", fallback);
  }

  /** `key=1.5s` (a Go duration: ns, us, µs, ms, s, m, h, combinable as `1m30s`) in milliseconds. */
  durationMsArg(key: string, fallback?: number): number {
    return this.scanArg(key, "durationMs", fallback);
  }

  /** All values of `key` as strings (`[]` for a bare key); throws if absent. */
  stringsArg(key: string): string[] {
    const arg = this.arg(key);
    if (arg === undefined) throw this.error(`missing argument: ${key}`);
    return [...arg.vals];
  }
}

const BOOL_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const BOOL_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

function parseArgValue<K extends ArgKind>(d: Directive, key: string, value: string, kind: K): ArgValue<K> {
  const bad = (what: string): UsageError =>
    d.error(`${key}: cannot parse ${JSON.stringify(value)} as ${what}`);
  switch (kind) {
    case "string":
      return value as ArgValue<K>;
    case "int": {
      if (!/^[+-]?\d+$/.test(value)) throw bad("an integer");
      const parsed = Number(value);
      if (!Number.isSafeInteger(parsed)) throw bad("an integer (out of range)");
      return parsed as ArgValue<K>;
    }
    case "float": {
      const parsed = value.trim() === "" ? Number.NaN : Number(value);
      if (Number.isNaN(parsed)) throw bad("a number");
      return parsed as ArgValue<K>;
    }
    case "bool":
      if (BOOL_TRUE.has(value)) return true as ArgValue<K>;
      if (BOOL_FALSE.has(value)) return false as ArgValue<K>;
      throw bad("a boolean");
    case "durationMs": {
      const ms = parseGoDurationMs(value);
      if (ms === undefined) throw bad("a duration (e.g. 500ms, 2s, 1m30s)");
      return ms as ArgValue<K>;
    }
    default:
      invariant(false, `unknown argument kind ${String(kind)}`);
  }
}

const DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Go's `time.ParseDuration`, in milliseconds; undefined if `text` is not a duration. */
export function parseGoDurationMs(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let totalMs = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < rest.length) {
    const match = DURATION_PART.exec(rest);
    if (match === null) return undefined;
    totalMs += Number(match[1]) * DURATION_UNIT_MS[match[2]!]!;
  }
  return sign * totalMs;
}
