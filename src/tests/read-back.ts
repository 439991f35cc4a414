/**
 * `readBack(gen)`: after each write that completes `ok`, the same process
 * reads the same key at once, ahead of whatever `gen` (staggered) offers next.
 *
 * Why: a replica that lags is visible only to a read that begins after a
 * write completed and reaches the replica before the write's replication
 * does. With ops spread 5 ms apart, a lag of well under a millisecond (Redis
 * on one host, a demo follower between two heartbeats) is almost never hit:
 * the next read of that key comes long after the replica caught up. A read
 * issued the moment the write returns, through the same client (so to the
 * node that client reads from), races the replication directly; on a correct
 * system it is an ordinary read of one's own write, and changes nothing.
 *
 * A read-back is dropped when its process is gone (the worker went on as a
 * fresh process after an `info`); at most {@link READ_BACKS_PENDING_MAX} are
 * held, so the queue is bounded whatever the completions.
 */

import { lift } from "../generator/lift.js";
import type { GenContext, Generator, GeneratorLike, GenOp, Step } from "../generator/types.js";
import type { Key, Op, ProcessId } from "../history/op.js";

/** Bound on read-backs waiting for their process (one per worker is the most a run can use). */
export const READ_BACKS_PENDING_MAX = 1_024;

interface Pending {
  readonly process: ProcessId;
  readonly key: Key | undefined;
}

class ReadBack implements Generator {
  constructor(
    readonly inner: Generator | null,
    readonly pending: readonly Pending[],
  ) {}

  op(ctx: GenContext): Step {
    const free = new Set(ctx.freeWorkers);
    const live = this.pending.filter((entry) => ctx.workerOf(entry.process) !== undefined);
    const ready = live.findIndex((entry) => free.has(ctx.workerOf(entry.process)!));
    if (ready >= 0) {
      const entry = live[ready]!;
      const op: GenOp = {
        type: "invoke",
        time: ctx.time,
        process: entry.process,
        f: "read",
        key: entry.key,
        value: null,
      };
      return {
        op,
        next: new ReadBack(
          this.inner,
          live.filter((_, i) => i !== ready),
        ),
      };
    }
    if (this.inner === null) return live.length > 0 ? { op: "pending", next: this.with(null, live) } : null;
    const step = this.inner.op(ctx);
    if (step === null) return live.length > 0 ? { op: "pending", next: this.with(null, live) } : null;
    return step.op === "pending"
      ? { op: "pending", next: this.with(step.next, live) }
      : { op: step.op, next: this.with(step.next, live) };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const inner = this.inner === null ? null : this.inner.update(ctx, event);
    let pending = this.pending;
    if (
      event.type === "ok" &&
      event.f === "write" &&
      event.process !== "nemesis" &&
      pending.length < READ_BACKS_PENDING_MAX
    ) {
      pending = [...pending, { process: event.process, key: event.key }];
    }
    if (inner === null && pending.length === 0) return null;
    return this.with(inner, pending);
  }

  with(inner: Generator | null, pending: readonly Pending[]): ReadBack {
    return inner === this.inner && pending === this.pending ? this : new ReadBack(inner, pending);
  }
}

/** See the module doc. */
export function readBack(gen: GeneratorLike): Generator {
  return new ReadBack(lift(gen), []);
}
