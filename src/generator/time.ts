/**
 * Time combinators: `timeLimit`, `stagger`, `delay`, and the `sleep` and
 * `log` pseudo-ops. Arguments are in milliseconds (what people think in);
 * ops and contexts carry nanoseconds.
 */
import type { Op } from "../history/op.js";
import { empty, lift } from "./lift.js";
import type { GenContext, Generator, GeneratorLike, Step } from "./types.js";

const NS_PER_MS = 1_000_000;

function msToNs(ms: number, what: string): number {
  if (!(Number.isFinite(ms) && ms >= 0))
    throw new RangeError(`${what}: milliseconds must be a finite number >= 0, got ${ms}`);
  return Math.round(ms * NS_PER_MS);
}

class TimeLimit implements Generator {
  constructor(
    readonly limitNs: number,
    /** Ops at or after this time are not emitted; null until the first op fixes it. */
    readonly cutoffNs: number | null,
    readonly gen: Generator,
  ) {}

  op(ctx: GenContext): Step {
    if (this.cutoffNs !== null && ctx.time >= this.cutoffNs) return null;
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending") {
      return {
        op: "pending",
        next: step.next === this.gen ? this : new TimeLimit(this.limitNs, this.cutoffNs, step.next),
      };
    }
    const cutoffNs = this.cutoffNs ?? step.op.time + this.limitNs;
    if (step.op.time >= cutoffNs) return null;
    return {
      op: step.op,
      next: step.next === null ? null : new TimeLimit(this.limitNs, cutoffNs, step.next),
    };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === this.gen) return this;
    return gen === null ? null : new TimeLimit(this.limitNs, this.cutoffNs, gen);
  }
}

/**
 * Ops of `gen` that start within `limitMs` of the first op's start; then
 * exhausted. Like Jepsen's `time-limit`, the clock starts at the first op,
 * not when the generator is built, so a time-limited phase gets its full
 * time whenever it begins. Ops already running are not interrupted.
 *
 * @example timeLimit(10_000, stagger(10, mix([read, write]))) // 10 s of ops, ~100/s
 */
export function timeLimit(limitMs: number, gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new TimeLimit(msToNs(limitMs, "timeLimit"), null, inner);
}

/**
 * Ops spaced out in time: each op starts no earlier than the previous one's
 * start plus a gap (fixed for `delay`, drawn for `stagger`). An op already
 * scheduled later than that keeps its own time.
 */
class Spaced implements Generator {
  constructor(
    readonly gapNs: (ctx: GenContext) => number,
    readonly nextTimeNs: number | null,
    readonly gen: Generator,
  ) {}

  op(ctx: GenContext): Step {
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending") {
      return {
        op: "pending",
        next: step.next === this.gen ? this : new Spaced(this.gapNs, this.nextTimeNs, step.next),
      };
    }
    const due = this.nextTimeNs ?? step.op.time;
    const op = step.op.time >= due ? step.op : { ...step.op, time: due };
    const next = step.next === null ? null : new Spaced(this.gapNs, op.time + this.gapNs(ctx), step.next);
    return { op, next };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === this.gen) return this;
    return gen === null ? null : new Spaced(this.gapNs, this.nextTimeNs, gen);
  }
}

/**
 * Space ops out so that, across all workers together, one starts every
 * `meanMs` on average: each gap is uniform in [0, 2 * meanMs), seeded
 * (Jepsen's `stagger`, a *total* rate: 5 workers under `stagger(10, ...)`
 * still make ~100 ops/s, not 500). Random gaps rather than a fixed period
 * shake out timing-dependent bugs. An op already scheduled later than the
 * next slot keeps its own time.
 *
 * @example stagger(10, repeat({ f: "read", value: null })) // ~100 reads/s
 */
export function stagger(meanMs: number, gen: GeneratorLike): Generator {
  const inner = lift(gen);
  // Each gap uniform in [0, 2 * mean): the mean is as asked, the spacing irregular.
  const spanNs = 2 * msToNs(meanMs, "stagger");
  return inner === null ? empty : new Spaced((ctx) => Math.floor(ctx.random.float() * spanNs), null, inner);
}

/**
 * A fixed gap of at least `gapMs` between the starts of consecutive ops
 * (Jepsen's `delay`): a steady rate of 1000 / gapMs ops/s at most, across
 * all workers. Use `stagger` when you want randomized gaps.
 *
 * @example delay(1000, repeat({ f: "read", value: null })) // one read per second
 */
export function delay(gapMs: number, gen: GeneratorLike): Generator {
  const inner = lift(gen);
  const gapNs = msToNs(gapMs, "delay");
  return inner === null ? empty : new Spaced(() => gapNs, null, inner);
}

/**
 * A pseudo-op that occupies one worker for `durationMs` and is not
 * journaled. Inside `phases` it pauses the whole test, because the next phase
 * waits for every worker, the sleeping one included.
 *
 * @example phases(nemesis(heal), sleep(5_000), clients(finalReads())) // let the cluster settle
 */
export function sleep(durationMs: number): Generator {
  return lift({ type: "sleep", f: "sleep", value: msToNs(durationMs, "sleep") }) ?? empty;
}

/**
 * A pseudo-op that makes the runner print `message` (it is not journaled and
 * does not occupy a worker in simulation).
 *
 * @example phases(log("healing"), nemesis(heal))
 */
export function log(message: string): Generator {
  return lift({ type: "log", f: "log", value: message }) ?? empty;
}
