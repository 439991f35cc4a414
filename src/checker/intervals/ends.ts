/**
 * Where an open interval ends.
 *
 * A child killed mid-hold never writes its end record. What the checkers take
 * for its end (`openEnd`):
 * - `"kill"` (the default): the first kill, stop or recorded exit of its
 *   actor after the interval began (the actor fixture kills a wrapper's whole
 *   process group, so its child is dead by the time the kill op completes);
 *   when the history has none, the end of the run;
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

export interface ResolvedEnds {
  /** End of each interval (ns), in the order of the intervals. */
  readonly ends: Float64Array;
  /** {@link ENDED_BY_RECORD}, {@link ENDED_BY_KILL} or {@link ENDED_BY_RUN_END} per interval. */
  readonly endedBy: Uint8Array;
  readonly runEnd: number;
  readonly openCount: number;
}

export const endedByName = (code: number): "record" | "kill" | "run-end" =>
  code === ENDED_BY_RECORD ? "record" : code === ENDED_BY_KILL ? "kill" : "run-end";

/** The first time in a sorted list that is >= `at`, or undefined. */
function firstAtOrAfter(times: readonly number[], at: number): number | undefined {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((times[mid] as number) < at) low = mid + 1;
    else high = mid;
  }
  return times[low];
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
  for (let i = 0; i < intervals.length; i++) {
    const interval = intervals[i] as Interval;
    if (interval.end !== undefined) {
      ends[i] = interval.end;
      continue;
    }
    openCount++;
    const killedAt =
      openEnd === "kill"
        ? firstAtOrAfter(endsByHolder.get(interval.holder) ?? [], interval.start)
        : undefined;
    ends[i] = killedAt ?? runEnd;
    endedBy[i] = killedAt === undefined ? ENDED_BY_RUN_END : ENDED_BY_KILL;
  }
  return { ends, endedBy, runEnd, openCount };
}
