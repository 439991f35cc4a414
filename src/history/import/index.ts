/**
 * Importers: turn third-party histories into Crucible `Op[]` so the same
 * checkers judge them. Formats:
 * - `jsonl`: Crucible's own `history.jsonl` (one op per line);
 * - `edn`: Jepsen EDN (one map per line, a vector or a list of maps, `;`
 *   comments), `:key` fields and `[k v]` independent tuples;
 * - `jepsen-json`: Jepsen's JSON export (an array of ops, or one per line,
 *   `index` and `time` optional);
 * - `porcupine-etcd`: Jepsen etcd log lines from Porcupine's test data;
 * - `porcupine-kv`: Porcupine's kv EDN lines (read as `edn`).
 * `auto` looks at the start of the file's first non-blank line, read from a
 * bounded prefix (a history can be bigger than a string may be). JSONL and
 * Porcupine logs are streamed line by line; EDN is read whole, so an EDN file
 * larger than a string can hold is refused with its size. Every parse error
 * is a `UsageError` naming file:line and what was expected.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describeError, UsageError } from "../../errors/index.js";
import type { Op } from "../op.js";
import { normalizeLineBreaks, readHistoryFile, streamChunks } from "../reader.js";
import { type EdnImportOptions, parseJepsenEdnHistory } from "./jepsen-edn.js";
import { parseJepsenJson } from "./jepsen-json.js";
import { PorcupineEtcdParser } from "./porcupine-etcd.js";

export { EdnError, EdnReader, EdnSet, EdnSymbol, type EdnValue, Keyword, parseEdn, toPlain } from "./edn.js";
export { looksLikeTransaction, parseJepsenEdn, parseJepsenEdnHistory } from "./jepsen-edn.js";
export { parseJepsenJson } from "./jepsen-json.js";
export { parsePorcupineEtcd } from "./porcupine-etcd.js";

export const historyFormats = ["jsonl", "edn", "jepsen-json", "porcupine-etcd", "porcupine-kv"] as const;
export type HistoryFormat = (typeof historyFormats)[number];

export interface ImportOptions extends EdnImportOptions {
  /** Default `auto`. */
  format?: HistoryFormat | "auto";
}

export interface ImportedHistory {
  ops: Op[];
  format: HistoryFormat;
  /** Things a person should know (a torn last line, ...). */
  warnings: string[];
  /** The model these histories are usually checked with, when the format says (etcd → cas-register, kv → porcupine-kv). */
  suggestedModel?: string;
  /**
   * False when some client op had no time of its own and was given one from
   * file order: the real-time order of the ops is then unknown, and a checker
   * must not draw real-time edges from the times (a warning says so too).
   */
  timesKnown: boolean;
}

/** The warning an import without times carries. */
export const NO_TIMES_WARNING =
  "some operations have no time: times were assigned from file order, so the real-time order is unknown (no real-time edges are drawn from them)";

/**
 * Guess a format from the start of a file (its first 64 KiB): skips blanks
 * and `;` comment lines (only EDN has them), looks inside a leading `[` to
 * tell a JSON op array from an EDN vector, and inside a leading `{"` op to
 * tell Crucible's JSONL (with `index` and `time`) from Jepsen's JSON (without).
 */
export function detectFormatFromPrefix(prefix: string): HistoryFormat | undefined {
  let i = prefix.charCodeAt(0) === 0xfeff ? 1 : 0;
  const skipBlanks = (): void => {
    for (;;) {
      while (i < prefix.length && /[\s,]/.test(prefix[i]!)) i++;
      if (prefix[i] !== ";") return;
      const newline = prefix.indexOf("\n", i);
      i = newline < 0 ? prefix.length : newline + 1;
      commented = true;
    }
  };
  let commented = false;
  skipBlanks();
  const c = prefix[i];
  if (c === undefined) return commented ? "edn" : undefined;
  if (c === "(") return "edn";
  if (c === "[") {
    i++;
    skipBlanks();
    if (prefix[i] === "{") {
      i++;
      while (i < prefix.length && /\s/.test(prefix[i]!)) i++;
      if (prefix[i] === '"') return commented ? undefined : "jepsen-json";
    }
    return "edn";
  }
  const newline = prefix.indexOf("\n", i);
  const line = prefix.slice(i, newline < 0 ? prefix.length : newline);
  const format = detectFormat(line);
  if (format === "jsonl" && !commented) {
    // Crucible's own lines carry index and time; Jepsen's JSON lines need not.
    try {
      const first = JSON.parse(line) as Record<string, unknown>;
      if (typeof first.index !== "number" || typeof first.time !== "number") return "jepsen-json";
    } catch {
      // A line longer than the prefix (or broken): the JSONL reader names the problem.
    }
  }
  if (commented && format !== "edn" && format !== "porcupine-kv") return undefined;
  return format;
}

function readPrefix(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UsageError(`cannot read the file: ${describeError(error)}`, path);
  }
  try {
    const buffer = Buffer.alloc(DETECT_PREFIX_BYTES_MAX);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Guess a format from a file's first non-blank line; undefined when nothing fits. */
export function detectFormat(firstLine: string): HistoryFormat | undefined {
  const line = firstLine.trim();
  if (/^INFO\s+jepsen\.util\s+-/.test(line)) return "porcupine-etcd";
  if (line.startsWith("{")) {
    if (/^\{\s*"/.test(line)) return "jsonl";
    if (/^\{\s*:/.test(line)) return /:f\s+:(get|put|append)\b/.test(line) ? "porcupine-kv" : "edn";
  }
  if (line.startsWith("[") || line.startsWith("#") || line.startsWith("(") || line.startsWith(";"))
    return "edn";
  return undefined;
}

/** Bytes of the first non-blank line that format detection looks at, at most. */
export const DETECT_PREFIX_BYTES_MAX = 64 * 1024;

export interface FirstLine {
  /** The line's start (at most {@link DETECT_PREFIX_BYTES_MAX} bytes), BOM removed. */
  text: string;
  /** 1-based. */
  lineNumber: number;
  /** Bytes read from the file to find it. */
  bytesRead: number;
}

const isBlankByte = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * The start of a file's first non-blank line, reading only what it needs:
 * blank bytes up to it (streamed, in chunks), then at most
 * {@link DETECT_PREFIX_BYTES_MAX} bytes of the line. Undefined for a file
 * with nothing but blanks (and a byte order mark).
 */
export function readFirstLine(path: string): FirstLine | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UsageError(`cannot read the file: ${describeError(error)}`, path);
  }
  try {
    const chunk = Buffer.alloc(DETECT_PREFIX_BYTES_MAX);
    let bytesRead = 0;
    let lineNumber = 1;
    let atStart = true;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return undefined;
      bytesRead += n;
      let i = 0;
      // A UTF-8 byte order mark at the very start is not content.
      if (atStart && n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
      atStart = false;
      for (; i < n; i++) {
        const b = chunk[i]!;
        if (b === 0x0a) lineNumber++;
        else if (!isBlankByte(b)) break;
      }
      if (i === n) continue;
      // Found the line's first byte: collect up to the bound or the newline.
      const line = Buffer.alloc(DETECT_PREFIX_BYTES_MAX);
      let length = Math.min(n - i, line.length);
      chunk.copy(line, 0, i, i + length);
      while (length < line.length && !line.subarray(0, length).includes(0x0a)) {
        const more = readSync(fd, line, length, line.length - length, null);
        if (more === 0) break;
        bytesRead += more;
        length += more;
      }
      let text = line.subarray(0, length).toString("utf8");
      const newline = text.indexOf("\n");
      if (newline >= 0) text = text.slice(0, newline);
      return { text, lineNumber, bytesRead };
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read the file: ${describeError(error)}`, path);
  } finally {
    closeSync(fd);
  }
}

/** Files up to this size are read whole, in one synchronous call. */
const SMALL_FILE_BYTES_MAX = 1024 * 1024;

/** A regular file of at most {@link SMALL_FILE_BYTES_MAX} bytes, read whole; undefined for anything else. */
function readSmallFile(path: string): Buffer | undefined {
  const fd = openSync(path, "r");
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > SMALL_FILE_BYTES_MAX) return undefined;
    // One byte more than its size, to see it end (it may have grown since).
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.subarray(0, length);
      length += n;
      if (length === buffer.length) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}

/** Read and import one history file. */
export async function importHistoryFile(path: string, options: ImportOptions = {}): Promise<ImportedHistory> {
  let format = options.format ?? "auto";
  if (format === "auto") {
    const first = readFirstLine(path);
    if (first === undefined)
      return { ops: [], format: "jsonl", warnings: [`${path}: empty file`], timesKnown: true };
    // Look past comments and inside a leading bracket; a first line beyond the prefix decides alone.
    const detected = detectFormatFromPrefix(readPrefix(path)) ?? detectFormat(first.text);
    if (!detected) {
      throw new UsageError(
        "cannot tell the format from the first line; expected a JSON op or array of ops, an EDN map, vector or list, or a Jepsen log line",
        `${path}:${first.lineNumber}`,
        { setting: { name: "format", expected: historyFormats } },
      );
    }
    format = detected;
  }
  if (format === "jsonl") {
    // A checker needs paired ops: say where a file breaks that, as the other importers do.
    const { ops, warnings } = await readHistoryFile(path, { validatePairs: true });
    return { ops, warnings, format, timesKnown: true };
  }
  if (format === "porcupine-etcd") {
    const parser = new PorcupineEtcdParser(path);
    // Lines straight from the file's bytes (line breaks made `\n`, as readline splits): the parser reads
    // the usual line without decoding it. A small file is read in one synchronous call (an asynchronous
    // open and read cost more than the parse of a log of a few hundred lines); a big one is streamed.
    let lineNumber = 0;
    const lines = (chunk: Buffer): void => {
      let start = lineNumber === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
      while (start < chunk.length) {
        const newline = chunk.indexOf(0x0a, start);
        const end = newline < 0 ? chunk.length : newline;
        parser.lineBytes(chunk, start, end, ++lineNumber);
        start = end + 1;
      }
    };
    try {
      const whole = readSmallFile(path);
      if (whole !== undefined) lines(whole.indexOf(0x0d) < 0 ? whole : normalizeLineBreaks(whole));
      else for await (const chunk of streamChunks(path)) lines(chunk);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`cannot read the file: ${describeError(error)}`, path);
    }
    // Porcupine's etcd logs have no times: their line order is the real-time order they were logged in.
    return { ops: parser.ops, format, warnings: [], suggestedModel: "cas-register", timesKnown: false };
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_STRING_TOO_LONG" || error instanceof RangeError) {
      throw new UsageError(
        "too big to read as EDN in one piece (EDN is read whole; at most about 512 MB); convert it to JSONL, which is streamed",
        path,
      );
    }
    throw new UsageError(`cannot read the file: ${describeError(error)}`, path);
  }
  const { ops, timesKnown } =
    format === "jepsen-json" ? parseJepsenJson(text, path) : parseJepsenEdnHistory(text, path, options);
  const warnings = timesKnown || format === "porcupine-kv" ? [] : [NO_TIMES_WARNING];
  return format === "porcupine-kv"
    ? { ops, format, warnings, suggestedModel: "porcupine-kv", timesKnown }
    : { ops, format, warnings, timesKnown };
}
