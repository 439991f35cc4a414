/**
 * Choosing among generators: `mix`, `weighted`, `any`, `flipFlop`.
 */
import type { Op } from "../history/op.js";
import type { Random } from "../random/random.js";
import { empty, lift } from "./lift.js";
import type { GenContext, Generator, GeneratorLike, GenOp, Step } from "./types.js";

function without<T>(items: readonly T[], index: number): T[] {
  const out = items.slice();
  out.splice(index, 1);
  return out;
}

function replaced<T>(items: readonly T[], index: number, item: T): T[] {
  const out = items.slice();
  out[index] = item;
  return out;
}

class Mix implements Generator {
  constructor(
    readonly gens: readonly Generator[],
    /** Null for a uniform choice. */
    readonly weights: readonly number[] | null,
  ) {}

  private choose(random: Random, count: number, weights: readonly number[] | null): number {
    return weights === null ? random.int(0, count - 1) : random.weightedIndex(weights);
  }

  op(ctx: GenContext): Step {
    let gens = this.gens;
    let weights = this.weights;
    // Each round either returns or drops one exhausted generator, so this ends.
    while (gens.length > 0) {
      const i = gens.length === 1 ? 0 : this.choose(ctx.random, gens.length, weights);
      const chosen = gens[i]!;
      const step = chosen.op(ctx);
      if (step === null) {
        gens = without(gens, i);
        weights = weights === null ? null : without(weights, i);
        continue;
      }
      const unchanged = step.next === chosen && gens === this.gens;
      if (step.op === "pending") {
        return { op: "pending", next: unchanged ? this : new Mix(replaced(gens, i, step.next), weights) };
      }
      if (unchanged) return { op: step.op, next: this };
      if (step.next === null) {
        const rest = without(gens, i);
        return {
          op: step.op,
          next: rest.length === 0 ? null : new Mix(rest, weights === null ? null : without(weights, i)),
        };
      }
      return {
        op: step.op,
        next: new Mix(step.next === chosen ? gens : replaced(gens, i, step.next), weights),
      };
    }
    return null;
  }

  /** Like Jepsen's `mix`, children do not hear about events: they are usually plain ops or functions. */
  update(): Generator {
    return this;
  }
}

/**
 * For each op, pick one of `gens` uniformly at random (seeded) and take its
 * next op; exhausted ones drop out, and the mix ends when all have. Children
 * are not told about completions (Jepsen's `mix` does not either): wrap the
 * mix, not its children, in `untilOk` and friends.
 *
 * @example mix([{ f: "read", value: null }, (ctx) => ({ f: "write", value: ctx.random.int(0, 5) })])
 */
export function mix(gens: readonly GeneratorLike[]): Generator {
  const lifted = gens.map(lift).filter((gen): gen is Generator => gen !== null);
  return lifted.length === 0 ? empty : new Mix(lifted, null);
}

/**
 * Like `mix`, but each generator is chosen with probability proportional to
 * its weight. Weights are finite numbers >= 0; zero-weight entries are
 * dropped.
 *
 * @example weighted([[3, read], [1, write]]) // ~75% reads
 */
export function weighted(entries: readonly (readonly [weight: number, gen: GeneratorLike])[]): Generator {
  const gens: Generator[] = [];
  const weights: number[] = [];
  for (const [weight, gen] of entries) {
    if (!(Number.isFinite(weight) && weight >= 0)) throw new RangeError(`weighted: bad weight ${weight}`);
    const lifted = lift(gen);
    if (lifted === null || weight === 0) continue;
    gens.push(lifted);
    weights.push(weight);
  }
  return gens.length === 0 ? empty : new Mix(gens, weights);
}

class Any implements Generator {
  constructor(readonly gens: readonly Generator[]) {}

  op(ctx: GenContext): Step {
    const gens = this.gens;
    let best: GenOp | null = null;
    let bestIndex = -1;
    let bestNext: Generator | null = null;
    let ties = 0;
    let pending = false;
    let exhausted: number[] | null = null;
    for (let i = 0; i < gens.length; i++) {
      const step = gens[i]!.op(ctx);
      if (step === null) {
        exhausted ??= [];
        exhausted.push(i);
        continue;
      }
      if (step.op === "pending") {
        pending = true;
        continue;
      }
      const op = step.op;
      if (best === null || op.time < best.time) {
        best = op;
        bestIndex = i;
        bestNext = step.next;
        ties = 1;
      } else if (op.time === best.time) {
        // Equal times: choose uniformly among the tied (reservoir sampling), so no child starves.
        ties++;
        if (ctx.random.int(1, ties) === 1) {
          best = op;
          bestIndex = i;
          bestNext = step.next;
        }
      }
    }
    if (best === null) {
      if (!pending) return null;
      return {
        op: "pending",
        next: exhausted === null ? this : new Any(gens.filter((_, i) => !exhausted.includes(i))),
      };
    }
    const next: Generator[] = [];
    for (let i = 0; i < gens.length; i++) {
      if (i === bestIndex) {
        if (bestNext !== null) next.push(bestNext);
      } else if (exhausted === null || !exhausted.includes(i)) {
        next.push(gens[i]!);
      }
    }
    return { op: best, next: next.length === 0 ? null : new Any(next) };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    let changed = false;
    const next: Generator[] = [];
    for (const gen of this.gens) {
      const updated = gen.update(ctx, event);
      if (updated !== gen) changed = true;
      if (updated !== null) next.push(updated);
    }
    if (!changed) return this;
    return next.length === 0 ? null : new Any(next);
  }
}

/**
 * Jepsen's `any`: all of `gens` at once. Each time, every child is asked
 * and the op that starts soonest wins (ties broken at random, seeded); every
 * child hears about every event. Ends when all children are exhausted. The
 * usual way to run clients and a nemesis side by side.
 *
 * @example any(clients(workload), nemesis(faults))
 */
export function any(...gens: GeneratorLike[]): Generator {
  const lifted = gens.map(lift).filter((gen): gen is Generator => gen !== null);
  if (lifted.length === 0) return empty;
  return lifted.length === 1 ? lifted[0]! : new Any(lifted);
}

class FlipFlop implements Generator {
  constructor(
    readonly gens: readonly (Generator | null)[],
    readonly index: number,
  ) {}

  op(ctx: GenContext): Step {
    const current = this.gens[this.index];
    if (current === null || current === undefined) return null;
    const step = current.op(ctx);
    if (step === null) return null;
    if (step.op === "pending") {
      return {
        op: "pending",
        next:
          step.next === current ? this : new FlipFlop(replaced(this.gens, this.index, step.next), this.index),
      };
    }
    return {
      op: step.op,
      next: new FlipFlop(replaced(this.gens, this.index, step.next), (this.index + 1) % this.gens.length),
    };
  }

  /** Like Jepsen's `flip-flop`, children do not hear about events. */
  update(): Generator {
    return this;
  }
}

/**
 * Alternate between generators: one op from the first, one from the second,
 * and so on; ends as soon as the one whose turn it is is exhausted. Jepsen's
 * nemesis pattern: `flipFlop(start, stop)` alternates a fault and its heal.
 *
 * @example nemesis(stagger(5_000, flipFlop(repeat({ f: "kill", value: null }), repeat({ f: "start", value: null }))))
 */
export function flipFlop(first: GeneratorLike, second: GeneratorLike, ...more: GeneratorLike[]): Generator {
  const gens = [first, second, ...more].map(lift);
  return gens[0] === null ? empty : new FlipFlop(gens, 0);
}
