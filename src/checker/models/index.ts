/**
 * The models the linearizability checker ships, by name (what `--model`
 * takes). To check your own system's semantics, write a `Model` (see
 * `types.ts` for a worked example) and pass it to `linearizable({ model })`
 * or `checkLinearizable(history, model)`; it need not be registered.
 */
import { mutexModel } from "./mutex.js";
import { fencedMutexModel, ownerMutexModel } from "./owned-locks.js";
import { porcupineKvModel } from "./porcupine-kv.js";
import { queueModel } from "./queue.js";
import { casRegisterModel, kvModel, registerModel } from "./register.js";
import { setModel } from "./set.js";
import type { AnyModel } from "./types.js";

export { createPrepareContext, describeValue } from "./context.js";
export { ModelInputError } from "./input-error.js";
export { mutexModel } from "./mutex.js";
export {
  type FencedInput,
  type FencedState,
  fencedMutexModel,
  type OwnerInput,
  ownerMutexModel,
  type SemaphoreInput,
  type SemaphoreOptions,
  type SemaphoreState,
  semaphoreModel,
} from "./owned-locks.js";
export { porcupineKvModel } from "./porcupine-kv.js";
export { queueModel } from "./queue.js";
export { casRegisterModel, kvModel, registerModel } from "./register.js";
export { setModel } from "./set.js";
export type { AnyModel, Model, ModelOp, PrepareContext, RegisterView } from "./types.js";

/** Every shipped model by name. */
export const models: Readonly<Record<string, AnyModel>> = {
  register: registerModel,
  "cas-register": casRegisterModel,
  kv: kvModel,
  mutex: mutexModel,
  set: setModel,
  queue: queueModel,
  "porcupine-kv": porcupineKvModel,
  "owner-mutex": ownerMutexModel,
  "fenced-mutex": fencedMutexModel,
};

export const modelNames: readonly string[] = Object.keys(models);

/** A model by name, or undefined. */
export function modelByName(name: string): AnyModel | undefined {
  return Object.hasOwn(models, name) ? models[name] : undefined;
}
