/**
 * Reading `history.jsonl` back, streaming.
 *
 * A runner killed mid-write leaves a torn last line; that is expected and is
 * reported as a warning, not an error. A malformed line anywhere else is bad
 * input: a `UsageError` naming file:line and what was expected.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { describeError, UsageError } from "../errors/index.js";
import type { Op } from "./op.js";
import { scanEnd, scanOp } from "./scan.js";
import { findUnsafeJsonInteger, NESTING_DEPTH_MAX, nestsDeeperThan, unsafeIntegerMessage } from "./values.js";

const OP_TYPES = new Set(["invoke", "ok", "fail", "info"]);

/** Check one parsed line is an op; returns what is wrong, or undefined. */
export function validateOp(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "expected a JSON object (an op)";
  const op = value as Record<string, unknown>;
  if (!Number.isSafeInteger(op.index) || (op.index as number) < 0)
    return "expected `index`, a non-negative integer";
  if (typeof op.time !== "number" || !Number.isFinite(op.time)) return "expected `time`, a number (ns)";
  if (typeof op.type !== "string" || !OP_TYPES.has(op.type))
    return "expected `type`, one of invoke|ok|fail|info";
  if (!(Number.isSafeInteger(op.process) || op.process === "nemesis"))
    return 'expected `process`, an integer or "nemesis"';
  if (typeof op.f !== "string") return "expected `f`, a string";
  return undefined;
}

export interface ReadHistoryResult {
  ops: Op[];
  /** Things a person should know: a torn last line, ... */
  warnings: string[];
}

export interface StreamHistoryOptions {
  /** Called once per warning as it is found. */
  onWarning?: (message: string) => void;
  /**
   * Check what a checker needs, reporting a violation as file:line: each
   * process alternates invocation and completion, a completion has its
   * invocation's `f`, and `index` counts 0, 1, 2, ... line by line (no
   * duplicates, no gaps). Default false: the runner's own histories are
   * paired and dense by construction.
   */
  validatePairs?: boolean;
}

/**
 * Stream ops from a history file. Throws `UsageError` (file:line) on a
 * malformed line that is not the last one; a malformed last line that lacks
 * its newline is a torn write and only warns.
 */
export async function* streamHistory(path: string, options: StreamHistoryOptions = {}): AsyncGenerator<Op> {
  for await (const batch of streamHistoryBatches(path, options)) yield* batch;
}

/** Bounds on the read size: the file's own size in between. */
const CHUNK_BYTES_MIN = 16 * 1024;
const CHUNK_BYTES_MAX = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * The file's bytes a chunk at a time, each chunk whole lines ending in `\n` (the last may lack it),
 * never decoded: the scanner reads ops from the bytes, and only a line it leaves to `JSON.parse` is
 * decoded (UTF-8). A chunk is a view of one reused buffer, valid until the next is asked for. Line
 * breaks are made `\n` first, as `readline` splits (`\r\n` and a lone `\r` end a line too), so line
 * numbers stay what they were; a file without `\r` (the journal's) is never copied for that.
 */
export async function* streamChunks(path: string): AsyncGenerator<Buffer> {
  // Big reads for big files; a small file gets a small buffer (a megabyte per file slowed many small reads).
  let chunkBytes = CHUNK_BYTES_MIN;
  try {
    chunkBytes = Math.min(CHUNK_BYTES_MAX, Math.max(CHUNK_BYTES_MIN, statSync(path).size + 1));
  } catch {
    // Not stat-able (a pipe, gone): opening it below reports what is wrong.
  }
  const handle = await open(path, "r");
  try {
    let buffer = Buffer.allocUnsafe(chunkBytes);
    /** Bytes of `buffer` read and not yet yielded: the start of a line the last read cut short. */
    let filled = 0;
    for (;;) {
      // A line longer than the buffer: grow it (a line is held whole, as a string of it would be).
      if (filled === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      const view = buffer.subarray(0, filled);
      let consumed: number;
      if (view.indexOf(CR) < 0) {
        consumed = view.lastIndexOf(LF) + 1;
        if (consumed > 0) yield view.subarray(0, consumed);
      } else {
        // A chunk ending in "\r" may be half of a "\r\n": that "\r" waits for the next chunk.
        const limit = view[filled - 1] === CR ? filled - 1 : filled;
        const region = view.subarray(0, limit);
        consumed = Math.max(region.lastIndexOf(LF), region.lastIndexOf(CR)) + 1;
        if (consumed > 0) yield normalizeLineBreaks(region.subarray(0, consumed));
      }
      if (consumed > 0) {
        buffer.copyWithin(0, consumed, filled);
        filled -= consumed;
      }
    }
    if (filled > 0) {
      const rest = buffer.subarray(0, filled);
      yield rest.indexOf(CR) >= 0 ? normalizeLineBreaks(rest) : rest;
    }
  } finally {
    await handle.close();
  }
}

/** `\r\n` and a lone `\r` made `\n`, in a copy (only files written elsewhere have them). */
export function normalizeLineBreaks(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== CR) out[length++] = c;
    else {
      out[length++] = LF;
      if (bytes[i + 1] === LF) i++;
    }
  }
  return out.subarray(0, length);
}

/** A UTF-8 byte order mark at the start of the file. */
function startsWithBom(bytes: Buffer): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * `streamHistory` a chunk of ops at a time, without a promise per op. Each chunk's ops are pushed onto
 * `into` when given (what `readHistoryFile` does: no batch arrays to copy from) and it is yielded;
 * otherwise onto a fresh array per chunk.
 */
async function* streamHistoryBatches(
  path: string,
  options: StreamHistoryOptions,
  into?: Op[],
): AsyncGenerator<Op[]> {
  let lineNumber = 0;
  // Hold back one bad line: only when nothing follows it do we know it is the torn tail.
  let pendingBad: { lineNumber: number; message: string } | undefined;
  const openInvokes = new Map<Op["process"], OpenInvoke>();
  let expectedIndex = 0;
  for await (const bytes of streamChunks(path)) {
    const batch: Op[] = into ?? [];
    const pushedBefore = batch.length;
    const length = bytes.length;
    for (let start = 0; start < length; ) {
      let lineStart = start;
      lineNumber++;
      // A byte order mark is not part of the first op; left in, it shows as an invisible character in messages.
      if (lineNumber === 1 && startsWithBom(bytes)) lineStart = 3;
      if (pendingBad) throw new UsageError(pendingBad.message, `${path}:${pendingBad.lineNumber}`);
      // The journal's own lines take the scanner, in place, and it finds where the line ends; any other
      // shape is decoded and gets JSON.parse and every check.
      let op = scanOp(bytes, lineStart, length);
      if (op !== undefined) start = scanEnd() + 1;
      else {
        const newline = bytes.indexOf(LF, lineStart);
        const end = newline < 0 ? length : newline;
        start = end + 1;
        const line = bytes.toString("utf8", lineStart, end);
        if (line.trim() === "") continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch (error) {
          pendingBad = {
            lineNumber,
            message: `not valid JSON (${describeError(error)}); expected one op per line`,
          };
          continue;
        }
        const where = `${path}:${lineNumber}`;
        const unsafe = findUnsafeJsonInteger(line);
        if (unsafe !== undefined) throw new UsageError(unsafeIntegerMessage(unsafe), where);
        if (nestsDeeperThan(parsed))
          throw new UsageError(
            `a value nests deeper than ${NESTING_DEPTH_MAX} levels; expected flatter data`,
            where,
          );
        const problem = validateOp(parsed);
        if (problem) throw new UsageError(problem, where);
        op = parsed as Op;
      }
      if (options.validatePairs) {
        checkPairing(op, lineNumber, openInvokes, path);
        if (op.index !== expectedIndex) {
          throw new UsageError(
            `\`index\` is ${op.index}; expected ${expectedIndex} (indices count 0, 1, 2, ... in file order, without duplicates or gaps)`,
            `${path}:${lineNumber}`,
          );
        }
        expectedIndex++;
      }
      batch.push(op);
    }
    if (batch.length > pushedBefore) yield batch;
  }
  if (pendingBad) {
    // Torn only if the write was cut short: a complete (newline-ended) bad line is bad input.
    if (endsWithNewline(path)) throw new UsageError(pendingBad.message, `${path}:${pendingBad.lineNumber}`);
    const message = `${path}:${pendingBad.lineNumber}: torn last line ignored (a runner killed while writing leaves one)`;
    options.onWarning?.(message);
  }
}

interface OpenInvoke {
  line: number;
  f: string;
}

/** A process alternates invocation and completion, with one `f`; the nemesis is one process too. */
function checkPairing(
  op: Op,
  lineNumber: number,
  openInvokes: Map<Op["process"], OpenInvoke>,
  path: string,
): void {
  const open = openInvokes.get(op.process);
  const openLine = open?.line;
  if (op.type === "invoke") {
    if (openLine !== undefined) {
      throw new UsageError(
        `process ${String(op.process)} invokes again while its operation from line ${openLine} is still open; expected a completion (ok, fail or info) first`,
        `${path}:${lineNumber}`,
      );
    }
    openInvokes.set(op.process, { line: lineNumber, f: op.f });
  } else {
    if (open === undefined) {
      throw new UsageError(
        `a completion (${op.type}) for process ${String(op.process)}, which has no open invocation; expected its invoke first`,
        `${path}:${lineNumber}`,
      );
    }
    if (open.f !== op.f) {
      throw new UsageError(
        `process ${String(op.process)} completes ${JSON.stringify(op.f)} but invoked ${JSON.stringify(open.f)} on line ${open.line}; expected the invocation's f`,
        `${path}:${lineNumber}`,
      );
    }
    openInvokes.delete(op.process);
  }
}

function endsWithNewline(path: string): boolean {
  const { size } = statSync(path);
  if (size === 0) return false;
  const fd = openSync(path, "r");
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** Read a whole history file into memory. */
export async function readHistoryFile(
  path: string,
  options: Pick<StreamHistoryOptions, "validatePairs"> = {},
): Promise<ReadHistoryResult> {
  const ops: Op[] = [];
  const warnings: string[] = [];
  // The ops go straight onto `ops`; the loop only drives the reading.
  for await (const _ of streamHistoryBatches(
    path,
    { ...options, onWarning: (message) => warnings.push(message) },
    ops,
  ));
  return { ops, warnings };
}
