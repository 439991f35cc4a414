/**
 * The demo server's durable storage: a write-ahead log with group commit, and
 * a snapshot that compacts it.
 *
 * Layout of a data dir:
 * - `wal.log`: one record per line, `<crc32 as 8 hex digits> <json>\n`, where
 *   the JSON is a {@link LogEntry}. The CRC covers the JSON bytes, so a record
 *   torn by a crash (power loss mid-write, or a test that truncates the file)
 *   is recognised and dropped on recovery. A bad record that is *not* at the
 *   tail is corruption, not a tear: recovery refuses to start rather than
 *   silently lose acknowledged writes behind it.
 * - `snapshot.json`: `{ index, data: [[key, value], ...] }`, written to a temp
 *   file, fsynced, renamed over the old one, then the directory is fsynced.
 *   Log records with `i <= index` are already in it and are skipped.
 *
 * Group commit: {@link WriteAheadLog.append} only queues a record. One flush
 * at a time writes every queued record with a single `write` and a single
 * `fdatasync`; records queued meanwhile go into the next flush. So N
 * concurrent writers cost one fsync, not N, and a record is reported durable
 * (through `onDurable`) only after the fsync that covers it returned.
 *
 * Only node builtins are imported: the server must start fast.
 */

import { constants as fsConstants } from "node:fs";
import { type FileHandle, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { invariant } from "../errors/index.js";
import type { LogEntry } from "./protocol.js";

export const WAL_FILE = "wal.log";
export const SNAPSHOT_FILE = "snapshot.json";

/** What recovery found on disk. */
export interface Recovered {
  /** Index covered by the snapshot (0 when there is none). */
  snapshotIndex: number;
  /** The store as of the last durable record. */
  data: Map<string, unknown>;
  /** Log records after the snapshot, in order (for the leader's replication window). */
  entries: LogEntry[];
  /** Index of the last durable record (or the snapshot's). */
  lastIndex: number;
  /** Bytes dropped from the tail of the log because the last record was torn (0 when none). */
  tornBytes: number;
}

export interface WriteAheadLogOptions {
  dir: string;
  /**
   * Compact (snapshot, then truncate the log) once the log grows past this
   * many bytes. Default 64 MiB: keeps recovery time and disk use bounded while
   * compacting rarely in a test run.
   */
  maxLogBytes?: number;
  /** Called after each fsync with the records it made durable, in order. */
  onDurable: (entries: LogEntry[]) => void;
  /** The durable store, for compaction: called right after `onDurable`, so it matches the log. */
  snapshotSource: () => { index: number; data: Map<string, unknown> };
  /** Called when a flush fails (disk full, I/O error): the log's state is then unknown. */
  onFatal: (error: Error) => void;
}

/** Encode one record as a log line. */
export function encodeRecord(entry: LogEntry): string {
  const json = JSON.stringify(entry);
  return crcHex(Buffer.from(json)) + " " + json + "\n";
}

function crcHex(bytes: Buffer): string {
  return crc32(bytes).toString(16).padStart(8, "0");
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const CRC_HEX_LENGTH = 8;

/** Parse one line (without its newline); undefined when torn or corrupt. */
function decodeRecord(line: Buffer): LogEntry | undefined {
  if (line.length <= CRC_HEX_LENGTH + 1 || line[CRC_HEX_LENGTH] !== SPACE) return undefined;
  const json = line.subarray(CRC_HEX_LENGTH + 1);
  if (line.toString("latin1", 0, CRC_HEX_LENGTH) !== crcHex(json)) return undefined;
  try {
    const parsed: unknown = JSON.parse(json.toString("utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "i" in parsed &&
      "k" in parsed &&
      Number.isSafeInteger(parsed.i) &&
      typeof parsed.k === "string"
    ) {
      return parsed as LogEntry;
    }
  } catch {
    // Fall through: a record whose CRC matches but whose JSON does not parse is corrupt.
  }
  return undefined;
}

export class CorruptLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorruptLogError";
  }
}

/** Read the snapshot and the log of `dir`; truncate a torn tail of the log in place. */
export async function recover(dir: string): Promise<Recovered> {
  const data = new Map<string, unknown>();
  let snapshotIndex = 0;
  const snapshotText = await readFile(join(dir, SNAPSHOT_FILE), "utf8").catch(ignoreMissing);
  if (snapshotText !== undefined) {
    // The snapshot is renamed into place only once complete, so it always parses.
    const snapshot = JSON.parse(snapshotText) as { index: number; data: [string, unknown][] };
    snapshotIndex = snapshot.index;
    for (const [key, value] of snapshot.data) data.set(key, value);
  }

  const logPath = join(dir, WAL_FILE);
  const bytes = await readFile(logPath).catch(ignoreMissing);
  const entries: LogEntry[] = [];
  let lastIndex = snapshotIndex;
  let goodBytes = 0;
  let tornBytes = 0;
  if (bytes !== undefined) {
    let offset = 0;
    while (offset < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, offset);
      const end = newline === -1 ? bytes.length : newline;
      const entry = newline === -1 ? undefined : decodeRecord(bytes.subarray(offset, end));
      if (entry === undefined) {
        const rest = newline === -1 ? -1 : bytes.indexOf(NEWLINE, newline + 1);
        // A tear can only be the last record: everything after the bad line must be empty.
        if (rest !== -1) {
          throw new CorruptLogError(
            `${logPath}: bad record at byte ${offset} followed by more records; refusing to start ` +
              "(a torn write can only be at the tail; this is corruption)",
          );
        }
        tornBytes = bytes.length - offset;
        break;
      }
      if (entry.i > snapshotIndex) {
        if (entry.i !== lastIndex + 1) {
          throw new CorruptLogError(
            `${logPath}: record index ${entry.i} after ${lastIndex}; refusing to start`,
          );
        }
        data.set(entry.k, entry.v);
        entries.push(entry);
        lastIndex = entry.i;
      }
      offset = end + 1;
      goodBytes = offset;
    }
    if (tornBytes > 0) {
      const handle = await open(logPath, "r+");
      try {
        await handle.truncate(goodBytes);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
  }
  return { snapshotIndex, data, entries, lastIndex, tornBytes };
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === "ENOENT") return undefined;
  throw error;
}

/** The log itself: queue records, flush them in groups, compact when large. */
export class WriteAheadLog {
  readonly #dir: string;
  readonly #handle: FileHandle;
  readonly #maxLogBytes: number;
  readonly #onDurable: (entries: LogEntry[]) => void;
  readonly #snapshotSource: () => { index: number; data: Map<string, unknown> };
  readonly #onFatal: (error: Error) => void;
  #pending: LogEntry[] = [];
  #logBytes: number;
  /** The flush in progress (or the last one); every disk operation chains on it, so they never overlap. */
  #chain: Promise<void> = Promise.resolve();
  #flushScheduled = false;
  #closed = false;
  #failed: Error | undefined;

  private constructor(options: WriteAheadLogOptions, handle: FileHandle, logBytes: number) {
    this.#dir = options.dir;
    this.#handle = handle;
    this.#logBytes = logBytes;
    this.#maxLogBytes = options.maxLogBytes ?? 64 * 1024 * 1024;
    this.#onDurable = options.onDurable;
    this.#snapshotSource = options.snapshotSource;
    this.#onFatal = options.onFatal;
  }

  /** Open (creating if needed) the log of a dir; call {@link recover} first. */
  static async open(options: WriteAheadLogOptions): Promise<WriteAheadLog> {
    const path = join(options.dir, WAL_FILE);
    // O_APPEND: every write lands at the end, also after a compaction truncated the file.
    const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND, 0o644);
    const { size } = await handle.stat();
    await fsyncDir(options.dir);
    return new WriteAheadLog(options, handle, size);
  }

  /** Records queued but not yet durable. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Queue a record for the next group commit; `onDurable` reports it once fsynced. */
  append(entry: LogEntry): void {
    invariant(!this.#closed, "WriteAheadLog.append after close");
    if (this.#failed) throw this.#failed;
    this.#pending.push(entry);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#chain = this.#chain.then(() => this.#flush());
    }
  }

  /**
   * Replace everything on disk with a snapshot (a follower far behind its
   * leader). The caller must not have records pending: they would predate it.
   */
  installSnapshot(index: number, data: Map<string, unknown>): Promise<void> {
    invariant(this.#pending.length === 0, "installSnapshot with records pending");
    const done = this.#chain.then(() => this.#writeSnapshot(index, data));
    this.#chain = done.catch(() => {});
    return done;
  }

  /** Flush what is queued, then close the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chain;
    await this.#handle.close();
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    try {
      const text = batch.map(encodeRecord).join("");
      const bytes = Buffer.from(text);
      await writeAll(this.#handle, bytes);
      await this.#handle.datasync();
      this.#logBytes += bytes.length;
      this.#onDurable(batch);
      if (this.#logBytes > this.#maxLogBytes) {
        const { index, data } = this.#snapshotSource();
        await this.#writeSnapshot(index, data);
      }
    } catch (error) {
      // After a failed fsync the kernel may have dropped the dirty pages: the log's content is unknown.
      this.#failed = error instanceof Error ? error : new Error(String(error));
      this.#onFatal(this.#failed);
    }
  }

  async #writeSnapshot(index: number, data: Map<string, unknown>): Promise<void> {
    const tmp = join(this.#dir, SNAPSHOT_FILE + ".tmp");
    const handle = await open(tmp, "w", 0o644);
    try {
      await writeAll(handle, Buffer.from(JSON.stringify({ index, data: [...data] })));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.#dir, SNAPSHOT_FILE));
    await fsyncDir(this.#dir);
    // A crash before this truncation is harmless: recovery skips records the snapshot covers.
    await this.#handle.truncate(0);
    await this.#handle.datasync();
    this.#logBytes = 0;
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  // Bounded: each iteration writes at least one byte or throws.
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    if (bytesWritten <= 0) throw new Error("write returned 0 bytes");
    offset += bytesWritten;
  }
}

/** Make a rename or file creation in `dir` durable. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
