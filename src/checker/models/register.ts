/**
 * Registers: `register` (read/write), `cas-register` (read/write/cas) and
 * `kv` (a register per key, partitioned by key).
 *
 * Values are interned to integers when the history is prepared, so a state is
 * one integer (0 = "no value", the initial state) and `step` never allocates.
 *
 * Op semantics (docs/histories.md): `read` → the completion's value is what was read,
 * `null` meaning no value; `write` → the invocation's value; `cas` → the
 * invocation's value is `[expected, new]`, and an `ok` cas swapped.
 *
 * A `fail` op did not take effect (Crucible's rule, and Jepsen's: Knossos
 * drops failed ops), so it is dropped — with one exception. A cas whose
 * completion carries `compareFailed: true` *happened* and returned false: the
 * register did not hold `expected` at that moment. That is what etcd reports
 * for a cas that lost its compare, and what Porcupine's etcd model checks, so
 * the Porcupine etcd importer marks failed cas ops this way; a client of ours
 * that knows its compare failed may set it too. It is a stronger check than
 * dropping the op, and sound only when the client knows the compare ran.
 * An `info` write or cas is kept as optional; an `info` read tells nothing and
 * is dropped.
 */
import type { Key } from "../../history/op.js";
import { keyIdentity } from "../../history/values.js";
import { describeValue, mix32 } from "./context.js";
import { ModelInputError } from "./input-error.js";
import type { Model, ModelOp, PrepareContext, RegisterView } from "./types.js";

export const READ = 0;
export const WRITE = 1;
export const CAS = 2;
/** A cas that ran and found a value other than `expected` (`compareFailed: true`). */
export const CAS_MISMATCH = 3;

/** A prepared register op: `kind` and interned values `a` (read/written/expected) and `b` (cas new value). */
export interface RegisterInput {
  readonly kind: 0 | 1 | 2 | 3;
  readonly a: number;
  readonly b: number;
  /** Key index (kv only; 0 for a single register). */
  readonly key: number;
}

function casPair(op: ModelOp): [unknown, unknown] {
  const value = op.input;
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ModelInputError(
      `op ${op.invoke.index}: a cas value must be [expected, new], got ${JSON.stringify(value)}`,
    );
  }
  return [value[0], value[1]];
}

/** Shared by the three register models; `allowCas` false makes cas an error. */
export function prepareRegisterOp(
  op: ModelOp,
  ctx: PrepareContext,
  options: { allowCas: boolean; key: number },
): RegisterInput | undefined {
  const { key } = options;
  if (op.f === "cas" && !options.allowCas) {
    throw new ModelInputError(
      `op ${op.invoke.index}: cas is not an operation of the plain register model (use cas-register)`,
    );
  }
  if (op.type === "fail") {
    if (op.f === "cas" && op.completion?.compareFailed === true) {
      const [expected, next] = casPair(op);
      return { kind: CAS_MISMATCH, a: ctx.intern(expected), b: ctx.intern(next), key };
    }
    return undefined;
  }
  switch (op.f) {
    case "read":
      return op.type === "ok" ? { kind: READ, a: ctx.intern(op.output), b: 0, key } : undefined;
    case "write":
      return { kind: WRITE, a: ctx.intern(op.input), b: 0, key };
    case "cas": {
      const [expected, next] = casPair(op);
      return { kind: CAS, a: ctx.intern(expected), b: ctx.intern(next), key };
    }
    default:
      throw new ModelInputError(
        `op ${op.invoke.index}: unknown f ${JSON.stringify(op.f)} for a register (read, write, cas)`,
      );
  }
}

/** One register transition on interned values; -1 when illegal. */
export function stepRegisterValue(value: number, input: RegisterInput): number {
  switch (input.kind) {
    case READ:
      return input.a === value ? value : -1;
    case WRITE:
      return input.a;
    case CAS:
      return input.a === value ? input.b : -1;
    default:
      return input.a !== value ? value : -1;
  }
}

export function describeRegisterOp(input: RegisterInput, ctx: PrepareContext): string {
  const a = describeValue(ctx.valueOf(input.a));
  switch (input.kind) {
    case READ:
      return `read ${a}`;
    case WRITE:
      return `write ${a}`;
    case CAS:
      return `cas ${a} → ${describeValue(ctx.valueOf(input.b))}`;
    default:
      return `cas ${a} → ${describeValue(ctx.valueOf(input.b))} (failed: the register did not hold ${a})`;
  }
}

export function registerViewOf(input: RegisterInput): RegisterView | undefined {
  switch (input.kind) {
    case READ:
      return { reads: input.a, key: input.key };
    case WRITE:
      return { writes: input.a, key: input.key };
    case CAS:
      return { reads: input.a, writes: input.b, key: input.key };
    default:
      return undefined;
  }
}

function singleRegister(name: string, allowCas: boolean, description: string): Model<number, RegisterInput> {
  return {
    name,
    description,
    init: () => 0,
    prepare: (op, ctx) => prepareRegisterOp(op, ctx, { allowCas, key: 0 }),
    step(state, input) {
      const next = stepRegisterValue(state, input);
      return next < 0 ? undefined : next;
    },
    hash: (state) => state,
    equal: (a, b) => a === b,
    describeOp: describeRegisterOp,
    describeState: (state, ctx) => describeValue(ctx.valueOf(state)),
    registerView: registerViewOf,
  };
}

/** A single read/write register, initially empty (`null`). */
export const registerModel = singleRegister(
  "register",
  false,
  "a single register: read, write; initial value null",
);

/** A single register with compare-and-set, initially empty (`null`). */
export const casRegisterModel = singleRegister(
  "cas-register",
  true,
  "a single register: read, write, cas [expected, new]; initial value null",
);

/** Per-check table of key ids for keyed models. */
/** Per check, key identity (by value: see `keyIdentity`) → dense id. */
const keyTables = new WeakMap<PrepareContext, Map<unknown, number>>();
const keyNames = new WeakMap<PrepareContext, Key[]>();

/** The last check's table: `prepare` asks for every op of one check in a row, so one WeakMap lookup per check, not per op. */
let lastContext: PrepareContext | undefined;
let lastTable: Map<unknown, number> | undefined;

/** A dense id for a key, per check (shared by the keyed models). */
export function keyIndex(ctx: PrepareContext, key: Key): number {
  let table = ctx === lastContext ? lastTable : keyTables.get(ctx);
  if (!table) {
    table = new Map();
    keyTables.set(ctx, table);
    keyNames.set(ctx, []);
  }
  lastContext = ctx;
  lastTable = table;
  const identity = keyIdentity(key);
  let id = table.get(identity);
  if (id === undefined) {
    id = table.size;
    table.set(identity, id);
    keyNames.get(ctx)!.push(key);
  }
  return id;
}

/** The key behind an id from `keyIndex`. */
export function keyName(ctx: PrepareContext, id: number): Key | undefined {
  return keyNames.get(ctx)?.[id];
}

function requireKey(op: ModelOp, model: string): Key {
  if (op.key === undefined)
    throw new ModelInputError(`op ${op.invoke.index}: the ${model} model needs a key on every op`);
  return op.key;
}

/**
 * A keyed state: the keys not holding the initial value, as `[key, value]` pairs sorted by key, in one
 * `Int32Array`. Sparse, because a partition holds one key of many: a dense array as long as the largest
 * key id made every write copy thousands of words on a 1,000-key history.
 */
type KeyedState = Int32Array;

/** Hash of a keyed state's entries: keys holding the initial value contribute nothing (they are absent). */
function keyedHash(state: KeyedState): number {
  let h = 0;
  for (let p = 0; p < state.length; p += 2)
    h = (h + mix32(state[p + 1]! ^ mix32(state[p]! + 0x632be5ab))) | 0;
  return h;
}

/** The pair offset of `key` in `state`, or where it would go (the first pair with a larger key). */
function keyedSlot(state: KeyedState, key: number): number {
  let p = 0;
  while (p < state.length && state[p]! < key) p += 2;
  return p;
}

/** `state` with `key` set to `value` (0 removes the pair): a new array, the old one untouched. */
function keyedWith(
  state: KeyedState,
  key: number,
  value: number,
  slot: number,
  present: boolean,
): KeyedState {
  if (value === 0) {
    const next = new Int32Array(state.length - 2);
    next.set(state.subarray(0, slot));
    next.set(state.subarray(slot + 2), slot);
    return next;
  }
  if (present) {
    const next = state.slice();
    next[slot + 1] = value;
    return next;
  }
  const next = new Int32Array(state.length + 2);
  next.set(state.subarray(0, slot));
  next[slot] = key;
  next[slot + 1] = value;
  next.set(state.subarray(slot), slot + 2);
  return next;
}

/**
 * A register per key (`read`/`write`/`cas` on `op.key`), every key initially
 * empty. Partitioned by key: each key is checked on its own.
 */
export const kvModel: Model<KeyedState, RegisterInput> = {
  name: "kv",
  description: "a register per key (read, write, cas on op.key), partitioned by key; initial values null",
  init: () => new Int32Array(0),
  prepare: (op, ctx) =>
    prepareRegisterOp(op, ctx, { allowCas: true, key: keyIndex(ctx, requireKey(op, "kv")) }),
  step(state, input) {
    const slot = keyedSlot(state, input.key);
    const present = slot < state.length && state[slot] === input.key;
    const current = present ? state[slot + 1]! : 0;
    const next = stepRegisterValue(current, input);
    if (next < 0) return undefined;
    if (next === current) return state;
    return keyedWith(state, input.key, next, slot, present);
  },
  hash: keyedHash,
  equal(a, b) {
    if (a.length !== b.length) return false;
    for (let p = 0; p < a.length; p++) if (a[p] !== b[p]) return false;
    return true;
  },
  partitionKey: (op) => op.key,
  describeOp: describeRegisterOp,
  describeState(state, ctx) {
    const parts: string[] = [];
    for (let p = 0; p < state.length && parts.length < 20; p += 2)
      parts.push(`${String(keyName(ctx, state[p]!))}=${describeValue(ctx.valueOf(state[p + 1]!))}`);
    return parts.length === 0 ? "every key empty" : parts.join(", ");
  },
  registerView: registerViewOf,
};
