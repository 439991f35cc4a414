/** Hand-made interval logs and nemesis histories for the interval checkers' tests; times in ms. */
import type { Interval } from "../../../src/history/intervals.js";
import type { Op } from "../../../src/history/op.js";

const MS = 1_000_000;

/** `[holder, startMs, endMs | undefined, extra?]`; pid and line from the position. */
export type Hold = [string, number, number | undefined, Partial<Interval>?];

export function holds(list: readonly Hold[]): Interval[] {
  return list.map(([holder, start, end, extra], i) => ({
    holder,
    pid: 1000 + i,
    start: start * MS,
    end: end === undefined ? undefined : end * MS,
    line: i + 1,
    ...extra,
  }));
}

/** `[atMs, f, value, completionAtMs?, type?]`: a nemesis invoke and its completion (default ok, at the same ms). */
export type Fault = [number, string, unknown, number?, Op["type"]?];

export function nemesisHistory(faults: readonly Fault[], endMs?: number): Op[] {
  const ops: Op[] = [];
  for (const [at, f, value, doneAt, type] of faults) {
    ops.push({ index: ops.length, time: at * MS, type: "invoke", process: "nemesis", f, value });
    ops.push({
      index: ops.length,
      time: (doneAt ?? at) * MS,
      type: type ?? "ok",
      process: "nemesis",
      f,
      value,
    });
  }
  if (endMs !== undefined)
    ops.push({ index: ops.length, time: endMs * MS, type: "invoke", process: 0, f: "read", value: null });
  return ops;
}
