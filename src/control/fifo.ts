/**
 * Writing one answer into a FIFO without ever wedging the runner.
 *
 * Opening a FIFO for writing blocks until a reader opens it, and a reader
 * that went away would block us forever. So the FIFO is opened with
 * `O_NONBLOCK`, which fails at once with `ENXIO` while nobody reads; we retry
 * for a short, bounded time (the composer script creates its FIFO a moment
 * before it opens it) and then give up. Writes are non-blocking too: a full
 * pipe (`EAGAIN`) is retried until a deadline, a reader that closed
 * (`EPIPE`; Node ignores SIGPIPE) ends the attempt.
 */

import { closeSync, constants, openSync, writeSync } from "node:fs";
import { describeError } from "../errors/index.js";

export interface OpenFifoOptions {
  /** How long to wait for a reader to open the FIFO; default 5,000 ms. */
  readerWaitMs?: number;
  /** Pause between attempts; default 10 ms. */
  retryEveryMs?: number;
  /** Give up early when this fires. */
  signal?: AbortSignal;
}

export type OpenFifoResult =
  | { readonly kind: "open"; readonly fd: number }
  | { readonly kind: "no-reader" }
  | { readonly kind: "error"; readonly message: string };

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Open `path` for writing without blocking; waits (bounded) for a reader. */
export async function openFifoForWriting(
  path: string,
  options: OpenFifoOptions = {},
): Promise<OpenFifoResult> {
  const readerWaitMs = options.readerWaitMs ?? 5_000;
  const retryEveryMs = options.retryEveryMs ?? 10;
  const deadline = Date.now() + readerWaitMs;
  for (;;) {
    try {
      return { kind: "open", fd: openSync(path, constants.O_WRONLY | constants.O_NONBLOCK) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENXIO") return { kind: "error", message: describeError(error) };
    }
    if (Date.now() >= deadline || options.signal?.aborted) return { kind: "no-reader" };
    await pause(retryEveryMs);
  }
}

export interface WriteFifoOptions {
  /** How long a full pipe may stay full before we give up; default 10,000 ms. */
  timeoutMs?: number;
}

export type WriteFifoResult = "written" | "reader-gone" | "timed-out";

/**
 * Write all of `text` to a non-blocking FIFO fd and close it (always). The
 * reader sees end-of-file after the last byte.
 */
export async function writeAndClose(
  fd: number,
  text: string,
  options: WriteFifoOptions = {},
): Promise<WriteFifoResult> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  try {
    while (offset < bytes.length) {
      try {
        offset += writeSync(fd, bytes, offset, bytes.length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EPIPE") return "reader-gone";
        if (code !== "EAGAIN") throw error;
        if (Date.now() >= deadline) return "timed-out";
        await pause(5);
      }
    }
    return "written";
  } finally {
    try {
      closeSync(fd);
    } catch {}
  }
}

/** Close an fd we opened but will not write to (the reader sees end-of-file, i.e. an empty answer). */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {}
}
