/**
 * Counting combinators: `limit`, `once`, `repeat`, `cycle`.
 */
import type { Op } from "../history/op.js";
import { empty, lift } from "./lift.js";
import type { GenContext, Generator, GeneratorLike, Step } from "./types.js";

class Limit implements Generator {
  constructor(
    readonly remaining: number,
    readonly gen: Generator,
  ) {}

  op(ctx: GenContext): Step {
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending")
      return { op: "pending", next: step.next === this.gen ? this : new Limit(this.remaining, step.next) };
    const remaining = this.remaining - 1;
    return {
      op: step.op,
      next: remaining > 0 && step.next !== null ? new Limit(remaining, step.next) : null,
    };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === this.gen) return this;
    return gen === null ? null : new Limit(this.remaining, gen);
  }
}

/**
 * At most `count` ops from `gen` (pending answers do not count).
 *
 * @example limit(100, mix([read, write])) // 100 ops, then exhausted
 */
export function limit(count: number, gen: GeneratorLike): Generator {
  if (!(Number.isInteger(count) && count >= 0))
    throw new RangeError(`limit: count must be an integer >= 0, got ${count}`);
  const inner = lift(gen);
  return inner === null || count === 0 ? empty : new Limit(count, inner);
}

/**
 * Only the first op of `gen`.
 *
 * @example once(repeat({ f: "read", value: null })) // a single read
 */
export function once(gen: GeneratorLike): Generator {
  return limit(1, gen);
}

class Repeat implements Generator {
  constructor(
    /** Ops left; -1 for no end. */
    readonly remaining: number,
    readonly gen: Generator,
  ) {}

  op(ctx: GenContext): Step {
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending") return { op: "pending", next: this };
    if (this.remaining < 0) return { op: step.op, next: this };
    return { op: step.op, next: this.remaining > 1 ? new Repeat(this.remaining - 1, this.gen) : null };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === this.gen) return this;
    return gen === null ? null : new Repeat(this.remaining, gen);
  }
}

/**
 * Jepsen's `repeat`: emit the *first* op of `gen` again and again (the rest
 * of `gen` is never used), `count` times or forever. The op gets a fresh
 * process and time each time. Updates reach `gen`.
 *
 * @example repeat({ f: "read", value: null })      // reads forever
 * @example repeat(3, { f: "write", value: 1 })     // three writes
 */
export function repeat(gen: GeneratorLike): Generator;
export function repeat(count: number, gen: GeneratorLike): Generator;
export function repeat(countOrGen: number | GeneratorLike, maybeGen?: GeneratorLike): Generator {
  const [count, gen] = typeof countOrGen === "number" ? [countOrGen, maybeGen] : [-1, countOrGen];
  if (count !== -1 && !(Number.isInteger(count) && count >= 0)) {
    throw new RangeError(`repeat: count must be an integer >= 0, got ${count}`);
  }
  const inner = lift(gen);
  return inner === null || count === 0 ? empty : new Repeat(count, inner);
}

class Cycle implements Generator {
  constructor(
    /** Rounds left, including the current one; -1 for no end. */
    readonly remaining: number,
    readonly original: Generator,
    readonly current: Generator,
  ) {}

  op(ctx: GenContext): Step {
    let remaining = this.remaining;
    let current: Generator | null = this.current;
    // A round that yields nothing from a fresh start would yield nothing forever: stop instead of spinning.
    let freshRound = false;
    for (;;) {
      const step: Step = current === null ? null : current.op(ctx);
      if (step !== null) {
        if (step.op === "pending") {
          return {
            op: "pending",
            next:
              step.next === this.current && remaining === this.remaining
                ? this
                : new Cycle(remaining, this.original, step.next),
          };
        }
        const next =
          step.next !== null
            ? new Cycle(remaining, this.original, step.next)
            : remaining === 1
              ? null
              : new Cycle(remaining < 0 ? -1 : remaining - 1, this.original, this.original);
        return { op: step.op, next };
      }
      if (freshRound || remaining === 1) return null;
      remaining = remaining < 0 ? -1 : remaining - 1;
      current = this.original;
      freshRound = true;
    }
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const current = this.current.update(ctx, event);
    if (current === this.current) return this;
    // The current round ended on this event; the next round starts from the original.
    if (current === null)
      return this.remaining === 1
        ? null
        : new Cycle(this.remaining < 0 ? -1 : this.remaining - 1, this.original, this.original);
    return new Cycle(this.remaining, this.original, current);
  }
}

/**
 * Run `gen` to exhaustion, then again from its start, `rounds` times or
 * forever. Generators are immutable, so "from its start" is just the value
 * you passed. A round that yields no op at all ends the cycle (rather than
 * spinning forever).
 *
 * @example cycle(2, [{ f: "write", value: 1 }, { f: "read", value: null }]) // w r w r
 */
export function cycle(gen: GeneratorLike): Generator;
export function cycle(rounds: number, gen: GeneratorLike): Generator;
export function cycle(roundsOrGen: number | GeneratorLike, maybeGen?: GeneratorLike): Generator {
  const [rounds, gen] = typeof roundsOrGen === "number" ? [roundsOrGen, maybeGen] : [-1, roundsOrGen];
  if (rounds !== -1 && !(Number.isInteger(rounds) && rounds >= 0)) {
    throw new RangeError(`cycle: rounds must be an integer >= 0, got ${rounds}`);
  }
  const inner = lift(gen);
  return inner === null || rounds === 0 ? empty : new Cycle(rounds, inner, inner);
}
