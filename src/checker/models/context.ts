/** The per-check value interning table models use in `prepare` (see `PrepareContext`). */

import { canonicalJson } from "../../history/values.js";
import { mix32 as mixUnsigned } from "../../random/random.js";
import type { PrepareContext } from "./types.js";

/** Integers below this are interned through an array (4 MiB at most), larger ones through the map. */
const SMALL_INTEGER_LIMIT = 1 << 20;

/** Make a fresh interning table: id 0 is "no value" (`null`/`undefined`). */
export function createPrepareContext(): PrepareContext {
  const ids = new Map<unknown, number>();
  const values: unknown[] = [null];
  /**
   * Ids of small non-negative integers (what register workloads write: 1, 2, 3, ...) by value, in an
   * array that grows as needed: an index instead of a hash-map probe and insert per op. 0 = no id yet.
   */
  let smallIds = new Int32Array(1024);
  return {
    intern(value: unknown): number {
      if (value === null || value === undefined) return 0;
      if (typeof value === "number" && value >= 0 && value < SMALL_INTEGER_LIMIT && (value | 0) === value) {
        if (value >= smallIds.length) {
          const wider = new Int32Array(
            Math.min(SMALL_INTEGER_LIMIT, Math.max(value + 1, smallIds.length * 2)),
          );
          wider.set(smallIds);
          smallIds = wider;
        }
        let id = smallIds[value]!;
        if (id === 0) {
          // -0 is 0 here, as a Map would have it (SameValueZero).
          id = values.length;
          values.push(value);
          smallIds[value] = id;
        }
        return id;
      }
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
