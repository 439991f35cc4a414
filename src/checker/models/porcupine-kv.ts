/**
 * Porcupine's key-value model: a string per key with `get` (the completion's
 * value is what was read), `put` and `append` (the invocation's value), every
 * key initially `""`. Partitioned by key.
 *
 * Without partitioning the whole store is one state, the hard case of
 * Porcupine's benchmark; states are therefore built for cheap hashing: each
 * key's string keeps a polynomial hash, updated in O(1) on append
 * (h(a + b) = h(a)·31^|b| + h(b) mod 2^32), and the state's hash is the sum
 * of per-key hashes, updated in O(1) on every step.
 */
import type { Key } from "../../history/op.js";
import { mix32 } from "./context.js";
import { ModelInputError } from "./input-error.js";
import { keyIndex, keyName } from "./register.js";
import type { Model, ModelOp } from "./types.js";

export interface KvState {
  /** Value per key id; missing = "". */
  readonly values: readonly string[];
  /** Polynomial hash of each value. */
  readonly hashes: Int32Array;
  readonly hash: number;
}

const GET = 0;
const PUT = 1;
const APPEND = 2;

export interface KvInput {
  readonly kind: 0 | 1 | 2;
  readonly key: number;
  readonly text: string;
  /** Polynomial hash of `text`. */
  readonly textHash: number;
  /** 31^|text| mod 2^32, to extend a hash by `text`. */
  readonly power: number;
}

function stringHash(text: string): { hash: number; power: number } {
  let hash = 0;
  let power = 1;
  for (let i = 0; i < text.length; i++) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
    power = Math.imul(power, 31);
  }
  return { hash, power };
}

const contribution = (key: number, valueHash: number): number =>
  valueHash === 0 ? 0 : mix32(valueHash ^ mix32(key + 0x2545f491));

function asText(op: ModelOp, value: unknown, what: string): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  throw new ModelInputError(`op ${op.invoke.index}: ${what} must be a string, got ${JSON.stringify(value)}`);
}

function requireKey(op: ModelOp): Key {
  if (op.key === undefined)
    throw new ModelInputError(`op ${op.invoke.index}: the porcupine-kv model needs a key on every op`);
  return op.key;
}

export const porcupineKvModel: Model<KvState, KvInput> = {
  name: "porcupine-kv",
  description:
    'Porcupine\'s kv: a string per key with get, put, append; initial value ""; partitioned by key',
  init: () => ({ values: [], hashes: new Int32Array(0), hash: 0 }),
  prepare(op, ctx) {
    if (op.type === "fail") return undefined;
    const key = keyIndex(ctx, requireKey(op));
    let kind: 0 | 1 | 2;
    let text: string;
    if (op.f === "get") {
      if (op.type !== "ok") return undefined;
      kind = GET;
      text = asText(op, op.output, "a get's result");
    } else if (op.f === "put" || op.f === "append") {
      kind = op.f === "put" ? PUT : APPEND;
      text = asText(op, op.input, `a ${op.f}'s value`);
    } else {
      throw new ModelInputError(
        `op ${op.invoke.index}: unknown f ${JSON.stringify(op.f)} for porcupine-kv (get, put, append)`,
      );
    }
    const { hash, power } = stringHash(text);
    return { kind, key, text, textHash: hash, power };
  },
  step(state, input) {
    const k = input.key;
    const current = state.values[k] ?? "";
    const currentHash = k < state.hashes.length ? state.hashes[k]! : 0;
    if (input.kind === GET) return current === input.text ? state : undefined;
    let nextHash: number;
    let nextText: string;
    if (input.kind === PUT) {
      nextText = input.text;
      nextHash = input.textHash;
    } else {
      if (input.text === "") return state;
      nextText = current + input.text;
      nextHash = (Math.imul(currentHash, input.power) + input.textHash) | 0;
    }
    const values = state.values.slice();
    while (values.length <= k) values.push("");
    values[k] = nextText;
    const hashes = new Int32Array(Math.max(state.hashes.length, k + 1));
    hashes.set(state.hashes);
    hashes[k] = nextHash;
    const hash = (state.hash - contribution(k, currentHash) + contribution(k, nextHash)) | 0;
    return { values, hashes, hash };
  },
  hash: (state) => state.hash,
  equal(a, b) {
    if (a.hash !== b.hash) return false;
    const n = Math.max(a.values.length, b.values.length);
    for (let k = 0; k < n; k++) if ((a.values[k] ?? "") !== (b.values[k] ?? "")) return false;
    return true;
  },
  partitionKey: (op) => op.key,
  describeOp(input) {
    const text = JSON.stringify(input.text);
    if (input.kind === GET) return `get → ${text}`;
    return `${input.kind === PUT ? "put" : "append"} ${text}`;
  },
  describeState(state, ctx) {
    const parts: string[] = [];
    for (let k = 0; k < state.values.length && parts.length < 20; k++) {
      if (state.values[k])
        parts.push(`${JSON.stringify(keyName(ctx, k))}=${JSON.stringify(state.values[k])}`);
    }
    return parts.length === 0 ? 'every key ""' : parts.join(", ");
  },
};
