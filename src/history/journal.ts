/**
 * The journal appends each op to `history.jsonl` the moment it happens.
 *
 * `append` queues a complete line; `flush` hands everything queued to the
 * kernel in one `write(2)`. The runner flushes before it lets anything act
 * on an op: before every await of its loop (client requests are sent from
 * the microtasks that run then) and at once for nemesis ops (a fault may be
 * applied synchronously). So an op is on disk — in the kernel's page cache,
 * which outlives the process — before the system under test can see it, a
 * runner killed with SIGKILL loses at most the ops of the current loop turn
 * that nothing has acted on yet, and the reader tolerates the torn line a
 * killed write leaves. (Surviving a machine crash would need fsync per op;
 * that is not the failure we guard against, and it would cap throughput at
 * disk speed.) One write per loop turn instead of one per op is what lets
 * the runner journal 100,000+ ops/s on two cores.
 *
 * `write(2)` may write less than it was given (a signal, a full pipe or
 * device): `flush` writes the rest until all is written, so a short write is
 * never followed by the next line in the middle of this one. EAGAIN (a
 * non-blocking fd, e.g. a FIFO) is waited out in 1 ms steps, bounded by
 * {@link JOURNAL_STALL_MS} without progress.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { invariant, OutputError } from "../errors/index.js";
import { type Op, opToJson } from "./op.js";

/** `writeSync(fd, buffer, offset, length)`: bytes written, possibly fewer than `length`. */
export type JournalWrite = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

/** How long `flush` keeps trying while the fd takes nothing (EAGAIN or 0-byte writes) before it throws. */
export const JOURNAL_STALL_MS = 10_000;

export interface JournalOptions {
  /** The write call; default `fs.writeSync`. Tests pass one that writes short. */
  write?: JournalWrite;
}

/** A synchronous pause: `flush` must not return before everything is written, so it cannot await. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Write all of `buffer` to `fd`, looping over short writes; throws after {@link JOURNAL_STALL_MS} without progress. */
export function writeAll(fd: number, buffer: Uint8Array, write: JournalWrite = writeSync): void {
  let offset = 0;
  let stalledSinceMs: number | undefined;
  while (offset < buffer.length) {
    let written = 0;
    try {
      written = write(fd, buffer, offset, buffer.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
    }
    if (written > 0) {
      offset += written;
      stalledSinceMs = undefined;
      continue;
    }
    const nowMs = performance.now();
    stalledSinceMs ??= nowMs;
    if (nowMs - stalledSinceMs > JOURNAL_STALL_MS)
      throw new Error(
        `write stalled: ${buffer.length - offset} of ${buffer.length} bytes not taken in ${JOURNAL_STALL_MS} ms`,
      );
    sleepSync(1);
  }
}

export class Journal {
  readonly path: string;
  private fd: number | undefined;
  private count = 0;
  private pending = "";
  private readonly write: JournalWrite;

  constructor(path: string, options: JournalOptions = {}) {
    this.path = path;
    this.write = options.write ?? writeSync;
    mkdirSync(dirname(path), { recursive: true });
    // "a": append-only, so concurrent readers (crucible serve, tail -f) see whole lines.
    this.fd = openSync(path, "a", 0o644);
  }

  /** Ops written so far. */
  get length(): number {
    return this.count;
  }

  /** Queue one op; call `flush` before anything acts on it. */
  append(op: Op): void {
    invariant(this.fd !== undefined, `journal ${this.path} is closed; cannot append op ${op.index}`);
    this.pending += `${opToJson(op)}\n`;
    this.count++;
  }

  /** Write everything queued: one write(2), more only when the kernel takes less than all. */
  flush(): void {
    if (this.pending === "" || this.fd === undefined) return;
    const text = this.pending;
    this.pending = "";
    try {
      writeAll(this.fd, Buffer.from(text, "utf8"), this.write);
    } catch (error) {
      // An operating error (a full or read-only disk): one line naming the file, never a stack.
      throw new OutputError(this.path, error);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}
