/**
 * Porcupine's etcd test data: Jepsen log lines such as
 * `INFO  jepsen.util - 3	:ok	:cas	[1 4]` (tabs or runs of spaces).
 *
 * Semantics (see test/fixtures/porcupine/NOTICE.md):
 * - `:fail :cas` means etcd's compare did not match: the cas happened and
 *   returned false. It becomes a `fail` op with `compareFailed: true`, which
 *   the cas-register model checks as "the register did not hold `expected`".
 * - `:info ... :timed-out`, and `:fail :read :timed-out`, leave the outcome
 *   unknown: an `info` op with the invocation's value.
 * - A call still open at the end of the file is left open (unknown outcome).
 * The file has no times: they are synthesized from line order.
 */
import { UsageError } from "../../errors/index.js";
import type { Op, OpType } from "../op.js";
import { stripBom } from "../values.js";
import { HistoryBuilder, type ImportEvent } from "./builder.js";
import { EdnError, Keyword, parseEdn, toPlain } from "./edn.js";

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\S+)\s+:(\S+)\s+:(\S+)\s*(.*?)\s*$/;

export function parsePorcupineEtcd(text: string, file: string): Op[] {
  const parser = new PorcupineEtcdParser(file);
  const content = stripBom(text);
  if (/[\uD800-\uDFFF]/.test(content)) {
    // A lone surrogate does not survive UTF-8 and back: read such a text as it is, line by line.
    const lines = content.split("\n");
    for (let i = 0; i < lines.length; i++) parser.line(lines[i]!, i + 1);
    return parser.ops;
  }
  const bytes = Buffer.from(content, "utf8");
  let lineNumber = 0;
  for (let start = 0; start <= bytes.length; ) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    parser.lineBytes(bytes, start, end, ++lineNumber);
    start = end + 1;
  }
  return parser.ops;
}

/** The same, one line at a time: what a streaming reader feeds (a log can be bigger than a string may be). */
export class PorcupineEtcdParser {
  private readonly builder: HistoryBuilder;
  private readonly invoked = new Map<number, unknown>();

  constructor(private readonly file: string) {
    this.builder = new HistoryBuilder(file);
  }

  get ops(): Op[] {
    return this.builder.ops;
  }

  /**
   * Read line `lineNumber` (1-based) from `bytes[start, end)` (no line break in it), without decoding
   * it when it has the usual shape (see {@link scanEtcdLine}); any other line is decoded and read by
   * {@link line}, which also names what is wrong. Same ops, same errors, either way.
   */
  lineBytes(bytes: Uint8Array, start: number, end: number, lineNumber: number): void {
    if (scanEtcdLine(bytes, start, end)) {
      this.event(scanned.process, scanned.type, scanned.f, scanned.value, scanned.timedOut, lineNumber);
      return;
    }
    this.line(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8"), lineNumber);
  }

  /** Read line `lineNumber` (1-based); throws `UsageError` naming file:line. */
  line(raw: string, lineNumber: number): void {
    const file = this.file;
    const i = lineNumber - 1;
    if (raw.trim() === "") return;
    const where = `${file}:${i + 1}`;
    const match = LINE.exec(raw);
    if (!match)
      throw new UsageError(
        "expected a Jepsen log line: INFO  jepsen.util - <process> :<type> :<f> <value>",
        where,
      );
    const [, processText, typeText, f, valueText] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    // Decimal digits only: Number() would also take 0x10, 1e3 and 1.0, and round 20-digit ids.
    const process = /^\d{1,15}$/.test(processText) ? Number(processText) : Number.NaN;
    if (!Number.isSafeInteger(process))
      throw new UsageError(
        `expected a process number (decimal digits, at most 15), got ${processText}`,
        where,
      );
    if (!["invoke", "ok", "fail", "info"].includes(typeText)) {
      throw new UsageError(`expected :invoke, :ok, :fail or :info, got :${typeText}`, where);
    }
    let parsed: unknown;
    try {
      parsed = parseEdn(valueText === "" ? "nil" : valueText);
    } catch (error) {
      if (error instanceof EdnError)
        throw new UsageError(`malformed value ${valueText}: ${error.message}`, where);
      throw error;
    }
    const timedOut = parsed instanceof Keyword;
    const value = toPlain(parsed as Parameters<typeof toPlain>[0]);
    this.event(process, typeText as OpType, f, value, timedOut, lineNumber);
  }

  /** One read line's event: `timedOut` when its value was a keyword (`:timed-out`). */
  private event(
    process: number,
    readType: OpType,
    f: string,
    value: unknown,
    timedOut: boolean,
    lineNumber: number,
  ): void {
    let type = readType;
    let error: string | undefined;
    const compareFailed = type === "fail" && f === "cas" && !timedOut;
    if ((type === "info" || type === "fail") && timedOut) {
      type = "info";
      error = String(value);
    }
    if (type === "invoke") this.invoked.set(process, value);
    const completionValue = timedOut ? (this.invoked.get(process) ?? null) : value;
    const event: ImportEvent = { type, process, f, value: type === "invoke" ? value : completionValue };
    if (error) event.error = error;
    if (compareFailed) event.extra = { compareFailed: true };
    this.builder.add(event, lineNumber);
  }
}

// ---- The usual line, read from its bytes ----

/** What {@link scanEtcdLine} read; module state, as the scan is a hot loop and never re-entered. */
const scanned = { process: 0, type: "invoke" as OpType, f: "", value: null as unknown, timedOut: false };

const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const PREFIX = Buffer.from("INFO");
const LOGGER = Buffer.from("jepsen.util");
const TYPES: readonly OpType[] = ["invoke", "ok", "fail", "info"];
const TYPE_BYTES = TYPES.map((t) => Buffer.from(t));
/** `f` names and keywords seen, by their bytes: each is one string however many lines name it. */
const NAMES: string[] = ["read", "write", "cas", "timed-out"];
const NAME_BYTES: Uint8Array[] = NAMES.map((name) => Buffer.from(name));
const NAMES_MAX = 32;
/** Digits a double always holds exactly (what the EDN reader reads without a regex). */
const DIGITS_MAX = 15;

let at = 0;

const isBlank = (c: number | undefined): boolean => c === SPACE || c === TAB;

function blanks(bytes: Uint8Array, end: number): boolean {
  const from = at;
  while (at < end && isBlank(bytes[at])) at++;
  return at > from;
}

function literal(bytes: Uint8Array, end: number, text: Uint8Array): boolean {
  if (end - at < text.length) return false;
  for (let k = 0; k < text.length; k++) if (bytes[at + k] !== text[k]) return false;
  at += text.length;
  return true;
}

/** Token characters the fast path decodes itself: ASCII letters, digits, `-`, `_`, `.`, `?`, `!`. */
function isNameByte(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= ZERO && c <= NINE) ||
    c === MINUS ||
    c === 0x5f ||
    c === 0x2e ||
    c === 0x3f ||
    c === 0x21
  );
}

/** A name at `at` up to a blank or the end, as an interned string; undefined if a byte is not a name byte. */
function name(bytes: Uint8Array, end: number): string | undefined {
  const from = at;
  while (at < end && !isBlank(bytes[at])) {
    if (!isNameByte(bytes[at]!)) return undefined;
    at++;
  }
  const length = at - from;
  if (length === 0) return undefined;
  search: for (let n = 0; n < NAME_BYTES.length; n++) {
    const known = NAME_BYTES[n]!;
    if (known.length !== length) continue;
    for (let k = 0; k < length; k++) if (known[k] !== bytes[from + k]) continue search;
    return NAMES[n];
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + from, length).toString("latin1");
  if (NAMES.length < NAMES_MAX) {
    NAMES.push(text);
    NAME_BYTES.push(Buffer.from(text));
  }
  return text;
}

/** An optional `-` and 1 to 15 digits (leading zeros allowed, as the EDN reader reads them), or undefined. */
function integer(bytes: Uint8Array, end: number): number | undefined {
  const negative = bytes[at] === MINUS;
  if (negative) at++;
  const from = at;
  let value = 0;
  while (at < end) {
    const c = bytes[at]!;
    if (c < ZERO || c > NINE) break;
    value = value * 10 + (c - ZERO);
    at++;
  }
  const digits = at - from;
  if (digits < 1 || digits > DIGITS_MAX) return undefined;
  return negative ? -value : value;
}

/** True when `at` ends a token the fast path read: the line's end or a blank. */
const tokenEnds = (bytes: Uint8Array, end: number): boolean => at === end || isBlank(bytes[at]);

/**
 * The usual line, `INFO<blanks>jepsen.util<blanks>-<blanks><digits><blanks>:<type><blanks>:<f>` and a
 * value that is absent, `nil`, an integer, a vector of integers or a keyword, blanks being spaces and
 * tabs, read into {@link scanned} straight from the bytes. False for anything else (other whitespace,
 * other values, a malformed line), which then takes the regular expression and the EDN reader: the fast
 * path accepts only lines those read to the same event.
 */
function scanEtcdLine(bytes: Uint8Array, start: number, end: number): boolean {
  at = start;
  if (!literal(bytes, end, PREFIX) || !blanks(bytes, end)) return false;
  if (!literal(bytes, end, LOGGER) || !blanks(bytes, end)) return false;
  if (bytes[at] !== MINUS) return false;
  at++;
  if (!blanks(bytes, end)) return false;
  const processFrom = at;
  let process = 0;
  while (at < end && bytes[at]! >= ZERO && bytes[at]! <= NINE) process = process * 10 + (bytes[at++]! - ZERO);
  if (at === processFrom || at - processFrom > DIGITS_MAX || !blanks(bytes, end)) return false;
  if (bytes[at] !== COLON) return false;
  at++;
  let type: OpType | undefined;
  for (let t = 0; t < TYPE_BYTES.length && type === undefined; t++)
    if (literal(bytes, end, TYPE_BYTES[t]!)) type = TYPES[t];
  if (type === undefined || !blanks(bytes, end) || bytes[at] !== COLON) return false;
  at++;
  const f = name(bytes, end);
  if (f === undefined) return false;
  blanks(bytes, end);
  let value: unknown = null;
  let timedOut = false;
  const c = bytes[at];
  if (at === end) value = null;
  else if (c === COLON) {
    at++;
    const keyword = name(bytes, end);
    if (keyword === undefined) return false;
    value = keyword;
    timedOut = true;
  } else if (c === OPEN_BRACKET) {
    at++;
    const items: number[] = [];
    blanks(bytes, end);
    while (bytes[at] !== CLOSE_BRACKET) {
      const item = integer(bytes, end);
      if (item === undefined) return false;
      items.push(item);
      if (!blanks(bytes, end) && bytes[at] !== CLOSE_BRACKET) return false;
    }
    at++;
    value = items;
  } else if (c === 0x6e /* n */) {
    if (!(bytes[at + 1] === 0x69 && bytes[at + 2] === 0x6c)) return false;
    at += 3;
    value = null;
  } else {
    const item = integer(bytes, end);
    if (item === undefined) return false;
    value = item;
  }
  if (!tokenEnds(bytes, end)) return false;
  blanks(bytes, end);
  if (at !== end) return false;
  scanned.process = process;
  scanned.type = type;
  scanned.f = f;
  scanned.value = value;
  scanned.timedOut = timedOut;
  return true;
}
