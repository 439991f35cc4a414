/**
 * Jepsen histories written as JSON (Jepsen's and elle-cli's JSON export): a
 * JSON array of op objects, or one op object per line, where `type` and `f`
 * are strings (`"invoke"`, `"txn"`) and a transaction's value is a list of
 * micro-ops `["append", k, v]`, `["r", k, [1, 2]]`, `["w", k, v]`.
 *
 * Unlike Crucible's own `history.jsonl`, `index` and `time` may be missing:
 * indices are always assigned in file order (a source's own indices, dense or
 * not, are not kept), missing times are synthesized from file order and the
 * import says the real-time order is unknown. `process` may be missing too
 * (paired by adjacency, see `builder.ts`), and `f` when the value is a
 * transaction. A `key` field, a string or number, becomes the op's key.
 *
 * Hardening is that of every reader: integers beyond ±(2^53 − 1) and values
 * nested deeper than 100 levels are refused, with the op's file:line.
 */
import { UsageError } from "../../errors/index.js";
import type { Op, OpType, ProcessId } from "../op.js";
import {
  findUnsafeJsonInteger,
  NESTING_DEPTH_MAX,
  nestsDeeperThan,
  stripBom,
  unsafeIntegerMessage,
} from "../values.js";
import { firstFreeProcess, HistoryBuilder, type ImportEvent } from "./builder.js";
import { setOwn } from "./edn.js";
import { looksLikeTransaction } from "./jepsen-edn.js";

const OP_TYPES = new Set(["invoke", "ok", "fail", "info"]);
const KNOWN_FIELDS = new Set(["type", "f", "value", "process", "time", "index", "key", "error"]);

export interface ParsedJepsenJson {
  ops: Op[];
  /** False when some client op had no `time`. */
  timesKnown: boolean;
}

/** Parse a Jepsen JSON history (an array of ops, or one op per line). `file` is used in error messages. */
export function parseJepsenJson(text: string, file: string): ParsedJepsenJson {
  const body = stripBom(text);
  const items = body.trimStart().startsWith("[") ? arrayItems(body, file) : lineItems(body, file);
  const events = items.map(({ value, line }) => ({ event: toEvent(value, `${file}:${line}`), line }));
  const builder = new HistoryBuilder(file, firstFreeProcess(events.map((e) => e.event)));
  for (const { event, line } of events) builder.add(event, line);
  return { ops: builder.ops, timesKnown: builder.timesKnown };
}

interface Item {
  value: unknown;
  line: number;
}

function checked(json: string, where: string): unknown {
  const unsafe = findUnsafeJsonInteger(json);
  if (unsafe !== undefined) throw new UsageError(unsafeIntegerMessage(unsafe), where);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new UsageError(`not valid JSON (${(error as Error).message}); expected a Jepsen op object`, where);
  }
  if (nestsDeeperThan(value))
    throw new UsageError(
      `a value nests deeper than ${NESTING_DEPTH_MAX} levels; expected flatter data`,
      where,
    );
  return value;
}

/** The elements of a top-level JSON array, each with the line it starts on. */
function arrayItems(text: string, file: string): Item[] {
  const spans = topLevelSpans(text, file);
  return spans.map(({ start, end, line }) => ({
    value: checked(text.slice(start, end), `${file}:${line}`),
    line,
  }));
}

/**
 * Split `[ a, b, ... ]` into its elements' text spans without parsing them,
 * so each op can be named by its line. Strings are skipped with their escapes;
 * anything after the closing bracket other than blanks is an error.
 */
function topLevelSpans(text: string, file: string): { start: number; end: number; line: number }[] {
  const spans: { start: number; end: number; line: number }[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let start = -1;
  let startLine = 0;
  let closed = false;
  // Char codes, not regexes: this loop sees every byte of a file that may hold millions of ops.
  const isBlank = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) line++;
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (closed) {
      if (!isBlank(c)) throw new UsageError("text after the closing ] of the op array", `${file}:${line}`);
      continue;
    }
    if (c === 0x22) inString = true;
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth === 2 && start < 0) {
        start = i;
        startLine = line;
      }
      continue;
    }
    if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
      if (depth === 1 && start >= 0) {
        spans.push({ start, end: i + 1, line: startLine });
        start = -1;
      } else if (depth === 0) closed = true;
      else if (depth < 0) throw new UsageError(`unbalanced ${text[i]}`, `${file}:${line}`);
      continue;
    }
    if (depth === 1 && !isBlank(c) && c !== 0x2c /* , */) {
      throw new UsageError(
        `expected an op object {"type": ...} inside the array, found ${text[i]}`,
        `${file}:${line}`,
      );
    }
    if (depth === 0 && !isBlank(c))
      throw new UsageError("expected a JSON array [ ... ] of ops", `${file}:${line}`);
  }
  if (!closed) throw new UsageError("the op array is not closed; expected ] at the end", `${file}:${line}`);
  return spans;
}

function lineItems(text: string, file: string): Item[] {
  const items: Item[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    items.push({ value: checked(raw, `${file}:${i + 1}`), line: i + 1 });
  }
  return items;
}

function toEvent(value: unknown, where: string): ImportEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError('expected an op object {"type": "invoke", "f": ..., "process": ...}', where);
  const op = value as Record<string, unknown>;
  if (typeof op.type !== "string" || !OP_TYPES.has(op.type))
    throw new UsageError('expected "type", one of "invoke" "ok" "fail" "info"', where);
  let f = op.f;
  if (f === undefined && looksLikeTransaction(op.value)) f = "txn";
  if (typeof f !== "string") throw new UsageError('expected "f", a string such as "txn" or "read"', where);
  let process: ProcessId | undefined;
  if (Number.isSafeInteger(op.process)) process = op.process as number;
  else if (op.process === "nemesis") process = "nemesis";
  else if (op.process !== undefined && op.process !== null)
    throw new UsageError('expected "process", an integer or "nemesis" (or none)', where);
  if (op.time !== undefined && op.time !== null && (typeof op.time !== "number" || !Number.isFinite(op.time)))
    throw new UsageError('expected "time", a number of nanoseconds', where);
  const event: ImportEvent = { type: op.type as OpType, process, f, value: op.value ?? null };
  if (typeof op.time === "number") event.time = op.time;
  if (op.key !== undefined && op.key !== null) {
    if (typeof op.key !== "string" && typeof op.key !== "number")
      throw new UsageError('expected "key", a string or number', where);
    event.key = op.key;
  }
  if (op.error !== undefined && op.error !== null)
    event.error = typeof op.error === "string" ? op.error : JSON.stringify(op.error);
  const extra: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(op)) if (!KNOWN_FIELDS.has(name)) setOwn(extra, name, v);
  if (Object.keys(extra).length > 0) event.extra = extra;
  return event;
}
