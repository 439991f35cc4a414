/**
 * A set: `add` a value, `read` the whole set (the completion's value is an
 * array; order does not matter). Values are interned; a state is a sorted
 * array of ids with an order-independent hash (XOR of mixed ids), so adding
 * is O(size) and hashing O(1).
 */
import { describeValue, mix32 } from "./context.js";
import { ModelInputError } from "./input-error.js";
import type { Model } from "./types.js";

export interface SetState {
  readonly ids: Int32Array;
  readonly hash: number;
}

export type SetInput =
  | { readonly kind: "add"; readonly id: number }
  | { readonly kind: "read"; readonly state: SetState };

function makeSet(ids: Int32Array): SetState {
  let hash = 0;
  for (const id of ids) hash ^= mix32(id + 0x7f4a7c15);
  return { ids, hash };
}

export const setModel: Model<SetState, SetInput> = {
  name: "set",
  description: "a set: add value, read → array of every value; initially empty",
  init: () => makeSet(new Int32Array(0)),
  prepare(op, ctx) {
    if (op.type === "fail") return undefined;
    if (op.f === "add") return { kind: "add", id: ctx.intern(op.input) };
    if (op.f === "read") {
      if (op.type !== "ok") return undefined;
      if (!Array.isArray(op.output)) {
        throw new ModelInputError(
          `op ${op.invoke.index}: a set read must return an array, got ${JSON.stringify(op.output)}`,
        );
      }
      const ids = [...new Set(op.output.map((value) => ctx.intern(value)))].sort((x, y) => x - y);
      return { kind: "read", state: makeSet(Int32Array.from(ids)) };
    }
    throw new ModelInputError(
      `op ${op.invoke.index}: unknown f ${JSON.stringify(op.f)} for a set (add, read)`,
    );
  },
  step(state, input) {
    if (input.kind === "read") return setModel.equal(state, input.state) ? state : undefined;
    const ids = state.ids;
    let at = 0;
    while (at < ids.length && ids[at]! < input.id) at++;
    if (ids[at] === input.id) return state;
    const next = new Int32Array(ids.length + 1);
    next.set(ids.subarray(0, at));
    next[at] = input.id;
    next.set(ids.subarray(at), at + 1);
    return { ids: next, hash: state.hash ^ mix32(input.id + 0x7f4a7c15) };
  },
  hash: (state) => state.hash,
  equal(a, b) {
    if (a.hash !== b.hash || a.ids.length !== b.ids.length) return false;
    for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return false;
    return true;
  },
  describeOp: (input, ctx) =>
    input.kind === "add"
      ? `add ${describeValue(ctx.valueOf(input.id))}`
      : `read ${setModel.describeState(input.state, ctx)}`,
  describeState: (state, ctx) => `{${[...state.ids].map((id) => describeValue(ctx.valueOf(id))).join(", ")}}`,
};
