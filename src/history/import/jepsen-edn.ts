/**
 * Jepsen EDN histories: one op map per line (`{:type :invoke, :f :read,
 * :value nil, :process 0, :time 123}`), or a vector of them (possibly spread
 * over many lines), or Jepsen's `#jepsen.history.Op{...}` records. Porcupine's
 * kv test data (`{:process 9, :type :invoke, :f :append, :key "0", :value "x"}`)
 * is this format too.
 *
 * Also read: a list `( ... )` of op maps (Knossos histories), `;` comments
 * anywhere, ops without `:index` (indices are always assigned in file order),
 * without `:time` (times synthesized from file order, and the import says the
 * real-time order is unknown), without `:process` (paired by adjacency, see
 * `builder.ts`) and without `:f` when the value is a transaction (a vector of
 * `[:append k v]` / `[:r k v]` / `[:w k v]` micro-ops: `:f` is then `txn`).
 *
 * Scalars: keywords and symbols become their names (`:append` → `"append"`,
 * `:x` → `"x"`), characters one-letter strings, `nil` null; map keys that are
 * not strings become their text (`{0 10}` → `{"0": 10}`), sets arrays. A key
 * (`:key`, or the first of an independent tuple) must come out a string or a
 * number; `true`/`false` keys become `"true"`/`"false"`.
 *
 * Keys: a `:key` field becomes the op's key. Jepsen's independent workloads
 * instead wrap values in `[k v]` tuples; a history is read that way when every
 * client op's value is a 2-element vector (a plain register history has `nil`
 * read invocations, so it never looks like that), or when `independent: true`.
 */
import { UsageError } from "../../errors/index.js";
import type { Key, Op, OpType, ProcessId } from "../op.js";
import { stripBom } from "../values.js";
import { firstFreeProcess, HistoryBuilder, type ImportEvent } from "./builder.js";
import { EdnError, EdnReader, type EdnValue, Keyword, setOwn, toPlain } from "./edn.js";

const OP_TYPES = new Set(["invoke", "ok", "fail", "info"]);
const KNOWN_FIELDS = new Set(["type", "f", "value", "process", "time", "index", "key", "error", "node"]);

export interface EdnImportOptions {
  /** Read `[k v]` values as independent tuples: true, false, or undefined to detect. */
  independent?: boolean;
}

/** Parse a Jepsen EDN history text. `file` is used in error messages. */
export function parseJepsenEdn(text: string, file: string, options: EdnImportOptions = {}): Op[] {
  return parseJepsenEdnHistory(text, file, options).ops;
}

/** {@link parseJepsenEdn}, also saying whether every client op carried its own `:time`. */
export function parseJepsenEdnHistory(
  text: string,
  file: string,
  options: EdnImportOptions = {},
): { ops: Op[]; timesKnown: boolean } {
  const reader = new EdnReader(stripBom(text));
  const maps: { map: Map<EdnValue, EdnValue>; line: number }[] = [];
  try {
    while (reader.hasMore()) {
      const line = reader.line;
      const form = reader.read();
      if (form instanceof Map) maps.push({ map: form, line });
      else if (Array.isArray(form)) {
        // A vector of ops: each element's line is not tracked separately; use the vector's line when wrong.
        for (const item of form) {
          if (!(item instanceof Map))
            throw new UsageError(
              "expected an op map {:type ... :f ...} inside the vector",
              `${file}:${line}`,
            );
          maps.push({ map: item, line });
        }
      } else {
        throw new UsageError(
          "expected an op map {:type :invoke, :f ..., :process ...} or a vector of them",
          `${file}:${line}`,
        );
      }
    }
  } catch (error) {
    if (error instanceof EdnError)
      throw new UsageError(`malformed EDN: ${error.message}`, `${file}:${error.line}`);
    throw error;
  }
  const events = maps.map(({ map, line }) => ({ event: toEvent(map, `${file}:${line}`), line }));
  const independent = options.independent ?? looksIndependent(events.map((e) => e.event));
  const builder = new HistoryBuilder(file, firstFreeProcess(events.map((e) => e.event)));
  for (const { event, line } of events) {
    if (independent && event.process !== "nemesis") {
      if (!Array.isArray(event.value) || event.value.length !== 2) {
        throw new UsageError("expected an independent [key value] tuple as :value", `${file}:${line}`);
      }
      const [key, value] = event.value as [unknown, unknown];
      const plainKey = asKey(key);
      if (plainKey === undefined) {
        throw new UsageError(
          "expected a scalar key (string, number, keyword, symbol, boolean) in the [key value] tuple",
          `${file}:${line}`,
        );
      }
      event.key = plainKey;
      event.value = value;
    }
    builder.add(event, line);
  }
  return { ops: builder.ops, timesKnown: builder.timesKnown };
}

/** A plain scalar as an op key; undefined for what cannot be one (null, a collection). */
function asKey(plain: unknown): Key | undefined {
  if (typeof plain === "string" || typeof plain === "number") return plain;
  if (typeof plain === "boolean") return String(plain);
  return undefined;
}

const MICRO_OP_FUNCTIONS = new Set(["append", "r", "w"]);

/** A transaction value: a non-empty vector of `[f k v]` micro-ops with f one of append, r, w. */
export function looksLikeTransaction(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (micro) =>
        Array.isArray(micro) &&
        micro.length === 3 &&
        typeof micro[0] === "string" &&
        MICRO_OP_FUNCTIONS.has(micro[0]),
    )
  );
}

function looksIndependent(events: readonly ImportEvent[]): boolean {
  let client = 0;
  for (const event of events) {
    if (event.process === "nemesis") continue;
    if (event.key !== undefined) return false;
    if (event.type === "invoke" || event.type === "ok") {
      if (!Array.isArray(event.value) || event.value.length !== 2) return false;
      // A transaction of two micro-ops is a 2-element vector too: never a [k v] tuple.
      if (event.f === "txn" || looksLikeTransaction(event.value)) return false;
      client++;
    }
  }
  return client > 0;
}

function field(map: Map<EdnValue, EdnValue>, name: string): EdnValue | undefined {
  for (const [k, v] of map) if (k instanceof Keyword && k.name === name) return v;
  return undefined;
}

function toEvent(map: Map<EdnValue, EdnValue>, where: string): ImportEvent {
  const type = field(map, "type");
  if (!(type instanceof Keyword) || !OP_TYPES.has(type.name)) {
    throw new UsageError("expected :type, one of :invoke :ok :fail :info", where);
  }
  const value = toPlain(field(map, "value") ?? null);
  let f = field(map, "f");
  // Elle's hand-written histories leave out :f on transactions.
  if (f === undefined && looksLikeTransaction(value)) f = "txn";
  if (!(f instanceof Keyword || typeof f === "string"))
    throw new UsageError("expected :f, a keyword such as :read", where);
  const rawProcess = field(map, "process");
  let process: ProcessId | undefined;
  if (typeof rawProcess === "number" && Number.isInteger(rawProcess)) process = rawProcess;
  else if (rawProcess instanceof Keyword && rawProcess.name === "nemesis") process = "nemesis";
  else if (rawProcess !== undefined && rawProcess !== null)
    throw new UsageError("expected :process, an integer or :nemesis (or no :process at all)", where);
  const time = field(map, "time");
  if (time !== undefined && time !== null && typeof time !== "number")
    throw new UsageError("expected :time, a number of nanoseconds", where);
  const key = field(map, "key");
  const event: ImportEvent = {
    type: type.name as OpType,
    process,
    f: f instanceof Keyword ? f.name : f,
    value,
  };
  if (typeof time === "number") event.time = time;
  if (key !== undefined && key !== null) {
    const plain = asKey(toPlain(key));
    if (plain === undefined)
      throw new UsageError("expected :key, a scalar (string, number, keyword, symbol, boolean)", where);
    event.key = plain;
  }
  const error = field(map, "error");
  if (error !== undefined && error !== null) {
    const plain = toPlain(error);
    event.error = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of map) {
    const name = k instanceof Keyword ? k.name : String(toPlain(k));
    if (!KNOWN_FIELDS.has(name)) setOwn(extra, name, toPlain(v));
  }
  const node = field(map, "node");
  if (node !== undefined && node !== null) extra.node = String(toPlain(node));
  if (Object.keys(extra).length > 0) event.extra = extra;
  return event;
}
