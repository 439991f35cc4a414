/**
 * Routing: which workers a generator may use. `clients` and `nemesis` split
 * the test between client workers and the fault injector; `onWorkers` is the
 * general form; `eachWorker` gives every worker its own copy of a generator.
 */
import type { Op } from "../history/op.js";
import type { Random } from "../random/random.js";
import { STREAMS, workerStreamLabel } from "../random/streams.js";
import { restrictContext } from "./_internals/context.js";
import { empty, lift } from "./lift.js";
import type { GenContext, Generator, GeneratorLike, GenOp, Step, WorkerId } from "./types.js";

const NO_WORKERS: readonly WorkerId[] = Object.freeze([]);
const NEMESIS_ONLY: readonly WorkerId[] = Object.freeze(["nemesis"]);

/** One-entry cache: contexts built from the same snapshot share their filtered lists. */
/** Memo of `workers.slice(0, -1)` for one input array: one per call site, so two inputs never thrash one memo. */
function clientsMemo(): (workers: readonly WorkerId[]) => readonly WorkerId[] {
  let input: readonly WorkerId[] | null = null;
  let output: readonly WorkerId[] = NO_WORKERS;
  return (workers) => {
    if (workers.length === 0 || workers[workers.length - 1] !== "nemesis") return workers;
    if (workers !== input) {
      input = workers;
      output = workers.slice(0, -1);
    }
    return output;
  };
}

const clientsOfAll = clientsMemo();
const clientsOfFree = clientsMemo();

function nemesisOf(workers: readonly WorkerId[]): readonly WorkerId[] {
  return workers.length > 0 && workers[workers.length - 1] === "nemesis" ? NEMESIS_ONLY : NO_WORKERS;
}

/** Which workers one side of a test owns, which events it hears, and the name of its stream. */
interface Side {
  readonly stream: "clients" | "nemesis";
  readonly workersOf: (workers: readonly WorkerId[]) => readonly WorkerId[];
  readonly freeOf: (workers: readonly WorkerId[]) => readonly WorkerId[];
  /** Decided by the process, not workerOf: an event may come from a process that was just replaced. */
  readonly hears: (event: Op) => boolean;
}

const CLIENT_SIDE: Side = {
  stream: STREAMS.clients.label,
  workersOf: clientsOfAll,
  freeOf: clientsOfFree,
  hears: (event) => event.process !== "nemesis",
};

const NEMESIS_SIDE: Side = {
  stream: STREAMS.nemesis.label,
  workersOf: nemesisOf,
  freeOf: nemesisOf,
  hears: (event) => event.process === "nemesis",
};

/**
 * Routes a generator to one side's workers. Op k draws from
 * `random.fork(side).fork(String(k))`: the runner polls speculatively and asks
 * again when a completion arrives before an op is due, so a stream that
 * advanced on every poll would make the k-th op depend on timing; this way the
 * same seed gives the same k-th op however often it is asked, and one side's
 * draws never shift the other's.
 */
class Routed implements Generator {
  constructor(
    readonly side: Side,
    readonly gen: Generator,
    /** `random.fork(side.stream)`, kept once forked. */
    readonly base: Random | null,
    /** Ops emitted so far. */
    readonly emitted: number,
  ) {}

  private view(ctx: GenContext, random: Random): GenContext {
    return restrictContext(ctx, this.side.workersOf(ctx.workers), this.side.freeOf(ctx.freeWorkers), random);
  }

  op(ctx: GenContext): Step {
    const base = this.base ?? ctx.random.fork(this.side.stream);
    const view = this.view(ctx, base.fork(String(this.emitted)));
    if (view.workers.length === 0) return null;
    const step = this.gen.op(view);
    if (step === null) return null;
    if (step.op === "pending") {
      const unchanged = step.next === this.gen && base === this.base;
      return { op: "pending", next: unchanged ? this : new Routed(this.side, step.next, base, this.emitted) };
    }
    const next = step.next === null ? null : new Routed(this.side, step.next, base, this.emitted + 1);
    return { op: step.op, next };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    if (!this.side.hears(event)) return this;
    const base = this.base ?? ctx.random.fork(this.side.stream);
    const gen = this.gen.update(this.view(ctx, base.fork(`update-${this.emitted}`)), event);
    if (gen === this.gen && base === this.base) return this;
    return gen === null ? null : new Routed(this.side, gen, base, this.emitted);
  }
}

/**
 * Only client workers run `gen`'s ops, and `gen` hears only about client
 * events; its randomness is the clients' own stream, one fork per op (see
 * `Routed`). The runner wraps a test's workload in it.
 *
 * @example clients(stagger(10, (ctx) => ({ f: "read", key: ctx.random.int(0, 4), value: null })))
 */
export function clients(gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new Routed(CLIENT_SIDE, inner, null, 0);
}

/**
 * Only the nemesis worker runs `gen`'s ops, and `gen` hears only about
 * nemesis events. If the test has no nemesis worker, `gen` is skipped
 * (exhausted) rather than waiting forever.
 *
 * Randomness: `gen` never draws from the clients' stream. Op k of the
 * schedule (counting from 0) draws from `random.fork("nemesis").fork(k)`,
 * a stream that depends only on the seed and k. So the fault schedule does
 * not shift when the workload draws one number more, and asking again for
 * the same op (the runner re-asks when a completion arrives before a
 * scheduled op is due) gives the same answer.
 *
 * @example nemesis(stagger(5_000, flipFlop(repeat({ f: "kill", value: null }), repeat({ f: "start", value: null }))))
 */
export function nemesis(gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new Routed(NEMESIS_SIDE, inner, null, 0);
}

class OnWorkers implements Generator {
  constructor(
    readonly accept: (worker: WorkerId) => boolean,
    readonly gen: Generator,
  ) {}

  private view(ctx: GenContext): GenContext {
    return restrictContext(ctx, ctx.workers.filter(this.accept), ctx.freeWorkers.filter(this.accept));
  }

  op(ctx: GenContext): Step {
    const view = this.view(ctx);
    if (view.workers.length === 0) return null;
    const step = this.gen.op(view);
    if (step === null) return null;
    const next =
      step.next === null ? null : step.next === this.gen ? this : new OnWorkers(this.accept, step.next);
    return step.op === "pending" ? { op: "pending", next: next ?? this } : { op: step.op, next };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const worker = ctx.workerOf(event.process);
    if (worker === undefined || !this.accept(worker)) return this;
    const gen = this.gen.update(this.view(ctx), event);
    if (gen === this.gen) return this;
    return gen === null ? null : new OnWorkers(this.accept, gen);
  }
}

/**
 * Only workers for which `accept(worker)` holds run `gen`'s ops and hear
 * about events (Jepsen's `on-threads`). O(workers) per op; prefer `clients`
 * and `nemesis`, which are O(1). Exhausted when no worker is accepted.
 *
 * @example onWorkers((worker) => worker !== "nemesis" && worker < 2, repeat({ f: "read", value: null }))
 */
export function onWorkers(accept: (worker: WorkerId) => boolean, gen: GeneratorLike): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new OnWorkers(accept, inner);
}

interface Slot {
  /** Null once this worker's copy is exhausted. */
  readonly gen: Generator | null;
  /** The worker's own stream, `random.fork("worker-<id>")`. */
  readonly random: Random;
  /** `[worker]`, the worker list its copy sees. */
  readonly only: readonly WorkerId[];
}

class EachWorker implements Generator {
  constructor(
    readonly factory: (worker: WorkerId) => GeneratorLike,
    /** Client workers' slots by number, created on first use. */
    readonly slots: readonly (Slot | undefined)[],
    readonly nemesisSlot: Slot | undefined,
  ) {}

  private slotOf(worker: WorkerId): Slot | undefined {
    return worker === "nemesis" ? this.nemesisSlot : this.slots[worker];
  }

  private newSlot(worker: WorkerId, ctx: GenContext): Slot {
    return {
      gen: lift(this.factory(worker)),
      random: ctx.random.fork(workerStreamLabel(worker)),
      only: [worker],
    };
  }

  op(ctx: GenContext): Step {
    // Copy-on-write: the slot array is copied at most once per call, and only when a slot changes.
    const state: { slots: (Slot | undefined)[] | null; nemesisSlot: Slot | undefined } = {
      slots: null,
      nemesisSlot: this.nemesisSlot,
    };
    const set = (worker: WorkerId, slot: Slot): void => {
      if (worker === "nemesis") {
        state.nemesisSlot = slot;
      } else {
        state.slots ??= this.slots.slice();
        state.slots[worker] = slot;
      }
    };
    const get = (worker: WorkerId): Slot | undefined =>
      worker === "nemesis" ? state.nemesisSlot : (state.slots ?? this.slots)[worker];
    let best: GenOp | null = null;
    let bestWorker: WorkerId = 0;
    let bestNext: Generator | null = null;
    let pending = false;
    for (const worker of ctx.freeWorkers) {
      let slot = get(worker);
      if (slot === undefined) {
        slot = this.newSlot(worker, ctx);
        set(worker, slot);
      }
      if (slot.gen === null) continue;
      const step = slot.gen.op(restrictContext(ctx, slot.only, slot.only, slot.random));
      if (step === null) {
        set(worker, { gen: null, random: slot.random, only: slot.only });
      } else if (step.op === "pending") {
        pending = true;
      } else if (best === null || step.op.time < best.time) {
        // Earliest op wins; on equal times the first free worker does (no draw needed: every copy gets its turn).
        best = step.op;
        bestWorker = worker;
        bestNext = step.next;
      }
    }
    if (best !== null) {
      const slot = get(bestWorker)!;
      set(bestWorker, { gen: bestNext, random: slot.random, only: slot.only });
      return { op: best, next: new EachWorker(this.factory, state.slots ?? this.slots, state.nemesisSlot) };
    }
    if (pending || ctx.freeWorkers.length < ctx.workers.length) {
      const changed = state.slots !== null || state.nemesisSlot !== this.nemesisSlot;
      return {
        op: "pending",
        next: changed ? new EachWorker(this.factory, state.slots ?? this.slots, state.nemesisSlot) : this,
      };
    }
    return null;
  }

  update(ctx: GenContext, event: Op): Generator | null {
    const worker = ctx.workerOf(event.process);
    if (worker === undefined) return this;
    // A worker this generator never gave an op to has nothing to learn from the event.
    const slot = this.slotOf(worker);
    if (slot === undefined || slot.gen === null) return this;
    const gen = slot.gen.update(restrictContext(ctx, slot.only, slot.only, slot.random), event);
    if (gen === slot.gen) return this;
    const updated: Slot = { gen, random: slot.random, only: slot.only };
    if (worker === "nemesis") return new EachWorker(this.factory, this.slots, updated);
    const slots = this.slots.slice();
    slots[worker] = updated;
    return new EachWorker(this.factory, slots, this.nemesisSlot);
  }
}

/**
 * Every worker runs its own copy of `gen`, independently: with 5 workers,
 * `eachWorker(once(read))` makes 5 reads, one per worker. Each copy sees a
 * context with just its worker and draws from its own stream,
 * `random.fork("worker-<id>")`. Generators are immutable, so "a copy" is the
 * same value; use `eachWorkerFrom` when copies should differ. Exhausted once
 * every worker's copy is. The common final phase: `clients(eachWorker(read))`.
 *
 * @example clients(eachWorker([{ f: "read", key: "a", value: null }, { f: "read", key: "b", value: null }]))
 */
export function eachWorker(gen: GeneratorLike): Generator {
  return new EachWorker(() => gen, [], undefined);
}

/**
 * Like `eachWorker`, with a generator built per worker by `factory(worker)`
 * (called once per worker, on its first use; it must not depend on anything
 * but its argument).
 *
 * @example clients(eachWorkerFrom((worker) => repeat(3, { f: "write", value: worker })))
 */
export function eachWorkerFrom(factory: (worker: WorkerId) => GeneratorLike): Generator {
  return new EachWorker(factory, [], undefined);
}
