/**
 * The reader's fast path: one JSONL line of exactly the shape the journal
 * writes (`opToJson`: `{"index":…,"time":…,"type":"…","process":…,"f":"…",`
 * optional `"key":…`, `"value":…}`, no spaces) scanned into an op in one pass,
 * with no intermediate objects.
 *
 * It accepts only what it can read exactly as `JSON.parse` would and what the
 * reader's checks would let through: integers of at most 15 digits (always
 * exact; longer ones may not be), strings without escapes or control
 * characters, values that are a scalar or a flat array of scalars. Anything
 * else (spaces, other fields or field orders, floats, escapes, nesting, a
 * negative index, a torn or malformed line) returns `undefined`, and the
 * reader falls back to `JSON.parse` with every check and its file:line error.
 * So the fast path can only be faster, never more lenient.
 */
import type { Op } from "./op.js";

/** Where the scan stands in the current line; module state, as the scan is a hot loop and never re-entered. */
let at = 0;
/** Set by a scan helper when the text there is not what the fast path reads. */
let failed = false;

const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
/** Digits a double always holds exactly (2^53 has 16). */
const DIGITS_MAX = 15;

/** An integer literal at `at`, or `failed`. */
function integer(line: string): number {
  let c = line.charCodeAt(at);
  const negative = c === MINUS;
  if (negative) c = line.charCodeAt(++at);
  if (c < ZERO || c > NINE) {
    failed = true;
    return 0;
  }
  const start = at;
  let value = 0;
  do {
    value = value * 10 + (c - ZERO);
    c = line.charCodeAt(++at);
  } while (c >= ZERO && c <= NINE);
  const digits = at - start;
  // A leading zero ("01") is not JSON; a fraction or exponent is a float; many digits may not be exact.
  if (
    digits > DIGITS_MAX ||
    (digits > 1 && line.charCodeAt(start) === ZERO) ||
    c === 0x2e ||
    c === 0x65 ||
    c === 0x45
  ) {
    failed = true;
    return 0;
  }
  return negative ? -value : value;
}

/**
 * Strings seen lately (`f` names, string keys and values): a line's string that equals one is that one,
 * not a fresh copy, so a million `"write"`s are one string. Bounded: the first few distinct ones stay.
 */
const recentStrings: string[] = [];
const RECENT_STRINGS_MAX = 32;

/** A string literal at `at` (at its opening quote) without escapes or control characters, or `failed`. */
function string(line: string): string {
  if (line.charCodeAt(at) !== QUOTE) {
    failed = true;
    return "";
  }
  const start = ++at;
  for (;;) {
    const c = line.charCodeAt(at);
    if (c === QUOTE) break;
    // NaN (end of text), a control character (a line break) or an escape: not for the fast path.
    if (!(c >= 0x20) || c === BACKSLASH) {
      failed = true;
      return "";
    }
    at++;
  }
  const length = at - start;
  at++;
  for (let i = 0; i < recentStrings.length; i++) {
    const known = recentStrings[i]!;
    if (known.length === length && line.startsWith(known, start)) return known;
  }
  const fresh = line.slice(start, start + length);
  if (recentStrings.length < RECENT_STRINGS_MAX) recentStrings.push(fresh);
  return fresh;
}

/** A scalar: null, true, false, an integer or a plain string; or `failed`. */
function scalar(line: string): unknown {
  const c = line.charCodeAt(at);
  if (c === QUOTE) return string(line);
  if (c === 0x6e /* n */ && line.startsWith("null", at)) {
    at += 4;
    return null;
  }
  if (c === 0x74 /* t */ && line.startsWith("true", at)) {
    at += 4;
    return true;
  }
  if (c === 0x66 /* f */ && line.startsWith("false", at)) {
    at += 5;
    return false;
  }
  return integer(line);
}

/** A value: a scalar or a flat array of scalars (a cas pair, a list); or `failed`. */
function value(line: string): unknown {
  if (line.charCodeAt(at) !== OPEN_BRACKET) return scalar(line);
  at++;
  const items: unknown[] = [];
  if (line.charCodeAt(at) === CLOSE_BRACKET) {
    at++;
    return items;
  }
  for (;;) {
    if (line.charCodeAt(at) === OPEN_BRACKET) {
      failed = true; // nested: JSON.parse and the depth check
      return items;
    }
    items.push(scalar(line));
    if (failed) return items;
    const c = line.charCodeAt(at++);
    if (c === CLOSE_BRACKET) return items;
    if (c !== COMMA) {
      failed = true;
      return items;
    }
  }
}

/** `expected` at `at`, stepping past it; else `failed`. */
function literal(line: string, expected: string): void {
  if (line.startsWith(expected, at)) at += expected.length;
  else failed = true;
}

const QUOTED_TYPES = ['"invoke"', '"ok"', '"fail"', '"info"'] as const;
const TYPES = ["invoke", "ok", "fail", "info"] as const;

/** The op type at `at` (quoted), as one of the four constant strings; undefined for anything else. */
function opType(line: string): Op["type"] | undefined {
  for (let i = 0; i < QUOTED_TYPES.length; i++) {
    const quoted = QUOTED_TYPES[i]!;
    if (line.startsWith(quoted, at)) {
      at += quoted.length;
      return TYPES[i];
    }
  }
  return undefined;
}

/**
 * The op on `line` when it has the journal's own shape (see the file comment); `undefined` sends the
 * line to `JSON.parse` and the full checks.
 */
export function scanOpLine(line: string): Op | undefined {
  return scanOp(line, 0, line.length);
}

/**
 * `scanOpLine` on the line `text[start, end)` of a larger text (a chunk of the file), so the line need
 * not be cut out first. Nothing past `end` is read into the op: a string or number stops at the line
 * break, and the op must close exactly at `end`.
 */
export function scanOp(line: string, start: number, end: number): Op | undefined {
  at = start;
  failed = false;
  literal(line, '{"index":');
  if (failed) return undefined;
  const index = integer(line);
  if (failed || index < 0 || Object.is(index, -0)) return undefined;
  literal(line, ',"time":');
  if (failed) return undefined;
  const time = integer(line);
  literal(line, ',"type":');
  if (failed) return undefined;
  const type = opType(line);
  if (type === undefined) return undefined;
  literal(line, ',"process":');
  if (failed) return undefined;
  let process: Op["process"];
  if (line.charCodeAt(at) === QUOTE) {
    if (string(line) !== "nemesis") return undefined;
    process = "nemesis";
  } else process = integer(line);
  if (failed) return undefined;
  literal(line, ',"f":');
  if (failed) return undefined;
  const f = string(line);
  if (failed) return undefined;
  let op: Op;
  if (line.startsWith(',"key":', at)) {
    at += 7;
    const key = line.charCodeAt(at) === QUOTE ? string(line) : integer(line);
    literal(line, ',"value":');
    if (failed) return undefined;
    const v = value(line);
    if (failed) return undefined;
    op = { index, time, type, process, f, key, value: v };
  } else {
    literal(line, ',"value":');
    if (failed) return undefined;
    const v = value(line);
    if (failed) return undefined;
    op = { index, time, type, process, f, value: v };
  }
  // The closing brace ends the line: anything after it (another field, trailing text) is for JSON.parse.
  if (line.charCodeAt(at) !== CLOSE_BRACE || at + 1 !== end) return undefined;
  return op;
}
