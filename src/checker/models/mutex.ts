/**
 * A mutex: `acquire` succeeds only when free, `release` only when held.
 * State 0 = free, 1 = held. A failed op did not happen (dropped); an `info`
 * acquire or release may have happened (optional).
 */

import { ModelInputError } from "./input-error.js";
import type { Model } from "./types.js";

const ACQUIRE = 0;
const RELEASE = 1;

export const mutexModel: Model<number, number> = {
  name: "mutex",
  description: "a lock: acquire (when free), release (when held); initially free",
  init: () => 0,
  prepare(op) {
    if (op.type === "fail") return undefined;
    if (op.f === "acquire" || op.f === "lock") return ACQUIRE;
    if (op.f === "release" || op.f === "unlock") return RELEASE;
    throw new ModelInputError(
      `op ${op.invoke.index}: unknown f ${JSON.stringify(op.f)} for a mutex (acquire, release)`,
    );
  },
  step: (state, input) => (input === ACQUIRE ? (state === 0 ? 1 : undefined) : state === 1 ? 0 : undefined),
  hash: (state) => state,
  equal: (a, b) => a === b,
  describeOp: (input) => (input === ACQUIRE ? "acquire" : "release"),
  describeState: (state) => (state === 0 ? "free" : "held"),
};
