/**
 * The yjs-sync server's durable store: one append-only log of Yjs updates
 * per document, every update fsynced before the server goes on to the next
 * message, so whatever any client could have read back from the server
 * survives a SIGKILL.
 *
 * A record is `[length u32 LE][crc32 u32 LE][update bytes]`. Replay reads
 * records until the first one that is short or fails its checksum (the tail
 * a SIGKILL tore mid-write), truncates the file there so later appends do not
 * follow garbage, and applies every good update. Yjs updates commute and are
 * idempotent, so the order and any duplicate are harmless.
 *
 * The server compacts a log on the first open in a process and whenever it
 * has grown long: the replayed document is written as one update to a temp
 * file, fsynced, and renamed over the log, so a replay stays short however
 * long the run was.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";

const HEADER_BYTES = 8;
/** A record longer than this is corrupt, not a real update: a bound on what replay allocates. */
const RECORD_BYTES_MAX = 64 * 1024 * 1024;

export interface ReplayResult {
  /** The good updates, in log order. */
  readonly updates: Uint8Array[];
  /** Bytes after the last good record (dropped). */
  readonly tornBytes: number;
}

/** Read the good records of a log file (none when it does not exist); does not modify the file. */
export function readUpdateLog(path: string): ReplayResult & { goodBytes: number } {
  if (!existsSync(path)) return { updates: [], tornBytes: 0, goodBytes: 0 };
  const bytes = readFileSync(path);
  const updates: Uint8Array[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    const checksum = bytes.readUInt32LE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (length > RECORD_BYTES_MAX || end > bytes.length) break;
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== checksum) break;
    updates.push(new Uint8Array(payload));
    offset = end;
  }
  return { updates, tornBytes: bytes.length - offset, goodBytes: offset };
}

function record(update: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(update.length, 0);
  header.writeUInt32LE(crc32(update), 4);
  return Buffer.concat([header, update]);
}

function fsyncDir(path: string): void {
  const fd = openSync(dirname(path), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The log file of a document in a data dir (the name is URI-encoded, so any room name is a safe file name). */
export function updateLogPath(dataDir: string, docName: string): string {
  return join(dataDir, `${encodeURIComponent(docName)}.ylog`);
}

export class UpdateLog {
  private fd: number | undefined;
  appended = 0;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Open a log for appending after replay: truncate a torn tail, and when
   * `compacted` is given, replace the log by that one update first.
   */
  static open(path: string, options: { goodBytes: number; compacted?: Uint8Array }): UpdateLog {
    if (options.compacted !== undefined) {
      const temp = `${path}.compact`;
      const fd = openSync(temp, "w");
      try {
        writeSync(fd, record(options.compacted));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
      fsyncDir(path);
      return new UpdateLog(path, openSync(path, "a"));
    }
    const created = !existsSync(path);
    const fd = openSync(path, "a");
    if (!created) ftruncateSync(fd, options.goodBytes);
    fsyncSync(fd);
    if (created) fsyncDir(path);
    return new UpdateLog(path, fd);
  }

  /** Append one update and fdatasync it; returns once it is on disk. */
  append(update: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`UpdateLog ${this.path}: append after close`);
    const bytes = record(update);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    fdatasyncSync(this.fd);
    this.appended++;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
