/**
 * Models: the sequential specification a linearizability checker compares a
 * concurrent history against.
 *
 * A model is a plain object of pure functions. The checker turns every
 * operation of the history (an invocation and its completion) into a *step
 * input* once, with `prepare`, then searches for an order of those inputs in
 * which `step` accepts every one, starting from `init()`:
 *
 * ```ts
 * import type { Model } from "crucible/checker/models";
 * // A counter that can be incremented and read.
 * type Input = { kind: "add"; by: number } | { kind: "read"; seen: number };
 * export const counter: Model<number, Input> = {
 *   name: "counter",
 *   init: () => 0,
 *   prepare: (op) => {
 *     if (op.type === "fail") return undefined; // did not happen: drop it
 *     if (op.f === "add") return { kind: "add", by: Number(op.input) };
 *     if (op.f === "read") return op.type === "ok" ? { kind: "read", seen: Number(op.output) } : undefined;
 *     throw new Error(`counter: unknown f ${op.f}`);
 *   },
 *   step: (state, input) =>
 *     input.kind === "add" ? state + input.by : input.seen === state ? state : undefined,
 *   hash: (state) => state | 0,
 *   equal: (a, b) => a === b,
 *   describeOp: (input) => (input.kind === "add" ? `add ${input.by}` : `read ${input.seen}`),
 *   describeState: (state) => String(state),
 * };
 * ```
 *
 * Rules a model must follow, and why:
 * - `step` is pure: it returns a new state (never mutating the old one, which
 *   the search keeps on its stack) or `undefined` when the op is illegal in
 *   that state. States are therefore never `undefined`.
 * - `hash` and `equal` identify states for the search's cache of visited
 *   (linearized set, state) pairs; equal states must hash alike. Returning a
 *   32-bit integer keeps the cache lookup allocation-free.
 * - `prepare` sees the op's completion type. By Crucible's rule a `fail` op
 *   did not take effect, so models drop it by returning `undefined`; an
 *   `info` op (outcome unknown) is kept and the checker treats it as optional
 *   and completing at +infinity, so `prepare` should return the input the op
 *   would have had if it succeeded (or `undefined` when it cannot matter, like
 *   a read whose result is unknown).
 * - `partitionKey` (optional) enables P-compositionality: when ops on
 *   different keys are independent, the checker splits the history per key
 *   and checks each part alone, which is exponentially cheaper.
 */
import type { CompletionType, Key, Op } from "../../history/op.js";

/** One operation as a model sees it: the invocation and its completion merged. */
export interface ModelOp {
  /** The operation's function: `read`, `write`, `cas`, `get`, `append`, ... */
  f: string;
  /** The invocation's value: what was asked (a write's value, a cas's `[expected, new]`). */
  input: unknown;
  /** The completion's value: what came back. `undefined` when the outcome is unknown (`info`). */
  output: unknown;
  /** How the op ended; `info` also covers an invocation that never completed. */
  type: CompletionType;
  /** The key of a keyed workload (from the invocation). */
  key: Key | undefined;
  /** The ops themselves, for models that read extra fields. */
  invoke: Op;
  completion: Op | undefined;
}

/**
 * Shared per-check tables a model may use in `prepare` to turn values into
 * small integers, so that states can be numbers and `step` allocation-free.
 * A fresh context is made for every check.
 */
export interface PrepareContext {
  /** A dense integer id for a value (compared by canonical JSON); `null` and `undefined` are always 0. */
  intern(value: unknown): number;
  /** The value behind an id from `intern`. */
  valueOf(id: number): unknown;
}

export interface Model<State = unknown, Input = unknown> {
  /** The name in the registry and in reports. */
  readonly name: string;
  /** One line for `--help` and docs. */
  readonly description?: string;
  /** The initial state. */
  init(ctx: PrepareContext): State;
  /**
   * Turn one op into its step input, once per check; `undefined` drops the op
   * (a failed op, an unknown read). Throw an `Error` naming the op for a value
   * of the wrong shape.
   */
  prepare(op: ModelOp, ctx: PrepareContext): Input | undefined;
  /** The state after `input`, or `undefined` when `input` is illegal in `state`. Pure. */
  step(state: State, input: Input): State | undefined;
  /** A 32-bit integer; equal states must hash alike. */
  hash(state: State): number;
  equal(a: State, b: State): boolean;
  /** The key ops are partitioned on, when ops on different keys are independent. */
  partitionKey?(op: ModelOp): Key | undefined;
  /** The op in words, e.g. `write 3`, `read 5` (explanations add the key and times). */
  describeOp(input: Input, ctx: PrepareContext): string;
  /** The state in words, e.g. `5` or `no value`. */
  describeState(state: State, ctx: PrepareContext): string;
  /**
   * Register-like models only: what the op reads and writes, as interned ids
   * (0 = the initial "no value"). Enables the checker's fast path for
   * histories whose written values are unique (see `fastpath.ts`): it decides
   * impossible and stale reads in O(n log n) instead of an exponential search.
   * Return `undefined` only for ops that write nothing (a failed compare).
   */
  registerView?(input: Input): RegisterView | undefined;
}

/** What a register-like op reads and writes (interned value ids). */
export interface RegisterView {
  /** The value the op observed (a read's result, a successful cas's expected value). */
  reads?: number;
  /** The value the op stored (a write's value, a successful cas's new value). */
  writes?: number;
  /** Which register, for keyed models (an id from the model's own table); the fast path needs one per partition. */
  key: number;
}

/**
 * A model with its type parameters erased, as stored in the registry. Methods
 * are bivariant in TypeScript, so every `Model<S, I>` is assignable to it.
 */
export type AnyModel = Model<unknown, unknown>;
