/**
 * Where an open interval ends.
 *
 * A child killed mid-hold never writes its end record. What the checkers take
 * for its end (`openEnd`):
 * - `"kill"` (the default): the first kill, stop or recorded exit of its
 *   actor after the interval began (the actor fixture kills a wrapper's whole
 *   process group, so its child is dead by the time the kill op completes),
 *   or the start of the same holder's next hold in the same office, if that
 *   comes first (a wrapper runs one child at a time: it acquires again only
 *   once its child is gone); when there is neither, the end of the run;
 * - `"run-end"`: always the end of the run: the child may have kept running
 *   until the runner stopped everything (the strictest reading).
 *
 * "The end of the run" is the latest time the evidence knows: the last op of
 * the history or the last time in the interval log, whichever is later. A
 * hold that lasts to it overlaps everything after its start.
 */
import type { Interval } from "../../history/intervals.js";
import type { Op } from "../../history/op.js";

export type OpenEnd = "kill" | "run-end";

/** How an interval's end was found. */
export const ENDED_BY_RECORD = 0;
export const ENDED_BY_KILL = 1;
export const ENDED_BY_RUN_END = 2;
export const ENDED_BY_NEXT_HOLD = 3;

export interface ResolvedEnds {
  /** End of each interval (ns), in the order of the intervals. */
  readonly ends: Float64Array;
  /** {@link ENDED_BY_RECORD}, {@link ENDED_BY_KILL} or {@link ENDED_BY_RUN_END} per interval. */
  readonly endedBy: Uint8Array;
  readonly runEnd: number;
  readonly openCount: number;
}

export type EndedBy = "record" | "kill" | "next-hold" | "run-end";

export const endedByName = (code: number): EndedBy =>
  code === ENDED_BY_RECORD
    ? "record"
    : code === ENDED_BY_KILL
      ? "kill"
      : code === ENDED_BY_NEXT_HOLD
        ? "next-hold"
        : "run-end";

/** The first time in a sorted list that is >= `at` (> `at` when `strictly`), or undefined. */
function firstAfter(times: ArrayLike<number>, at: number, strictly: boolean): number | undefined {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const time = times[mid] as number;
    if (time < at || (strictly && time === at)) low = mid + 1;
    else high = mid;
  }
  return low < times.length ? times[low] : undefined;
}

/** Sorted starts of every hold, by holder and office: what bounds an open hold of the same holder. */
function startsByHolder(intervals: readonly Interval[]): Map<string, Float64Array> {
  const lists = new Map<string, number[]>();
  for (const interval of intervals) {
    const id = `${interval.holder}\u0000${interval.office ?? ""}`;
    const list = lists.get(id);
    if (list) list.push(interval.start);
    else lists.set(id, [interval.start]);
  }
  const out = new Map<string, Float64Array>();
  for (const [id, list] of lists) out.set(id, Float64Array.from(list).sort());
  return out;
}

export function resolveEnds(
  intervals: readonly Interval[],
  history: readonly Op[],
  endsByHolder: ReadonlyMap<string, readonly number[]>,
  openEnd: OpenEnd,
): ResolvedEnds {
  let runEnd = history.length > 0 ? (history[history.length - 1] as Op).time : 0;
  for (const op of history) if (op.time > runEnd) runEnd = op.time;
  for (const interval of intervals) {
    const last = interval.end ?? interval.start;
    if (last > runEnd) runEnd = last;
  }
  const ends = new Float64Array(intervals.length);
  const endedBy = new Uint8Array(intervals.length);
  let openCount = 0;
  let nextStarts: Map<string, Float64Array> | undefined;
  for (let i = 0; i < intervals.length; i++) {
    const interval = intervals[i] as Interval;
    if (interval.end !== undefined) {
      ends[i] = interval.end;
      continue;
    }
    openCount++;
    if (openEnd === "run-end") {
      ends[i] = runEnd;
      endedBy[i] = ENDED_BY_RUN_END;
      continue;
    }
    nextStarts ??= startsByHolder(intervals);
    const killedAt = firstAfter(endsByHolder.get(interval.holder) ?? [], interval.start, false);
    const next = firstAfter(
      nextStarts.get(`${interval.holder}\u0000${interval.office ?? ""}`) ?? [],
      interval.start,
      true,
    );
    if (killedAt !== undefined && (next === undefined || killedAt <= next)) {
      ends[i] = killedAt;
      endedBy[i] = ENDED_BY_KILL;
    } else if (next !== undefined) {
      ends[i] = next;
      endedBy[i] = ENDED_BY_NEXT_HOLD;
    } else {
      ends[i] = runEnd;
      endedBy[i] = ENDED_BY_RUN_END;
    }
  }
  return { ends, endedBy, runEnd, openCount };
}
