/**
 * Generators: what operations a test performs, on which worker, and when.
 * Jepsen's `jepsen.generator`, in TypeScript. Import the module as a
 * namespace, as Jepsen users write `gen/mix`:
 *
 * ```ts
 * import * as gen from "crucible/generator";
 * ```
 *
 * **Ops are data.** The simplest generator is an invocation: `{ f: "read",
 * value: null }` emits one read, to a free worker (chosen at random); the
 * runner fills in its process and start time. A function is a generator that
 * is called for every op (Jepsen's `(fn [] ...)`), so
 *
 * ```ts
 * const read = { f: "read", value: null };
 * const write = (ctx: GenContext) => ({ f: "write", value: ctx.random.int(0, 4) });
 * ```
 *
 * gives one read, and writes of random values forever. An array runs its
 * elements one after the other. Randomness always comes from `ctx.random`,
 * never `Math.random`: one seed replays a whole run.
 *
 * **Combinators shape the stream.** `gen.mix([read, write])` picks one at
 * random per op; `gen.stagger(10, ...)` spaces ops ~10 ms apart (in total,
 * not per worker); `gen.timeLimit(20_000, ...)` stops after 20 s; `gen.limit`,
 * `gen.repeat`, `gen.cycle` count. Faults are ops too, run by the nemesis
 * worker: `gen.nemesis(...)` routes ops there, `gen.clients(...)` to client
 * workers only, and `gen.any(a, b)` runs both side by side:
 *
 * ```ts
 * const workload = gen.stagger(5, gen.mix([read, write]));
 * const faults = gen.nemesis(gen.stagger(3_000, gen.flipFlop(
 *   gen.repeat({ f: "kill", value: null }), gen.repeat({ f: "start", value: null }))));
 * const test = gen.phases(
 *   gen.timeLimit(20_000, gen.any(gen.clients(workload), faults)),
 *   gen.finalPhase({ heal: { f: "start-all", value: null }, quiesceMs: 1_000, reads: gen.finalReads() }),
 * );
 * ```
 *
 * `phases` waits for every op of one phase to complete before the next
 * begins; `eachWorker` gives every worker its own copy (one final read per
 * worker); `untilOk` retries until an op succeeds. In a `defineTest`, you
 * usually give the workload as `generator`, the fault schedule to the
 * nemesis, and the final reads as `finalGenerator`: the runner routes and
 * sequences them as above.
 *
 * **Test with `simulate`, not a cluster.** Generators never sleep and never
 * read the clock: a fake clock drives them, so a unit test runs 10,000 ops in
 * milliseconds and the same seed always gives the same history:
 *
 * ```ts
 * const { history } = gen.simulate(gen.limit(10, workload), { seed: 7, concurrency: 3 });
 * ```
 *
 * `perfect` and `imperfect` are the shortcuts (every op ok; a seeded mix of
 * ok, fail and info). Under the hood a generator is an immutable value with
 * two methods, `op(ctx)` (next op, `"pending"` or exhausted) and
 * `update(ctx, event)`; see `types.ts` to write your own. The interpreter
 * that drives them (the worker table, the context and the driver the runner
 * and `simulate` share) lives in `_internals/` and is not part of the API.
 */
export * from "./choice.js";
export * from "./final.js";
export * from "./lift.js";
export * from "./limit.js";
export * from "./phases.js";
export * from "./route.js";
export * from "./simulate.js";
export * from "./time.js";
export * from "./transform.js";
export * from "./txn.js";
export type * from "./types.js";
