/**
 * Locks that know their holder, as Jepsen's Hazelcast tests model them:
 *
 * - `owner-mutex`: a non-reentrant lock held by one owner. `acquire` succeeds
 *   only when free; `release` only by the owner that holds it. An acquire by
 *   the holder itself is illegal (non-reentrant), and so is a release by
 *   anyone else: the plain `mutex` cannot tell those apart.
 * - `fenced-mutex`: an owner mutex whose `acquire` returns a fencing token
 *   (the completion's value: a number, or `{ fence }`), and every new hold's
 *   token is greater than every token issued before it.
 * - {@link semaphoreModel}: N permits; `acquire` takes `permits` of them
 *   (default 1) when that many are free, `release` gives back only permits
 *   its owner holds (owner-aware, Hazelcast's "acquired permits" model), or
 *   any permits (`ownerAware: false`).
 *
 * The owner of an op is its value's `owner` (or the op's `owner` field);
 * without one, its process. Give an owner when ops can end `info`: by
 * Jepsen's rule a process whose op ended `info` continues as a fresh process
 * number, so the process alone would make the lock look orphaned.
 *
 * A `fail` op did not happen and is dropped. An `info` acquire may have
 * happened; its fence is unknown, so it can only raise no bar.
 */
import type { Key } from "../../history/op.js";
import { describeValue, mix32 } from "./context.js";
import type { Model, ModelOp, PrepareContext } from "./types.js";

const ACQUIRE = 0;
const RELEASE = 1;

/** The op's owner as an interned id (never 0: 0 means "free"). */
function ownerOf(op: ModelOp, ctx: PrepareContext): number {
  const value = op.input as Record<string, unknown> | null | undefined;
  const fromValue = typeof value === "object" && value !== null ? value.owner : undefined;
  const owner = (fromValue ?? op.invoke.owner ?? op.invoke.process) as Key;
  return ctx.intern(["owner", owner]);
}

const ownerText = (id: number, ctx: PrepareContext): string => {
  const value = ctx.valueOf(id) as [string, unknown] | null;
  return value === null ? "nobody" : describeValue(value[1]);
};

function kindOf(op: ModelOp, model: string): typeof ACQUIRE | typeof RELEASE {
  if (op.f === "acquire" || op.f === "lock") return ACQUIRE;
  if (op.f === "release" || op.f === "unlock") return RELEASE;
  throw new Error(
    `op ${op.invoke.index}: unknown f ${JSON.stringify(op.f)} for a ${model} (acquire, release)`,
  );
}

export interface OwnerInput {
  readonly kind: typeof ACQUIRE | typeof RELEASE;
  readonly owner: number;
}

/** State: the holder's owner id, 0 when free. */
export const ownerMutexModel: Model<number, OwnerInput> = {
  name: "owner-mutex",
  description:
    "a non-reentrant lock with an owner: acquire when free, release only by the holder (owner = value.owner or the process)",
  init: () => 0,
  prepare(op, ctx) {
    if (op.type === "fail") return undefined;
    return { kind: kindOf(op, "owner-mutex"), owner: ownerOf(op, ctx) };
  },
  step: (state, input) =>
    input.kind === ACQUIRE ? (state === 0 ? input.owner : undefined) : state === input.owner ? 0 : undefined,
  hash: (state) => state,
  equal: (a, b) => a === b,
  describeOp: (input, ctx) =>
    `${input.kind === ACQUIRE ? "acquire" : "release"} by ${ownerText(input.owner, ctx)}`,
  describeState: (state, ctx) => (state === 0 ? "free" : `held by ${ownerText(state, ctx)}`),
};

export interface FencedState {
  readonly owner: number;
  /** The largest fence issued so far (-1 before the first). */
  readonly fence: number;
}

export interface FencedInput extends OwnerInput {
  /** The fence an ok acquire returned; undefined for a release or an acquire of unknown outcome. */
  readonly fence: number | undefined;
}

function fenceOf(op: ModelOp): number | undefined {
  if (op.type !== "ok") return undefined;
  const output = op.output as unknown;
  const fence =
    typeof output === "object" && output !== null ? (output as Record<string, unknown>).fence : output;
  if (typeof fence === "number" && Number.isSafeInteger(fence)) return fence;
  if (typeof fence === "string" && /^-?\d{1,15}$/.test(fence)) return Number(fence);
  throw new Error(
    `op ${op.invoke.index}: an ok acquire of a fenced-mutex returned ${JSON.stringify(output)}; expected its fence, an integer or { fence }`,
  );
}

export const fencedMutexModel: Model<FencedState, FencedInput> = {
  name: "fenced-mutex",
  description:
    "an owner mutex whose acquire returns a fencing token (value or { fence }) greater than every token before it",
  init: () => ({ owner: 0, fence: -1 }),
  prepare(op, ctx) {
    if (op.type === "fail") return undefined;
    const kind = kindOf(op, "fenced-mutex");
    return { kind, owner: ownerOf(op, ctx), fence: kind === ACQUIRE ? fenceOf(op) : undefined };
  },
  step(state, input) {
    if (input.kind === RELEASE)
      return state.owner === input.owner ? { owner: 0, fence: state.fence } : undefined;
    if (state.owner !== 0) return undefined;
    if (input.fence === undefined) return { owner: input.owner, fence: state.fence };
    return input.fence > state.fence ? { owner: input.owner, fence: input.fence } : undefined;
  },
  hash: (state) => mix32(Math.imul(state.owner, 0x01000193) ^ (state.fence | 0)),
  equal: (a, b) => a.owner === b.owner && a.fence === b.fence,
  describeOp: (input, ctx) =>
    input.kind === ACQUIRE
      ? `acquire by ${ownerText(input.owner, ctx)}${input.fence === undefined ? "" : ` → fence ${input.fence}`}`
      : `release by ${ownerText(input.owner, ctx)}`,
  describeState: (state, ctx) =>
    `${state.owner === 0 ? "free" : `held by ${ownerText(state.owner, ctx)}`}${state.fence < 0 ? "" : `, last fence ${state.fence}`}`,
};

export interface SemaphoreOptions {
  /** Release gives back only permits its owner holds (default true). */
  readonly ownerAware?: boolean;
}

export interface SemaphoreInput extends OwnerInput {
  readonly permits: number;
}

/** State: the owner id of every permit taken, sorted (an owner holding two appears twice); immutable. */
export type SemaphoreState = readonly number[];

function permitsOf(op: ModelOp): number {
  const value = op.input as Record<string, unknown> | null | undefined;
  const permits = typeof value === "object" && value !== null ? value.permits : undefined;
  if (permits === undefined) return 1;
  if (typeof permits === "number" && Number.isSafeInteger(permits) && permits > 0) return permits;
  throw new Error(
    `op ${op.invoke.index}: permits is ${JSON.stringify(permits)}; expected a positive integer`,
  );
}

/** An N-permit semaphore model (see the module doc). */
export function semaphoreModel(
  permits: number,
  options: SemaphoreOptions = {},
): Model<SemaphoreState, SemaphoreInput> {
  if (!Number.isSafeInteger(permits) || permits < 1)
    throw new RangeError(`semaphoreModel: permits is ${permits}; expected a positive integer`);
  const ownerAware = options.ownerAware ?? true;
  return {
    name: `semaphore-${permits}`,
    description: `a semaphore of ${permits} permits: acquire takes value.permits (default 1) when free, release gives back ${ownerAware ? "only the owner's" : "any"}`,
    init: () => [],
    prepare(op, ctx) {
      if (op.type === "fail") return undefined;
      return {
        kind: kindOf(op, "semaphore"),
        owner: ownerAware ? ownerOf(op, ctx) : 0,
        permits: permitsOf(op),
      };
    },
    step(state, input) {
      if (input.kind === ACQUIRE) {
        if (state.length + input.permits > permits) return undefined;
        const next = state.slice();
        for (let i = 0; i < input.permits; i++) next.push(input.owner);
        return next.sort((a, b) => a - b);
      }
      let mine = 0;
      for (const owner of state) if (owner === input.owner) mine++;
      if (mine < input.permits) return undefined;
      const next: number[] = [];
      let dropped = 0;
      for (const owner of state) {
        if (owner === input.owner && dropped < input.permits) dropped++;
        else next.push(owner);
      }
      return next;
    },
    hash(state) {
      let hash = state.length;
      for (const owner of state) hash = (Math.imul(hash, 0x01000193) ^ mix32(owner)) | 0;
      return hash;
    },
    equal: (a, b) => a.length === b.length && a.every((owner, i) => owner === b[i]),
    describeOp: (input, ctx) =>
      `${input.kind === ACQUIRE ? "acquire" : "release"} ${input.permits}${ownerAware ? ` by ${ownerText(input.owner, ctx)}` : ""}`,
    describeState: (state, ctx) =>
      state.length === 0
        ? `all ${permits} permits free`
        : `${state.length} of ${permits} taken${ownerAware ? ` (by ${state.map((o) => ownerText(o, ctx)).join(", ")})` : ""}`,
  };
}
