/**
 * The text form of ops in datadriven files: one op per input line, one
 * completion per output line.
 *
 * ```
 * exec
 * write x 1          ← f key value
 * cas x 1 2          ← f key expected new   (value [1, 2])
 * read x
 * ----
 * ok write x 1
 * ok cas x [1 2]
 * ok read x 2
 * ```
 *
 * An input line is `f [key] [args...]`: no argument gives the value `null`,
 * one gives that value, several give an array (`cas x 1 2` → `[1, 2]`).
 * Tokens are typed the way a person reading the file expects: `nil`/`null` →
 * null, `true`/`false` → booleans, decimal integers → numbers, anything else
 * a string (`"..."` for a string with spaces or one that looks like a number).
 *
 * An output line is `type f [key] value` with the value printed Jepsen-style:
 * `nil` for null, `[a b]` for arrays. A completion without a value (a write's
 * ok) prints the invocation's value, and a read that did not complete
 * normally prints `nil` (nothing was read). Error messages are not printed:
 * they carry ports and timings, and golden files must be deterministic.
 */
import type { Completion, Invocation } from "../../history/op.js";

/** One parsed input line, with the 1-based line number in the file for error messages. */
export interface OpLine {
  readonly invocation: Invocation;
  /** How many value tokens followed the key (`cas x 1 2` → 2), which the value alone cannot tell (`write x nil`). */
  readonly values: number;
  /** 1-based line in the file. */
  readonly line: number;
}

/** Longest op line accepted; a longer one is a mistake, not data. */
export const MAX_OP_LINE_CHARS = 64 * 1024;
/** Most ops one directive may run. */
export const MAX_OPS_PER_DIRECTIVE = 10_000;

/**
 * Parse the input of an `exec`-like directive: one op per non-blank line,
 * `#` lines skipped. `firstLine` is the file line of the input's first line.
 * Throws an Error whose message names the offending line (the caller turns it
 * into a `UsageError` at `file:line`).
 */
export function parseOpLines(input: string, firstLine: number): OpLine[] {
  const ops: OpLine[] = [];
  const lines = input.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (text === "" || text.startsWith("#")) continue;
    if (ops.length >= MAX_OPS_PER_DIRECTIVE)
      throw new OpSyntaxError(`more than ${MAX_OPS_PER_DIRECTIVE} ops`, i);
    const { invocation, values } = parseOpTokens(text, i);
    ops.push({ invocation, values, line: firstLine + i });
  }
  return ops;
}

/** A malformed op line; `offset` is its 0-based position in the input. */
export class OpSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "OpSyntaxError";
    this.offset = offset;
  }
}

/** `write x 1` → `{ f: "write", key: "x", value: 1 }`. */
export function parseOpLine(text: string, offset = 0): Invocation {
  return parseOpTokens(text, offset).invocation;
}

function parseOpTokens(text: string, offset: number): { invocation: Invocation; values: number } {
  if (text.length > MAX_OP_LINE_CHARS)
    throw new OpSyntaxError(`op line longer than ${MAX_OP_LINE_CHARS} chars`, offset);
  const tokens = tokenize(text, offset);
  const [f, key, ...rest] = tokens;
  if (f === undefined || typeof f.value !== "string" || f.quoted || !/^[A-Za-z][\w.-]*$/.test(f.value))
    throw new OpSyntaxError(
      `expected an op name first (write, read, cas, ...): ${JSON.stringify(text)}`,
      offset,
    );
  const invocation: Invocation = { f: f.value, value: null };
  if (key !== undefined) {
    if (typeof key.value !== "string" && typeof key.value !== "number")
      throw new OpSyntaxError(`a key must be a name or a number, not ${key.text}`, offset);
    invocation.key = key.value;
  }
  if (rest.length === 1) invocation.value = rest[0]!.value;
  else if (rest.length > 1) invocation.value = rest.map((token) => token.value);
  return { invocation, values: rest.length };
}

/**
 * The ops a target's client understands, by name: how many values follow the
 * key, and the line's form for messages. Every target today (the demo
 * server, etcd, Redis) runs the register workload, so they share one table.
 * A line that does not fit is refused before the cluster starts: sending
 * `cas x 1` would only come back as a `fail` the golden file then freezes.
 */
export const REGISTER_OP_FORMS: Readonly<Record<string, { readonly values: number; readonly form: string }>> =
  {
    read: { values: 0, form: "read KEY" },
    write: { values: 1, form: "write KEY VALUE" },
    cas: { values: 2, form: "cas KEY EXPECTED NEW" },
  };

/**
 * Why `invocation` is not an op `target` can run (wrong name, no key, wrong
 * number of values), or undefined when it is. The sentence names what was
 * expected, so `file:line: <sentence>` is a complete error.
 */
export function registerOpProblem(
  op: Pick<OpLine, "invocation" | "values">,
  target: string,
): string | undefined {
  const { invocation, values } = op;
  const forms = Object.values(REGISTER_OP_FORMS)
    .map((op) => op.form)
    .join(", ");
  const known = Object.hasOwn(REGISTER_OP_FORMS, invocation.f) ? REGISTER_OP_FORMS[invocation.f] : undefined;
  if (known === undefined)
    return `${target} has no op ${JSON.stringify(invocation.f)}; expected one of: ${forms}`;
  if (invocation.key === undefined) return `${invocation.f} needs a key: expected ${known.form}`;
  if (values !== known.values)
    return `${invocation.f} takes ${known.values === 0 ? "no value" : `${known.values} value${known.values === 1 ? "" : "s"}`} after the key, got ${values}: expected ${known.form}`;
  return undefined;
}

interface Token {
  value: unknown;
  text: string;
  quoted: boolean;
}

function tokenize(text: string, offset: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    if (text[i] === '"') {
      // A JSON string: the only way to write a value with spaces or a digit-only string.
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (end >= text.length)
        throw new OpSyntaxError(`unterminated string in ${JSON.stringify(text)}`, offset);
      const raw = text.slice(i, end + 1);
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new OpSyntaxError(`bad string ${raw}`, offset);
      }
      tokens.push({ value, text: raw, quoted: true });
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/.test(text[end]!)) end++;
    const raw = text.slice(i, end);
    tokens.push({ value: parseValueToken(raw), text: raw, quoted: false });
    i = end;
  }
  return tokens;
}

/** An unquoted token's value: `nil`/`null`, `true`/`false`, a safe integer, else the text itself. */
export function parseValueToken(token: string): unknown {
  if (token === "nil" || token === "null") return null;
  if (token === "true") return true;
  if (token === "false") return false;
  if (/^-?\d+$/.test(token)) {
    const value = Number(token);
    if (Number.isSafeInteger(value)) return value;
  }
  return token;
}

/** A value as printed in outputs: `nil`, `[1 2]`, `3`, `abc`, `"a b"`, `{"k":1}`. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (Array.isArray(value)) return `[${value.map(formatValue).join(" ")}]`;
  if (typeof value === "string") {
    // Quote what would not read back as the same string.
    return value === "" || /[\s"[\]]/.test(value) || parseValueToken(value) !== value
      ? JSON.stringify(value)
      : value;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * One completion as an output line, `type f [key] value`. A completion with
 * no value shows the invocation's value (Jepsen's convention for writes); a
 * read that did not end `ok` shows `nil`.
 */
export function formatCompletion(invocation: Invocation, completion: Completion): string {
  let value: unknown;
  if (completion.value !== undefined) value = completion.value;
  else value = invocation.f === "read" ? null : invocation.value;
  const parts = [completion.type, invocation.f];
  if (invocation.key !== undefined) parts.push(formatValue(invocation.key));
  parts.push(formatValue(value));
  return parts.join(" ");
}

/**
 * "Every returned value is true", the condition `wait` polls for when it has
 * no expected output: every op ended `ok`, and no read returned `nil` or `false`.
 */
export function allTrue(results: readonly { invocation: Invocation; completion: Completion }[]): boolean {
  return results.every(
    ({ invocation, completion }) =>
      completion.type === "ok" &&
      (invocation.f !== "read" ||
        (completion.value !== null && completion.value !== undefined && completion.value !== false)),
  );
}
