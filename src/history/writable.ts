/**
 * What a history can hold: values JSON writes and reads back as they were.
 *
 * A client returns any JavaScript value, but the journal is JSON lines. Some
 * values JSON cannot write at all (a BigInt, a circular object: `stringify`
 * throws and the run would die), some it writes as nothing (a function, a
 * Symbol: `"value":undefined`, a line no reader accepts), and some it writes
 * as something else (a Set or Map as `{}`, NaN as `null`): a history that
 * says what did not happen. {@link writableCompletion} checks a completion
 * before it is journaled; one that cannot be written faithfully becomes an
 * `info` op (its outcome is unknown to the history) whose error says which
 * part, and why, so the run goes on and the test's author knows what to fix.
 */
import { describeError } from "../errors/index.js";
import type { Op } from "./op.js";

/** Nesting deeper than this is refused: readers (and `JSON.parse` on small stacks) cannot follow. */
export const MAX_VALUE_DEPTH = 1_000;

/** Objects JSON writes as `{}`, whatever they hold. */
const WRITTEN_AS_EMPTY: readonly [new (...args: never[]) => object, string][] = [
  [Map, "a Map"],
  [Set, "a Set"],
  [WeakMap, "a WeakMap"],
  [WeakSet, "a WeakSet"],
  [Promise, "a Promise (an `await` missing?)"],
  [Error, "an Error"],
  [RegExp, "a RegExp"],
];

function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describePrimitive(value: unknown): string | undefined {
  switch (typeof value) {
    case "function":
      return "is a function (JSON writes nothing for it)";
    case "symbol":
      return "is a Symbol (JSON writes nothing for it)";
    case "bigint":
      return "is a BigInt (JSON cannot write it; return a string or a number)";
    case "number":
      return Number.isFinite(value) ? undefined : `is ${value} (JSON writes it as null)`;
    default:
      return undefined;
  }
}

/**
 * Why `value` cannot be written to a history as it is, naming the part at
 * fault (`value.items[3] is a BigInt ...`); undefined when it can. `name` is
 * what the top is called in the message. Iterative, so a deeply nested value
 * is reported, not a stack overflow.
 */
export function unwritableReason(value: unknown, name = "value"): string | undefined {
  interface Frame {
    value: unknown;
    path: string;
    depth: number;
    /** Set on the marker that takes an object off the ancestor chain once its children are done. */
    leave?: object;
    /** An array's element (`undefined` there is written as null). */
    inArray: boolean;
  }
  const ancestors = new Set<object>();
  const stack: Frame[] = [{ value, path: name, depth: 0, inArray: false }];
  // Bounded: each frame is pushed once per occurrence in a finite, acyclic (checked) value.
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.leave) {
      ancestors.delete(frame.leave);
      continue;
    }
    let current = frame.value;
    if (current === undefined && frame.inArray) return `${frame.path} is undefined (JSON writes it as null)`;
    const primitive = describePrimitive(current);
    if (primitive) return `${frame.path} ${primitive}`;
    if (current === null || typeof current !== "object") continue;
    const toJSON = (current as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      try {
        current = toJSON.call(current);
      } catch (error) {
        return `${frame.path}.toJSON() threw: ${describeError(error)}`;
      }
      const converted = describePrimitive(current);
      if (converted) return `${frame.path}.toJSON() ${converted.replace(/^is/, "returned")}`;
      if (current === null || typeof current !== "object") continue;
    }
    const object = current as object;
    if (ancestors.has(object)) return `${frame.path} is circular (it contains itself)`;
    for (const [kind, description] of WRITTEN_AS_EMPTY) {
      if (object instanceof kind) return `${frame.path} is ${description} (JSON writes it as {})`;
    }
    if (frame.depth >= MAX_VALUE_DEPTH)
      return `${frame.path} is nested deeper than ${MAX_VALUE_DEPTH} levels`;
    ancestors.add(object);
    stack.push({ value: undefined, path: frame.path, depth: frame.depth, leave: object, inArray: false });
    if (Array.isArray(object)) {
      for (let i = object.length - 1; i >= 0; i--) {
        stack.push({
          value: object[i],
          path: childPath(frame.path, i),
          depth: frame.depth + 1,
          inArray: true,
        });
      }
    } else {
      const keys = Object.keys(object);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push({
          value: (object as Record<string, unknown>)[key],
          path: childPath(frame.path, key),
          depth: frame.depth + 1,
          inArray: false,
        });
      }
    }
  }
  return undefined;
}

/** Fields the runner sets itself from plain numbers and strings; never the client's to spoil. */
const RUNNER_FIELDS = new Set(["index", "time", "type", "process", "f", "key"]);

/**
 * `completion` when every field a client gave it can be written to the
 * history; otherwise an `info` op in its place (same index, time, process,
 * `f` and key, the invocation's value) whose error says what could not be
 * written. Cheap for the common case: a primitive value is one `typeof`.
 */
export function writableCompletion(completion: Op, invoke: Op): Op {
  for (const field in completion) {
    if (RUNNER_FIELDS.has(field)) continue;
    const value = completion[field];
    if (value === undefined) continue;
    const reason = unwritableReason(value, field);
    if (reason === undefined) continue;
    const info: Op = {
      index: completion.index,
      time: completion.time,
      type: "info",
      process: completion.process,
      f: completion.f,
      value: invoke.value,
      error: `the client's ${completion.type} completion cannot be written to the history: ${reason}`,
    };
    if (completion.key !== undefined) info.key = completion.key;
    if (typeof completion.node === "string") info.node = completion.node;
    return info;
  }
  return completion;
}

/**
 * `value` as JSON for a message, or in words (naming the top `name`) when
 * JSON cannot write it. Never throws: what an error about a client's odd return value shows.
 */
export function describeValue(value: unknown, name = "value"): string {
  const reason = unwritableReason(value, name);
  if (reason !== undefined) return reason;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    // A getter that throws.
    return `a value JSON cannot write (${error instanceof Error ? error.message : "it threw"})`;
  }
}
