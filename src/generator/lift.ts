/**
 * Turning plain values into generators (Jepsen's protocol extensions on maps,
 * functions, sequences and nil), and filling in an op's process and time.
 */
import { UsageError } from "../errors/index.js";
import type { Invocation, Op } from "../history/op.js";
import { describeValue } from "../history/writable.js";
import type { GenContext, Generator, GeneratorLike, GenOp, Step } from "./types.js";

/** How many times in a row a function generator may return an already-exhausted generator before we call it a bug. */
const MAX_EMPTY_RESULTS = 10_000;

/** True for a value implementing the generator protocol. */
export function isGenerator(x: unknown): x is Generator {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as Generator).op === "function" &&
    typeof (x as Generator).update === "function"
  );
}

function isInvocation(x: unknown): x is Invocation {
  return typeof x === "object" && x !== null && !Array.isArray(x) && typeof (x as Invocation).f === "string";
}

/**
 * Fill in what an invocation leaves out (Jepsen's `fill-in-op`):
 * - `time` = max(ctx.time, op.time ?? ctx.time): an op never starts in the past;
 * - `process` = the process of a free worker chosen at random (from
 *   `ctx.random`), unless the op names one — Jepsen's `some-free-process`:
 *   always taking the first free worker would, at low rates, send nearly
 *   every op through worker 0 and leave few ops overlapping;
 * - `type` = `invoke`, unless it is a `sleep` or `log` pseudo-op.
 * Returns `"pending"` when no worker is free: the op has to wait.
 */
export function fillIn(invocation: Invocation, ctx: GenContext): GenOp | "pending" {
  const free = ctx.freeWorkers;
  if (free.length === 0) return "pending";
  const wanted = invocation.time;
  const time = typeof wanted === "number" && wanted > ctx.time ? wanted : ctx.time;
  const named = invocation.process;
  const process =
    typeof named === "number" || named === "nemesis"
      ? named
      : ctx.processOf(free.length === 1 ? free[0]! : free[ctx.random.int(0, free.length - 1)]!);
  const type = invocation.type === "sleep" || invocation.type === "log" ? invocation.type : "invoke";
  // Built by hand: `{ ...invocation, type, time, process }` costs microseconds on Node 20 (V8 leaves
  // the fast clone path when a spread adds properties), and this runs once per op.
  const op: GenOp = { type, time, process, f: invocation.f, value: invocation.value };
  for (const field in invocation) {
    if (!FILLED_FIELDS.has(field)) op[field] = invocation[field];
  }
  return op;
}

const FILLED_FIELDS = new Set(["type", "time", "process", "f", "value"]);

/** The generator that is exhausted from the start. */
export const empty: Generator = {
  op: () => null,
  update: () => null,
};

/** An invocation as a generator: emits it once, to whichever worker is free first. */
class Once implements Generator {
  constructor(readonly invocation: Invocation) {}

  op(ctx: GenContext): Step {
    const op = fillIn(this.invocation, ctx);
    return op === "pending" ? { op: "pending", next: this } : { op, next: null };
  }

  update(): Generator {
    return this;
  }
}

/**
 * A function as a generator: called for every op, it returns an invocation,
 * a generator to run to exhaustion before it is called again, or null to
 * end. It does not see updates. It may be called more than once per op it
 * ends up emitting (the runner asks again when a completion arrives before
 * an op is due), so draw from `ctx.random` and keep it free of side effects.
 */
class FromFunction implements Generator {
  constructor(readonly fn: (ctx: GenContext) => Invocation | GeneratorLike | null | undefined) {}

  op(ctx: GenContext): Step {
    // No free worker, no op: do not call the function just to throw its answer away.
    if (ctx.freeWorkers.length === 0) return { op: "pending", next: this };
    for (let attempt = 0; attempt < MAX_EMPTY_RESULTS; attempt++) {
      const x = this.fn(ctx);
      if (x === null || x === undefined) return null;
      if (isInvocation(x) && !isGenerator(x)) {
        const op = fillIn(x, ctx);
        // Jepsen keeps an invocation the function already produced until a worker frees up.
        if (op === "pending") return { op: "pending", next: new Sequence([x, this], 0, null) };
        return { op, next: this };
      }
      const gen = lift(x as GeneratorLike);
      const step = gen?.op(ctx) ?? null;
      if (step === null) continue;
      if (step.op === "pending") return { op: "pending", next: new Sequence([this], 0, step.next) };
      return { op: step.op, next: step.next === null ? this : new Sequence([this], 0, step.next) };
    }
    throw new Error(`a function generator returned ${MAX_EMPTY_RESULTS} exhausted generators in a row`);
  }

  update(): Generator {
    return this;
  }
}

/**
 * A sequence: each element runs to exhaustion, then the next. `head` is the
 * element being run (already lifted); `nextIndex` is the first element after
 * it. O(1) per op: nothing is copied.
 */
class Sequence implements Generator {
  constructor(
    readonly items: readonly GeneratorLike[],
    readonly nextIndex: number,
    readonly head: Generator | null,
  ) {}

  op(ctx: GenContext): Step {
    let head = this.head;
    let index = this.nextIndex;
    const items = this.items;
    for (;;) {
      while (head === null) {
        if (index >= items.length) return null;
        head = lift(items[index++]);
      }
      const step = head.op(ctx);
      if (step === null) {
        head = null;
        continue;
      }
      if (step.op === "pending") {
        return {
          op: "pending",
          next:
            step.next === this.head && index === this.nextIndex
              ? this
              : new Sequence(items, index, step.next),
        };
      }
      const rest = step.next === null && index >= items.length ? null : new Sequence(items, index, step.next);
      return { op: step.op, next: rest };
    }
  }

  update(ctx: GenContext, event: Op): Generator | null {
    // Like Jepsen's seq, only the element being run hears about events.
    let head = this.head;
    let index = this.nextIndex;
    while (head === null) {
      if (index >= this.items.length) return null;
      head = lift(this.items[index++]);
    }
    const updated = head.update(ctx, event);
    if (updated === this.head) return this;
    if (updated === null && index >= this.items.length) return null;
    return new Sequence(this.items, index, updated);
  }
}

/**
 * Turn anything generator-like into a generator:
 * - a generator is itself;
 * - an invocation `{ f, value }` emits that op once, to the first free worker;
 * - a function `(ctx) => ...` is called for each op: it may return an
 *   invocation, a generator (run to exhaustion, then the function is called
 *   again) or null to end; infinite unless it returns null. It may be called
 *   speculatively, so keep it free of side effects;
 * - an array runs its elements one after the other, each to exhaustion;
 * - null and undefined are exhausted (lift returns null).
 *
 * @example lift([{ f: "write", value: 1 }, { f: "read", value: null }]) // a write, then a read
 */
export function lift(x: GeneratorLike): Generator | null {
  if (x === null || x === undefined) return null;
  if (isGenerator(x)) return x;
  if (typeof x === "function") return new FromFunction(x);
  if (Array.isArray(x)) return x.length === 0 ? null : new Sequence(x as readonly GeneratorLike[], 0, null);
  if (isInvocation(x)) return new Once(x);
  throw new UsageError(
    `the generator gave ${describeValue(x, "value")}: expected an op ({ f, value }), a generator, a function, an array or null`,
  );
}

/** `lift`, but the exhausted generator instead of null: what combinators build on. */
export function liftOrEmpty(x: GeneratorLike): Generator {
  return lift(x) ?? empty;
}
