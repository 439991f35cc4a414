/** The per-check value interning table models use in `prepare` (see `PrepareContext`). */

import { canonicalJson } from "../../history/values.js";
import { mix32 as mixUnsigned } from "../../random/random.js";
import type { PrepareContext } from "./types.js";

/** Make a fresh interning table: id 0 is "no value" (`null`/`undefined`). */
export function createPrepareContext(): PrepareContext {
  const ids = new Map<unknown, number>();
  const values: unknown[] = [null];
  return {
    intern(value: unknown): number {
      if (value === null || value === undefined) return 0;
      // Primitives are their own key; objects (vectors, maps) by canonical JSON (keys sorted),
      // so [1, 2] from two lines match, and so do {"a":1,"b":2} and {"b":2,"a":1}.
      const key = typeof value === "object" ? `\u0000json:${canonicalJson(value)}` : value;
      let id = ids.get(key);
      if (id === undefined) {
        id = values.length;
        values.push(value);
        ids.set(key, id);
      }
      return id;
    },
    valueOf(id: number): unknown {
      return values[id] ?? null;
    },
  };
}

/** A value in words for explanations: `null` is "no value", strings are quoted. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "no value";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Murmur3's 32-bit finalizer as a signed int32 (what model hashes combine with `| 0`). */
export function mix32(h: number): number {
  return mixUnsigned(h) | 0;
}
