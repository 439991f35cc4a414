/**
 * The reader's fast path: one JSONL line of exactly the shape the journal
 * writes (`opToJson`: `{"index":…,"time":…,"type":"…","process":…,"f":"…",`
 * optional `"key":…`, `"value":…}`, no spaces) scanned into an op in one pass
 * over the file's bytes, with no intermediate objects: the line is never
 * decoded into a string, numbers are read digit by digit from the bytes, and
 * a string equal to one seen lately (`"write"`, a key) is that string again,
 * compared byte by byte, so only a new string is ever decoded.
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
/** Set by a scan helper when the bytes there are not what the fast path reads. */
let failed = false;

const NEWLINE = 0x0a;
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

/**
 * An integer literal at `at`, or `failed`. Reading past the line's end is safe: an index past the
 * buffer is `undefined`, which is no digit, and a byte past the line is its `\n` or `\r`.
 */
function integer(bytes: Buffer): number {
  let c = bytes[at]!;
  const negative = c === MINUS;
  if (negative) c = bytes[++at]!;
  if (!(c >= ZERO && c <= NINE)) {
    failed = true;
    return 0;
  }
  const start = at;
  let value = 0;
  do {
    value = value * 10 + (c - ZERO);
    c = bytes[++at]!;
  } while (c >= ZERO && c <= NINE);
  const digits = at - start;
  // A leading zero ("01") is not JSON; a fraction or exponent is a float; many digits may not be exact.
  if (
    digits > DIGITS_MAX ||
    (digits > 1 && bytes[start] === ZERO) ||
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
 * ASCII strings seen lately (`f` names, string keys and values): a line's string with the same bytes is
 * that one, not a fresh copy, so a million `"write"`s are one string and are never decoded. Bounded: the
 * first few distinct ones stay.
 */
const recentStrings: string[] = [];
/** Their bytes, compared with a line's bytes without a `charCodeAt` per byte. */
const recentBytes: Uint8Array[] = [];
const RECENT_STRINGS_MAX = 32;

/** A string literal at `at` (at its opening quote) without escapes or control characters, or `failed`. */
function string(bytes: Buffer): string {
  if (bytes[at] !== QUOTE) {
    failed = true;
    return "";
  }
  const start = ++at;
  let plain = true;
  for (;;) {
    const c = bytes[at]!;
    if (c === QUOTE) break;
    // undefined (end of the buffer), a control character (a line break) or an escape: not for the fast path.
    if (!(c >= 0x20) || c === BACKSLASH) {
      failed = true;
      return "";
    }
    if (c >= 0x80) plain = false;
    at++;
  }
  const end = at;
  at++;
  // UTF-8 text is decoded as the reader's fallback decodes the line, so both read the same characters.
  if (!plain) return bytes.toString("utf8", start, end);
  const length = end - start;
  search: for (let i = 0; i < recentBytes.length; i++) {
    const known = recentBytes[i]!;
    if (known.length !== length) continue;
    for (let j = 0; j < length; j++) if (known[j] !== bytes[start + j]) continue search;
    return recentStrings[i]!;
  }
  const fresh = bytes.toString("latin1", start, end);
  if (recentStrings.length < RECENT_STRINGS_MAX) {
    recentStrings.push(fresh);
    recentBytes.push(new Uint8Array(bytes.subarray(start, end))); // a copy: the chunk is reused
  }
  return fresh;
}

/** The ASCII bytes of `text`: the scan compares bytes with bytes (a `charCodeAt` per byte cost more). */
const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

const NULL = ascii("null");
const TRUE = ascii("true");
const FALSE = ascii("false");
const INDEX_FIELD = ascii('{"index":');
const TIME_FIELD = ascii(',"time":');
const TYPE_FIELD = ascii(',"type":');
const PROCESS_FIELD = ascii(',"process":');
const F_FIELD = ascii(',"f":');
const KEY_FIELD = ascii(',"key":');
const VALUE_FIELD = ascii(',"value":');
const INVOKE = ascii('"invoke"');
const INFO = ascii('"info"');
const OK = ascii('"ok"');
const FAIL = ascii('"fail"');
const NEMESIS = ascii('"nemesis"');

/** `word` at `at`, stepping past it; else false and `at` unchanged. */
function startsWith(bytes: Buffer, word: Uint8Array): boolean {
  const length = word.length;
  for (let j = 0; j < length; j++) if (bytes[at + j] !== word[j]) return false;
  at += length;
  return true;
}

/** A scalar: null, true, false, an integer or a plain string; or `failed`. */
function scalar(bytes: Buffer): unknown {
  const c = bytes[at];
  if (c === QUOTE) return string(bytes);
  if (c === 0x6e /* n */ && startsWith(bytes, NULL)) return null;
  if (c === 0x74 /* t */ && startsWith(bytes, TRUE)) return true;
  if (c === 0x66 /* f */ && startsWith(bytes, FALSE)) return false;
  return integer(bytes);
}

/** A value: a scalar or a flat array of scalars (a cas pair, a list); or `failed`. */
function value(bytes: Buffer): unknown {
  if (bytes[at] !== OPEN_BRACKET) return scalar(bytes);
  at++;
  if (bytes[at] === CLOSE_BRACKET) {
    at++;
    return [];
  }
  // A pair (a cas) and a single are made at their size: an array grown by push keeps spare slots.
  const first = item(bytes);
  if (failed) return undefined;
  if (bytes[at] === CLOSE_BRACKET) {
    at++;
    return [first];
  }
  if (bytes[at++] !== COMMA) {
    failed = true;
    return undefined;
  }
  const second = item(bytes);
  if (failed) return undefined;
  if (bytes[at] === CLOSE_BRACKET) {
    at++;
    return [first, second];
  }
  const items: unknown[] = [first, second];
  for (;;) {
    if (bytes[at++] !== COMMA) {
      failed = true;
      return undefined;
    }
    items.push(item(bytes));
    if (failed) return undefined;
    if (bytes[at] === CLOSE_BRACKET) {
      at++;
      return items;
    }
  }
}

/** A scalar inside an array; a nested array is for `JSON.parse` and the depth check. */
function item(bytes: Buffer): unknown {
  if (bytes[at] === OPEN_BRACKET) {
    failed = true;
    return undefined;
  }
  return scalar(bytes);
}

/** `expected` at `at`, stepping past it; else `failed`. */
function literal(bytes: Buffer, expected: Uint8Array): void {
  if (!startsWith(bytes, expected)) failed = true;
}

/** The op type at `at` (quoted), as one of the four constant strings; undefined for anything else. */
function opType(bytes: Buffer): Op["type"] | undefined {
  if (bytes[at] !== QUOTE) return undefined;
  switch (bytes[at + 1]) {
    case 0x69 /* i */:
      if (startsWith(bytes, INVOKE)) return "invoke";
      if (startsWith(bytes, INFO)) return "info";
      return undefined;
    case 0x6f /* o */:
      return startsWith(bytes, OK) ? "ok" : undefined;
    case 0x66 /* f */:
      return startsWith(bytes, FAIL) ? "fail" : undefined;
    default:
      return undefined;
  }
}

/** Lone surrogates: UTF-8 cannot carry them, so such a line is for `JSON.parse`, which keeps them. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The op on `line` when it has the journal's own shape (see the file comment); `undefined` sends the
 * line to `JSON.parse` and the full checks. The reader scans bytes ({@link scanOp}); this is the same
 * scan on a string, for tests and callers that hold one.
 */
export function scanOpLine(line: string): Op | undefined {
  if (LONE_SURROGATE.test(line)) return undefined;
  const bytes = Buffer.from(line, "utf8");
  const op = scanOp(bytes, 0, bytes.length);
  // One line, so it closes at its end (a trailing "\n" is not part of a line).
  return op !== undefined && at === bytes.length ? op : undefined;
}

/**
 * Where the last successful {@link scanOp} stopped: just past its closing brace, that is at the line's
 * `\n` or at the chunk's end. The reader starts the next line there without searching for it.
 */
export function scanEnd(): number {
  return at;
}

/**
 * The op on the line that starts at `bytes[start]` in a chunk of the file (UTF-8) that ends at `end`, so
 * the line need not be found, cut out or decoded first: the op must close with its brace right before a
 * `\n` or at `end` (then {@link scanEnd} is there). Nothing past the line is read into the op: a string
 * or number stops at the line break.
 */
export function scanOp(bytes: Buffer, start: number, end: number): Op | undefined {
  at = start;
  failed = false;
  literal(bytes, INDEX_FIELD);
  if (failed) return undefined;
  const index = integer(bytes);
  if (failed || index < 0 || Object.is(index, -0)) return undefined;
  literal(bytes, TIME_FIELD);
  if (failed) return undefined;
  const time = integer(bytes);
  literal(bytes, TYPE_FIELD);
  if (failed) return undefined;
  const type = opType(bytes);
  if (type === undefined) return undefined;
  literal(bytes, PROCESS_FIELD);
  if (failed) return undefined;
  let process: Op["process"];
  if (bytes[at] === QUOTE) {
    if (!startsWith(bytes, NEMESIS)) return undefined;
    process = "nemesis";
  } else process = integer(bytes);
  if (failed) return undefined;
  literal(bytes, F_FIELD);
  if (failed) return undefined;
  const f = string(bytes);
  if (failed) return undefined;
  let op: Op;
  if (startsWith(bytes, KEY_FIELD)) {
    const key = bytes[at] === QUOTE ? string(bytes) : integer(bytes);
    literal(bytes, VALUE_FIELD);
    if (failed) return undefined;
    const v = value(bytes);
    if (failed) return undefined;
    op = { index, time, type, process, f, key, value: v };
  } else {
    literal(bytes, VALUE_FIELD);
    if (failed) return undefined;
    const v = value(bytes);
    if (failed) return undefined;
    op = { index, time, type, process, f, value: v };
  }
  // The closing brace ends the line: anything after it (another field, trailing text) is for JSON.parse.
  if (bytes[at] !== CLOSE_BRACE) return undefined;
  at++;
  if (at !== end && (at > end || bytes[at] !== NEWLINE)) return undefined;
  return op;
}
