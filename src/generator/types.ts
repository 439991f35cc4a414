/**
 * The generator protocol (Jepsen's, in TypeScript).
 *
 * A generator is an immutable value with two methods:
 * - `op(ctx)` answers "what next?": an op to run (with the time it should
 *   start and the process that should run it) together with the generator
 *   that follows it; or `"pending"` (nothing now, ask again when something
 *   changes: a worker frees up or time passes); or `null` (exhausted).
 * - `update(ctx, event)` is told about every invocation and completion the
 *   runner journals, and returns the generator that follows.
 *
 * Generators never sleep, never read the wall clock and never call
 * `Math.random`: time comes from `ctx.time`, randomness from `ctx.random`.
 * That is what lets `simulate` run them in milliseconds against a fake clock,
 * and what lets a seed replay a run.
 */
import type { Invocation, Op, ProcessId } from "../history/op.js";
import type { Random } from "../random/random.js";

/** A worker thread: client workers are numbered 0..concurrency-1; the fault injector is "nemesis". */
export type WorkerId = number | "nemesis";

export interface GenContext {
  /** Nanoseconds since the test started. */
  readonly time: number;
  /** Every worker of the test, client workers first, then "nemesis" when the test has one. */
  readonly workers: readonly WorkerId[];
  /** Workers with no op in flight, in the same order. */
  readonly freeWorkers: readonly WorkerId[];
  /** The process a worker currently runs as (a worker's process changes after an `info`). */
  readonly processOf: (worker: WorkerId) => ProcessId;
  /** The worker running a process, if any. */
  readonly workerOf: (process: ProcessId) => WorkerId | undefined;
  /** Seeded randomness; routing combinators hand nemesis and client generators their own streams. */
  readonly random: Random;
}

/**
 * An op a generator asks the runner to perform. `type` is `invoke` for real
 * operations; `sleep` (value = ns) only occupies a worker; `log` (value =
 * message) is printed and journaled as nothing.
 */
export interface GenOp extends Invocation {
  type: "invoke" | "sleep" | "log";
  /** When it should start, ns since test start; the runner waits until then. */
  time: number;
  process: ProcessId;
}

export type Step =
  | { readonly op: GenOp; readonly next: Generator | null }
  | { readonly op: "pending"; readonly next: Generator }
  | null;

export interface Generator {
  op(ctx: GenContext): Step;
  update(ctx: GenContext, event: Op): Generator | null;
}

/** Anything a combinator accepts where it wants a generator: see `lift`. */
export type GeneratorLike =
  | Generator
  | Invocation
  | ((ctx: GenContext) => Invocation | GeneratorLike | null | undefined)
  | readonly GeneratorLike[]
  | null
  | undefined;
