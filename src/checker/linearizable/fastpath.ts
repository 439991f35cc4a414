/**
 * The fast path for registers whose written values are unique.
 *
 * When every value is written at most once (Jepsen's register workloads make
 * it so) and never `null`, each read's source write is known. Then some
 * violations are visible without any search, in O(n log n) (the reads-from
 * reasoning of Gibbons & Korach, "Testing shared memories", 1997):
 * - an impossible read: the value read was never written;
 * - a read from the future: its write began after the read had finished;
 * - a stale read: another write certainly took effect after the source write
 *   and before the read began (it began after the source write finished and
 *   finished before the read began), so the value was overwritten and, being
 *   unique, never came back. A read of "no value" is stale as soon as any
 *   write finished before it began.
 *
 * These are exactly the invalid histories on which the exhaustive search is
 * hopeless (it must try every order of a long prefix before it can say no).
 * When none is found the checker still runs the search: passing these checks
 * does not make a history linearizable.
 *
 * Only `ok` ops count as reads and as overwriting writes (an `info` write may
 * never have happened); an `info` write can still be the source of a read.
 */
import type { AnyModel, RegisterView } from "../models/types.js";
import type { PreparedOp } from "./prepare.js";

export type FastPathKind = "impossible-read" | "read-from-future" | "stale-read";

export interface FastPathViolation {
  kind: FastPathKind;
  /** Local id of the read (or successful cas) that cannot be linearized. */
  read: number;
  /** Interned value it read. */
  value: number;
  /** Local id of the op that wrote the value, when there is one. */
  source?: number;
  /** Local id of the write that certainly overwrote it before the read began (stale reads). */
  overwrite?: number;
}

/**
 * Each op's register view (`model.registerView`), computed once for both the fast path and the pruning
 * below; `undefined` when the model has none.
 */
export function registerViews(
  ops: readonly PreparedOp[],
  model: AnyModel,
): (RegisterView | undefined)[] | undefined {
  const viewOf = model.registerView;
  if (!viewOf) return undefined;
  const views: (RegisterView | undefined)[] = new Array(ops.length);
  for (let i = 0; i < ops.length; i++) views[i] = viewOf.call(model, ops[i]!.input);
  return views;
}

/**
 * Look for a definite violation; `undefined` when none is found or the fast
 * path does not apply (no register view, several keys, or values written twice).
 */
export function findRegisterViolation(
  ops: readonly PreparedOp[],
  model: AnyModel,
  views: readonly (RegisterView | undefined)[] | undefined = registerViews(ops, model),
): FastPathViolation | undefined {
  if (!views) return undefined;
  let key: number | undefined;
  const writer = new Map<number, number>();
  for (let i = 0; i < ops.length; i++) {
    const view = views[i];
    if (!view) continue;
    if (key === undefined) key = view.key;
    else if (key !== view.key) return undefined;
    if (view.writes !== undefined) {
      if (view.writes === 0 || writer.has(view.writes)) return undefined;
      writer.set(view.writes, i);
    }
  }
  // Definite writes sorted by call position, with the suffix minimum of their return positions.
  const definite: number[] = [];
  for (let i = 0; i < ops.length; i++)
    if (ops[i]!.required && views[i]?.writes !== undefined) definite.push(i);
  // A partition's ops come in call order, so `definite` usually is sorted already: check before sorting.
  const calls = new Float64Array(definite.length);
  let sorted = true;
  for (let j = 0; j < definite.length; j++) {
    calls[j] = ops[definite[j]!]!.callAt;
    if (j > 0 && calls[j]! < calls[j - 1]!) sorted = false;
  }
  if (!sorted) {
    definite.sort((a, b) => ops[a]!.callAt - ops[b]!.callAt);
    for (let j = 0; j < definite.length; j++) calls[j] = ops[definite[j]!]!.callAt;
  }
  const suffixMinReturn = new Float64Array(definite.length + 1).fill(Number.POSITIVE_INFINITY);
  const suffixArg = new Int32Array(definite.length + 1).fill(-1);
  for (let j = definite.length - 1; j >= 0; j--) {
    const r = ops[definite[j]!]!.returnAt;
    if (r < suffixMinReturn[j + 1]!) {
      suffixMinReturn[j] = r;
      suffixArg[j] = definite[j]!;
    } else {
      suffixMinReturn[j] = suffixMinReturn[j + 1]!;
      suffixArg[j] = suffixArg[j + 1]!;
    }
  }
  /** First index in `definite` whose call comes after `position`. */
  const firstCallAfter = (position: number): number => {
    let lo = 0;
    let hi = calls.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (calls[mid]! > position) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  let found: FastPathViolation | undefined;
  for (let r = 0; r < ops.length; r++) {
    const view = views[r];
    const read = ops[r]!;
    if (view?.reads === undefined || !read.required) continue;
    const value = view.reads;
    let violation: FastPathViolation | undefined;
    if (value === 0) {
      const j = suffixArg[0]!;
      if (j >= 0 && j !== r && suffixMinReturn[0]! < read.callAt) {
        violation = { kind: "stale-read", read: r, value, overwrite: j };
      }
    } else {
      const source = writer.get(value);
      if (source === undefined || source === r) violation = { kind: "impossible-read", read: r, value };
      else if (ops[source]!.callAt > read.returnAt)
        violation = { kind: "read-from-future", read: r, value, source };
      else {
        const from = firstCallAfter(ops[source]!.returnAt);
        const j = suffixArg[from]!;
        if (j >= 0 && suffixMinReturn[from]! < read.callAt) {
          violation = { kind: "stale-read", read: r, value, source, overwrite: j };
        }
      }
    }
    // Report the earliest violating read in real time: the one a person should look at first.
    if (violation && (!found || read.callAt < ops[found.read]!.callAt)) found = violation;
  }
  return found;
}

/**
 * Drop optional (`info`) register writes whose value nobody ever reads.
 *
 * Sound for any register, unique values or not: in a legal sequence, the ops
 * after a write of `v` up to the next write all observe `v`; when none does,
 * the write can be removed and the sequence stays legal. So an optional write
 * of an unobserved value never helps and only multiplies the search: each
 * such op doubles the (linearized set, state) pairs an exhaustive search of an
 * invalid history must visit. The same holds for an optional cas, whose
 * write of an unobserved value can be removed likewise. Returns `ops` itself
 * when nothing is dropped.
 */
export function dropUnobservedOptionalWrites(
  ops: readonly PreparedOp[],
  model: AnyModel,
  views: readonly (RegisterView | undefined)[] | undefined = registerViews(ops, model),
): readonly PreparedOp[] {
  if (!views) return ops;
  // Without an optional op there is nothing to drop.
  if (ops.every((op) => op.required)) return ops;
  // An op without a view (a cas whose compare failed) observes "not v" for some v: removing a write could
  // then make it illegal, so the argument above needs every op to have a view.
  if (views.includes(undefined)) return ops;
  const observed = new Map<number, Set<number>>();
  for (const view of views) {
    if (view?.reads === undefined) continue;
    let set = observed.get(view.key);
    if (!set) {
      set = new Set();
      observed.set(view.key, set);
    }
    set.add(view.reads);
  }
  const kept = ops.filter((op, i) => {
    const view = views[i];
    if (op.required || view === undefined || view.writes === undefined) return true;
    return observed.get(view.key)?.has(view.writes) === true;
  });
  return kept.length === ops.length ? ops : kept;
}
