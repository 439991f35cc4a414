/**
 * Transforming and reacting: `map`, `filter`, `onUpdate`, `untilOk`.
 */
import type { Op, ProcessId } from "../history/op.js";
import { empty, lift } from "./lift.js";
import type { GenContext, Generator, GeneratorLike, GenOp, Step } from "./types.js";

/** How many ops in a row `filter` may reject before we call it a bug (a predicate that never matches would spin). */
const MAX_REJECTED_IN_A_ROW = 100_000;

class MapGen implements Generator {
  constructor(
    readonly transform: (op: GenOp) => GenOp,
    readonly gen: Generator,
  ) {}

  op(ctx: GenContext): Step {
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending")
      return { op: "pending", next: step.next === this.gen ? this : new MapGen(this.transform, step.next) };
    const next =
      step.next === null ? null : step.next === this.gen ? this : new MapGen(this.transform, step.next);
    return { op: this.transform(step.op), next };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === this.gen) return this;
    return gen === null ? null : new MapGen(this.transform, gen);
  }
}

/**
 * Transform every op `gen` emits (after its process and time are filled
 * in). Return a new object; the op you get may be shared.
 *
 * @example map((op) => ({ ...op, key: "k1" }), repeat({ f: "read", value: null }))
 */
export function map(transform: (op: GenOp) => GenOp, gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new MapGen(transform, inner);
}

class Filter implements Generator {
  constructor(
    readonly accept: (op: GenOp) => boolean,
    readonly gen: Generator,
  ) {}

  op(ctx: GenContext): Step {
    let gen: Generator | null = this.gen;
    for (let rejected = 0; rejected < MAX_REJECTED_IN_A_ROW; rejected++) {
      const step: Step = gen.op(ctx);
      if (step === null) return null;
      if (step.op === "pending")
        return { op: "pending", next: step.next === this.gen ? this : new Filter(this.accept, step.next) };
      if (this.accept(step.op)) {
        const next =
          step.next === null ? null : step.next === this.gen ? this : new Filter(this.accept, step.next);
        return { op: step.op, next };
      }
      gen = step.next;
      if (gen === null) return null;
    }
    throw new Error(`filter rejected ${MAX_REJECTED_IN_A_ROW} ops in a row; does its predicate ever match?`);
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === this.gen) return this;
    return gen === null ? null : new Filter(this.accept, gen);
  }
}

/**
 * Only the ops of `gen` for which `accept(op)` holds; the others are
 * skipped (never run). Gives up loudly after 100,000 rejections in a row.
 *
 * @example filter((op) => op.f !== "cas", workload) // the workload without compare-and-set
 */
export function filter(accept: (op: GenOp) => boolean, gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new Filter(accept, inner);
}

/** What an `onUpdate` handler receives. */
export interface UpdateArgs {
  /** The wrapped generator, as it is now. */
  readonly gen: Generator;
  readonly ctx: GenContext;
  readonly event: Op;
}

class OnUpdate implements Generator {
  constructor(
    readonly handler: (args: UpdateArgs) => GeneratorLike,
    readonly gen: Generator,
  ) {}

  op(ctx: GenContext): Step {
    const step = this.gen.op(ctx);
    if (step === null) return null;
    const next =
      step.next === null ? null : step.next === this.gen ? this : new OnUpdate(this.handler, step.next);
    return step.op === "pending" ? { op: "pending", next: next ?? this } : { op: step.op, next };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const result = this.handler({ gen: this.gen, ctx, event });
    const gen = lift(result);
    if (gen === this.gen) return this;
    return gen === null ? null : new OnUpdate(this.handler, gen);
  }
}

/**
 * Take over how `gen` reacts to events (Jepsen's `on-update`): for every
 * invocation and completion, `handler({ gen, ctx, event })` returns what the
 * wrapped generator becomes (it stays wrapped). Forward the event yourself
 * with `gen.update(ctx, event)` when `gen` should still hear it.
 *
 * @example onUpdate(({ gen, ctx, event }) => (event.type === "fail" ? null : gen.update(ctx, event)), workload) // stop at the first failure
 */
export function onUpdate(handler: (args: UpdateArgs) => GeneratorLike, gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new OnUpdate(handler, inner);
}

class UntilOk implements Generator {
  constructor(
    readonly gen: Generator,
    /** Processes running an op this generator emitted (a handful at most: one per worker). */
    readonly active: readonly ProcessId[],
    readonly done: boolean,
  ) {}

  op(ctx: GenContext): Step {
    if (this.done) return null;
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending") {
      return {
        op: "pending",
        next: step.next === this.gen ? this : new UntilOk(step.next, this.active, false),
      };
    }
    if (step.next === null) return { op: step.op, next: null };
    const active = step.op.type === "invoke" ? [...this.active, step.op.process] : this.active;
    return { op: step.op, next: new UntilOk(step.next, active, false) };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === null) return null;
    const at = event.type === "invoke" ? -1 : this.active.indexOf(event.process);
    if (at < 0) return gen === this.gen ? this : new UntilOk(gen, this.active, this.done);
    const active = this.active.filter((_, i) => i !== at);
    return new UntilOk(gen, active, this.done || event.type === "ok");
  }
}

/**
 * Ops from `gen` until one of *its* ops completes `ok`; then exhausted (ops
 * already running finish normally). Failed and indeterminate (`info`) ops
 * just lead to another try. Combine with `limit` to bound the retries.
 *
 * @example nemesis(untilOk(repeat({ f: "start", value: "all" }))) // restart nodes until it works
 */
export function untilOk(gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new UntilOk(inner, [], false);
}
