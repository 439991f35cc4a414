/**
 * A FIFO queue: `enqueue` a value, `dequeue` → the oldest value. An `ok`
 * dequeue returning `null` saw an empty queue. An `info` dequeue (unknown
 * outcome) is optional and, if it happened, removed whatever was at the head.
 * States are immutable arrays of interned ids with a polynomial hash.
 */
import { describeValue, mix32 } from "./context.js";
import { ModelInputError } from "./input-error.js";
import type { Model } from "./types.js";

export interface QueueState {
  readonly ids: Int32Array;
  readonly hash: number;
}

const ENQUEUE = 0;
const DEQUEUE = 1;
/** An `info` dequeue: removes the head, whatever it is. */
const DEQUEUE_ANY = 2;

export interface QueueInput {
  readonly kind: 0 | 1 | 2;
  /** The value enqueued or dequeued (0 = none: the queue was empty). */
  readonly id: number;
}

function makeQueue(ids: Int32Array): QueueState {
  let hash = ids.length;
  for (const id of ids) hash = (Math.imul(hash, 0x01000193) ^ mix32(id)) | 0;
  return { ids, hash };
}

export const queueModel: Model<QueueState, QueueInput> = {
  name: "queue",
  description: "a FIFO queue: enqueue value, dequeue → oldest value (null when empty); initially empty",
  init: () => makeQueue(new Int32Array(0)),
  prepare(op, ctx) {
    if (op.type === "fail") return undefined;
    if (op.f === "enqueue") return { kind: ENQUEUE, id: ctx.intern(op.input) };
    if (op.f === "dequeue") {
      return op.type === "ok" ? { kind: DEQUEUE, id: ctx.intern(op.output) } : { kind: DEQUEUE_ANY, id: 0 };
    }
    throw new ModelInputError(
      `op ${op.invoke.index}: unknown f ${JSON.stringify(op.f)} for a queue (enqueue, dequeue)`,
    );
  },
  step(state, input) {
    const ids = state.ids;
    if (input.kind === ENQUEUE) {
      const next = new Int32Array(ids.length + 1);
      next.set(ids);
      next[ids.length] = input.id;
      return makeQueue(next);
    }
    if (ids.length === 0) return input.kind === DEQUEUE && input.id === 0 ? state : undefined;
    if (input.kind === DEQUEUE && ids[0] !== input.id) return undefined;
    return makeQueue(ids.slice(1));
  },
  hash: (state) => state.hash,
  equal(a, b) {
    if (a.hash !== b.hash || a.ids.length !== b.ids.length) return false;
    for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) return false;
    return true;
  },
  describeOp(input, ctx) {
    if (input.kind === ENQUEUE) return `enqueue ${describeValue(ctx.valueOf(input.id))}`;
    if (input.kind === DEQUEUE_ANY) return "dequeue (outcome unknown)";
    return input.id === 0 ? "dequeue → empty" : `dequeue → ${describeValue(ctx.valueOf(input.id))}`;
  },
  describeState: (state, ctx) =>
    state.ids.length === 0
      ? "empty"
      : `[${[...state.ids].map((id) => describeValue(ctx.valueOf(id))).join(", ")}]`,
};
