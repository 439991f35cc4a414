/**
 * Sequencing: `concat`, `synchronize`, `phases`, `andThen`.
 */
import type { Op } from "../history/op.js";
import { empty, lift } from "./lift.js";
import type { GenContext, Generator, GeneratorLike, Step } from "./types.js";

/**
 * Run generators one after the other, each to exhaustion, without waiting in
 * between: the first op of the next may start while ops of the previous are
 * still running. Same as passing an array.
 *
 * @example concat({ f: "write", value: 1 }, repeat(3, { f: "read", value: null }))
 */
export function concat(...gens: GeneratorLike[]): Generator {
  return lift(gens) ?? empty;
}

class Synchronize implements Generator {
  constructor(readonly gen: Generator) {}

  op(ctx: GenContext): Step {
    if (ctx.freeWorkers.length < ctx.workers.length) return { op: "pending", next: this };
    // Once everyone was free, the barrier is passed: the child runs unwrapped from now on.
    return this.gen.op(ctx);
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const gen = this.gen.update(ctx, event);
    if (gen === this.gen) return this;
    return gen === null ? null : new Synchronize(gen);
  }
}

/**
 * Wait until every worker this generator can see is free (all ops started
 * before completed), then behave like `gen`. Under `clients(...)` that means
 * every client worker; at the top level, every worker including the nemesis.
 */
export function synchronize(gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new Synchronize(inner);
}

/**
 * Jepsen's `phases`: run each generator to exhaustion, and start the next
 * only once every op of the previous one has completed (a barrier between
 * phases). The usual shape of a test: workload with faults, heal, let the
 * system settle, final reads.
 *
 * @example phases(timeLimit(20_000, any(clients(workload), nemesis(faults))), nemesis(heal), clients(finalReads()))
 */
export function phases(...gens: GeneratorLike[]): Generator {
  return lift(gens.map((gen) => synchronize(gen))) ?? empty;
}

/**
 * `first`, a barrier, then `second`. Note the argument order reads left to
 * right, unlike Jepsen's `then` (which takes them reversed for `->>`), and
 * the name: a module exporting `then` would make `await import(...)` treat
 * the module as a promise.
 *
 * @example andThen(timeLimit(10_000, workload), finalReads())
 */
export function andThen(first: GeneratorLike, second: GeneratorLike): Generator {
  return lift([first, synchronize(second)]) ?? empty;
}
