/**
 * The interval log: who held what, from when to when, written by the
 * processes that hold it.
 *
 * A lock or semaphore test cannot learn who held the lock from client
 * completions alone: the holder is a child process started by a wrapper the
 * test does not control (`etcdctl lock`, a leader-election sidecar). So the
 * child itself records its hold: one JSON object per line, appended to a file
 * shared by every holder.
 *
 * ```
 * {"holder":"a2","pid":4711,"start":"812345678901234","token":"57"}
 * {"holder":"a2","pid":4711,"start":"812345678901234","end":"812348678901234","token":"57"}
 * ```
 *
 * - A **start record** (no `end`) is written before the child does its work;
 *   an **end record** (the same `holder`, `pid` and `start`, plus `end`) after
 *   it. A child killed mid-hold leaves only its start record: an **open**
 *   interval, whose end the checkers take from the kill they know of, or
 *   treat as lasting to the end of the run.
 * - Times are nanoseconds of `CLOCK_MONOTONIC`, the clock every process on
 *   the host shares (`date +%s%N` is not it; `cat /proc/uptime` is too
 *   coarse; Node's `process.hrtime.bigint()`, Go's `time.Now()` monotonic
 *   reading via `clock_gettime(CLOCK_MONOTONIC)`, and `crucible interval`
 *   use it). They are written as decimal strings or integers: a host up for
 *   more than 104 days has monotonic times above 2^53, which a JSON number
 *   cannot hold exactly, so the reader parses them as BigInt.
 * - Optional: `slot` (which of N permits), `office` (which lock: several locks
 *   in one log), `token` (the fencing token the holder was given, a string or
 *   integer), `key` (what an exactly-once job ran for: a cron tick, a job id).
 *   Other fields are kept.
 * - Each record is written with one `write(2)` on a file opened with
 *   `O_APPEND`, so records from concurrent holders never interleave inside a
 *   line. A record longer than {@link INTERVAL_RECORD_MAX_BYTES} is refused:
 *   beyond `PIPE_BUF` one write is no longer one atomic append everywhere.
 *
 * The runner merges the log with the history by shifting every time by its
 * own monotonic origin ({@link toRunTime}), so intervals and ops share one
 * time axis (nanoseconds since the run started).
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { UsageError } from "../errors/index.js";

/** One line of the interval log as written. */
export interface IntervalRecord {
  readonly holder: string;
  readonly pid: number;
  /** `CLOCK_MONOTONIC` nanoseconds when the hold began. */
  readonly start: bigint;
  /** `CLOCK_MONOTONIC` nanoseconds when it ended; absent on a start record. */
  readonly end?: bigint;
  readonly slot?: number;
  readonly office?: string;
  readonly token?: string | number;
  readonly key?: string | number;
  readonly [extra: string]: unknown;
}

/** A hold: a start record with its end record, if one was written. */
export interface Interval {
  readonly holder: string;
  readonly pid: number;
  /** Nanoseconds on the run's time axis (see {@link toRunTime}). */
  readonly start: number;
  /** Nanoseconds on the run's time axis; `undefined` when the holder never wrote its end (killed mid-hold). */
  readonly end: number | undefined;
  readonly slot?: number;
  readonly office?: string;
  readonly token?: string | number;
  readonly key?: string | number;
  /** The 1-based line of the start record, for messages. */
  readonly line: number;
}

/** PIPE_BUF on Linux: the size up to which one write to an O_APPEND file is one indivisible append. */
export const INTERVAL_RECORD_MAX_BYTES = 4096;

const KNOWN_FIELDS = new Set(["holder", "pid", "start", "end", "slot", "office", "token", "key"]);

/** The monotonic clock the log uses, in nanoseconds (`CLOCK_MONOTONIC` on Linux). */
export function monotonicNowNs(): bigint {
  return process.hrtime.bigint();
}

/** The record as one line of JSON, times as decimal strings. */
export function formatIntervalRecord(record: IntervalRecord): string {
  const out: Record<string, unknown> = {
    holder: record.holder,
    pid: record.pid,
    start: String(record.start),
  };
  if (record.end !== undefined) out.end = String(record.end);
  for (const [name, value] of Object.entries(record)) {
    if (!KNOWN_FIELDS.has(name)) out[name] = value;
  }
  if (record.slot !== undefined) out.slot = record.slot;
  if (record.office !== undefined) out.office = record.office;
  if (record.token !== undefined) out.token = record.token;
  if (record.key !== undefined) out.key = record.key;
  return `${JSON.stringify(out)}\n`;
}

/**
 * Append one record with one `write(2)` on an `O_APPEND` descriptor. Throws
 * when the record is too long to be appended atomically, or when the kernel
 * took only part of it (then the line is torn and the reader will say so).
 */
export function appendIntervalRecord(path: string, record: IntervalRecord): void {
  const bytes = Buffer.from(formatIntervalRecord(record), "utf8");
  if (bytes.length > INTERVAL_RECORD_MAX_BYTES)
    throw new UsageError(
      `an interval record of ${bytes.length} bytes is longer than ${INTERVAL_RECORD_MAX_BYTES}; expected short fields (one record must fit one atomic append)`,
      path,
    );
  const fd = openSync(path, "a");
  try {
    const written = writeSync(fd, bytes, 0, bytes.length);
    if (written !== bytes.length)
      throw new Error(`${path}: short write (${written} of ${bytes.length} bytes) of an interval record`);
  } finally {
    closeSync(fd);
  }
}

/** A field holding monotonic nanoseconds: a decimal string, or an integer JSON number (exact only below 2^53). */
function parseTime(value: unknown, raw: string, name: string, where: string): bigint {
  if (typeof value === "string" && /^\d{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
    if (Number.isSafeInteger(value)) return BigInt(value);
    // The number lost digits in JSON.parse: take them from the text itself.
    const digits = new RegExp(`"${name}"\\s*:\\s*(\\d+)`).exec(raw)?.[1];
    if (digits !== undefined) return BigInt(digits);
  }
  throw new UsageError(
    `\`${name}\` is ${JSON.stringify(value) ?? String(value)}; expected CLOCK_MONOTONIC nanoseconds as a decimal string or a non-negative integer`,
    where,
  );
}

function optionalString(record: Record<string, unknown>, name: string, where: string): string | undefined {
  const value = record[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "")
    throw new UsageError(`\`${name}\` is ${JSON.stringify(value)}; expected a non-empty string`, where);
  return value;
}

function optionalScalar(
  record: Record<string, unknown>,
  name: string,
  where: string,
): string | number | undefined {
  const value = record[name];
  if (value === undefined) return undefined;
  if (typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value))) return value;
  throw new UsageError(`\`${name}\` is ${JSON.stringify(value)}; expected a string or a safe integer`, where);
}

/** One line of the log, validated. */
export function parseIntervalRecord(raw: string, where: string): IntervalRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError("not valid JSON; expected one interval record per line", where);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UsageError("expected an object `{ holder, pid, start, end? }`", where);
  const record = parsed as Record<string, unknown>;
  const holder = record.holder;
  if (typeof holder !== "string" || holder === "")
    throw new UsageError(`\`holder\` is ${JSON.stringify(holder)}; expected a non-empty string`, where);
  const pid = record.pid;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0)
    throw new UsageError(`\`pid\` is ${JSON.stringify(pid)}; expected a positive integer`, where);
  const start = parseTime(record.start, raw, "start", where);
  const end = record.end === undefined ? undefined : parseTime(record.end, raw, "end", where);
  if (end !== undefined && end < start)
    throw new UsageError(`\`end\` ${end} is before \`start\` ${start}; expected end >= start`, where);
  const slot = record.slot;
  if (slot !== undefined && (typeof slot !== "number" || !Number.isSafeInteger(slot) || slot < 0))
    throw new UsageError(`\`slot\` is ${JSON.stringify(slot)}; expected a non-negative integer`, where);
  const extras: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) if (!KNOWN_FIELDS.has(name)) extras[name] = value;
  const office = optionalString(record, "office", where);
  const token = optionalScalar(record, "token", where);
  const key = optionalScalar(record, "key", where);
  return {
    ...extras,
    holder,
    pid,
    start,
    ...(end === undefined ? {} : { end }),
    ...(slot === undefined ? {} : { slot }),
    ...(office === undefined ? {} : { office }),
    ...(token === undefined ? {} : { token }),
    ...(key === undefined ? {} : { key }),
  };
}

/** Nanoseconds since the run's origin, as a number (exact: a run lasts far less than 104 days). */
export function toRunTime(monotonicNs: bigint, originNs: bigint): number {
  return Number(monotonicNs - originNs);
}

export interface ReadIntervalLogOptions {
  /** The run's origin on the monotonic clock; times become nanoseconds since it. Default 0 (raw times). */
  readonly originNs?: bigint;
  /** Called for a torn last line (a holder killed while writing), which is skipped. */
  readonly onWarning?: (message: string) => void;
}

/**
 * Read a whole interval log and pair start and end records into intervals,
 * in order of their start records. Malformed lines are refused with
 * `file:line`; a torn last line (no newline after it) is skipped with a
 * warning; an end record without its start record, or a second end for one
 * start, is refused.
 */
export function readIntervalLog(path: string, options: ReadIntervalLogOptions = {}): Interval[] {
  const text = readFileSync(path, "utf8");
  return parseIntervalLog(text, path, options);
}

/** {@link readIntervalLog} over text already read; `name` is used in messages. */
export function parseIntervalLog(
  text: string,
  name: string,
  options: ReadIntervalLogOptions = {},
): Interval[] {
  const originNs = options.originNs ?? 0n;
  const lines = text.split("\n");
  const torn = !text.endsWith("\n") && text !== "" ? lines.length : -1;
  const intervals: Array<{ -readonly [K in keyof Interval]: Interval[K] }> = [];
  const open = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === "") continue;
    const where = `${name}:${i + 1}`;
    let record: IntervalRecord;
    try {
      record = parseIntervalRecord(raw, where);
    } catch (error) {
      if (i + 1 === torn) {
        options.onWarning?.(`${where}: torn last line ignored (a holder killed while writing leaves one)`);
        continue;
      }
      throw error;
    }
    const id = `${record.holder}\u0000${record.pid}\u0000${record.start}`;
    const at = open.get(id);
    if (record.end === undefined) {
      if (at !== undefined)
        throw new UsageError(
          `a second start record for holder ${record.holder} pid ${record.pid} start ${record.start}; expected one per hold`,
          where,
        );
      open.set(id, intervals.length);
      intervals.push({
        holder: record.holder,
        pid: record.pid,
        start: toRunTime(record.start, originNs),
        end: undefined,
        ...(record.slot === undefined ? {} : { slot: record.slot }),
        ...(record.office === undefined ? {} : { office: record.office }),
        ...(record.token === undefined ? {} : { token: record.token }),
        ...(record.key === undefined ? {} : { key: record.key }),
        line: i + 1,
      });
      continue;
    }
    if (at === undefined)
      throw new UsageError(
        `an end record for holder ${record.holder} pid ${record.pid} start ${record.start} without its start record; expected the start record first`,
        where,
      );
    const interval = intervals[at];
    if (interval === undefined || interval.end !== undefined)
      throw new UsageError(
        `a second end record for holder ${record.holder} pid ${record.pid} start ${record.start}; expected one per hold`,
        where,
      );
    interval.end = toRunTime(record.end, originNs);
    open.delete(id);
  }
  return intervals;
}
