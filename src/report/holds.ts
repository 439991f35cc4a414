/**
 * The report's hold lanes: who held the lock or slot when, from the run's
 * interval log (`intervals.jsonl`, docs/locks.md), drawn under the op
 * timeline on the same time axis.
 *
 * - One lane per slot (`slot 0`, `slot 1`, ...) when the holds name slots,
 *   else one per holder; with several offices in one log, per office too.
 *   A semaphore of 2 with 5 contenders therefore shows 2 lanes, and who held
 *   each slot is the bar's holder.
 * - An **open** hold (no end record: its child was killed mid-hold) is drawn
 *   to the end the checkers infer by default (`openEnd: "kill"`: its actor's
 *   kill or exit, its holder's next hold, else the end of the run), and
 *   marked open, so the page never draws more certainty than the log has.
 * - Loss events' windows come from the bounded-concurrency results (their
 *   `lossEvents`: fault start to heal + loss window); a run judged without
 *   that checker still gets each loss event shaded from its start to its
 *   heal, found by the same `lossEvents` function the checker uses.
 * - The holds a violation names (its `intervals`, by log line) are marked,
 *   and the violation's span is drawn above the lanes.
 *
 * Pure: computed once in Node, so the page only draws. Times are seconds
 * since the run started, as on the op timeline.
 */
import { endedByName, resolveEnds } from "../checker/intervals/ends.js";
import { holderEnds, lossEvents } from "../checker/intervals/loss-events.js";
import type { CheckResult } from "../checker/types.js";
import type { Interval } from "../history/intervals.js";
import type { Op } from "../history/op.js";

/** Holds drawn at most: a long run's million holds would make a page nobody can read, and a slow one. */
export const HOLDS_SHOWN_MAX = 20_000;
/** Rows per lane at most: more overlapping holds than this share the last row. */
const ROWS_MAX = 4;
/** Loss windows and violations drawn at most, each. */
const MARKS_SHOWN_MAX = 2_000;

export interface HoldLossWindow {
  f: string;
  kind: string;
  holder: string;
  startS: number;
  /** The window's end (heal + loss window); the heal when no checker measured it; the run's end when never healed. */
  endS: number;
  healedAtS: number | null;
  /** False when the overlap in it outlasted the window (a violation follows). */
  closed: boolean;
  /** True when the window is the checker's (heal + lossWindowMs), false when only start to heal is known. */
  measured: boolean;
}

export interface HoldViolation {
  checker: string;
  office: string | null;
  startS: number;
  endS: number;
  explanation: string;
  /** Indices into the holds this violation names. */
  holds: number[];
}

export interface HoldsData {
  /** `slots` when the log names slots, else `holders`. */
  laneBy: "slots" | "holders";
  /** `rows`: how many holds of the lane overlap at most (capped), so none hides another. */
  lanes: { label: string; rows: number }[];
  /** Per hold shown, columnar, sorted by lane then start. */
  lane: number[];
  /** Which row of its lane the hold is drawn in: overlapping holds of one slot (a zombie and its successor) stack. */
  row: number[];
  holder: string[];
  pid: number[];
  /** The fencing token as text, null when the hold had none. */
  token: (string | null)[];
  startS: number[];
  /** The recorded end, or for an open hold the inferred one. */
  endS: number[];
  /** 1: no end record (killed mid-hold); `endedBy` says where its bar ends. */
  open: number[];
  /** How the end was known: `record`, `kill`, `next-hold`, `run-end`. */
  endedBy: string[];
  /** The 1-based line of the hold's start record in intervals.jsonl. */
  line: number[];
  /** 1: a violation names this hold. */
  violation: number[];
  /** Distinct holders, for colors (index into this list). */
  holders: string[];
  holderIndex: number[];
  lossWindows: HoldLossWindow[];
  violations: HoldViolation[];
  /** Every hold in the log; more than `lane.length` when the page shows only the first ones. */
  holdCount: number;
  openCount: number;
  /** The last time the evidence knows (last op or log time), s. */
  runEndS: number;
}

const toSeconds = (ns: number): number => Math.round(ns / 1000) / 1e6;
const msToSeconds = (ms: number): number => Math.round(ms * 1000) / 1e6;

const collator = new Intl.Collator("en", { numeric: true });

interface MeasuredEvent {
  f?: unknown;
  kind?: unknown;
  holder?: unknown;
  startMs?: unknown;
  healedAtMs?: unknown;
  windowEndMs?: unknown;
  closed?: unknown;
}

interface ReportedViolation {
  office?: unknown;
  startMs?: unknown;
  endMs?: unknown;
  explanation?: unknown;
  intervals?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The loss events a checker measured (bounded concurrency's `lossEvents`), if its result has them. */
function measuredEvents(result: CheckResult): MeasuredEvent[] {
  const list = (result as Record<string, unknown>).lossEvents;
  return Array.isArray(list)
    ? list.filter((item): item is MeasuredEvent => isRecord(item) && typeof item.startMs === "number")
    : [];
}

function reportedViolations(result: CheckResult): ReportedViolation[] {
  const list = (result as Record<string, unknown>).violations;
  return Array.isArray(list)
    ? list.filter(
        (item): item is ReportedViolation =>
          isRecord(item) && typeof item.startMs === "number" && Array.isArray(item.intervals),
      )
    : [];
}

/** Build the hold lanes; null when the run has no interval log (or an empty one). */
export function buildHolds(
  intervals: readonly Interval[] | undefined,
  history: readonly Op[],
  checkers: Readonly<Record<string, CheckResult>>,
): HoldsData | null {
  if (!intervals || intervals.length === 0) return null;
  const holderSet = new Set(intervals.map((interval) => interval.holder));
  const events = lossEvents(history, { holders: holderSet });
  const killed = holderEnds(history, events, { holders: holderSet });
  const { ends, endedBy, runEnd, openCount } = resolveEnds(intervals, history, killed, "kill");

  const bySlot = intervals.some((interval) => interval.slot !== undefined);
  const offices = new Set(intervals.map((interval) => interval.office ?? ""));
  const laneName = (interval: Interval): string => {
    // A hold without a slot in a log with slots gets its holder's lane: it is still drawn.
    const own = bySlot && interval.slot !== undefined ? `slot ${interval.slot}` : interval.holder;
    return offices.size > 1 ? `${interval.office ?? "(no office)"} · ${own}` : own;
  };
  const names = [...new Set(intervals.map(laneName))].sort(collator.compare);
  const laneOf = new Map(names.map((name, i) => [name, i]));
  const holders = [...holderSet].sort(collator.compare);
  const holderOf = new Map(holders.map((name, i) => [name, i]));

  const order = intervals.map((_, i) => i);
  const laneOfInterval = intervals.map((interval) => laneOf.get(laneName(interval))!);
  order.sort(
    (a, b) => laneOfInterval[a]! - laneOfInterval[b]! || intervals[a]!.start - intervals[b]!.start || a - b,
  );
  const shown = order.slice(0, HOLDS_SHOWN_MAX);
  const data: HoldsData = {
    laneBy: bySlot ? "slots" : "holders",
    lanes: names.map((label) => ({ label, rows: 1 })),
    lane: [],
    row: [],
    holder: [],
    pid: [],
    token: [],
    startS: [],
    endS: [],
    open: [],
    endedBy: [],
    line: [],
    violation: [],
    holders,
    holderIndex: [],
    lossWindows: [],
    violations: [],
    holdCount: intervals.length,
    openCount,
    runEndS: toSeconds(runEnd),
  };
  const holdOfLine = new Map<number, number>();
  /** Per lane, the end of the last hold in each row: a hold takes the first row free at its start. */
  const rowEnds = names.map((): number[] => []);
  for (const i of shown) {
    const interval = intervals[i]!;
    const lane = laneOfInterval[i]!;
    const rowEndsOfLane = rowEnds[lane]!;
    let row = rowEndsOfLane.findIndex((end) => end <= interval.start);
    if (row < 0) row = rowEndsOfLane.length < ROWS_MAX ? rowEndsOfLane.length : ROWS_MAX - 1;
    rowEndsOfLane[row] = Math.max(rowEndsOfLane[row] ?? 0, ends[i]!);
    data.lanes[lane]!.rows = Math.max(data.lanes[lane]!.rows, row + 1);
    data.row.push(row);
    holdOfLine.set(interval.line, data.lane.length);
    data.lane.push(lane);
    data.holder.push(interval.holder);
    data.holderIndex.push(holderOf.get(interval.holder)!);
    data.pid.push(interval.pid);
    data.token.push(interval.token === undefined ? null : String(interval.token));
    data.startS.push(toSeconds(interval.start));
    data.endS.push(toSeconds(ends[i]!));
    data.open.push(interval.end === undefined ? 1 : 0);
    data.endedBy.push(endedByName(endedBy[i]!));
    data.line.push(interval.line);
    data.violation.push(0);
  }

  // Loss windows: the checker's measurement when there is one, else start to heal.
  const seen = new Set<string>();
  for (const result of Object.values(checkers)) {
    for (const event of measuredEvents(result)) {
      const key = `${String(event.holder)}\u0000${String(event.f)}\u0000${String(event.startMs)}`;
      if (seen.has(key) || data.lossWindows.length >= MARKS_SHOWN_MAX) continue;
      seen.add(key);
      const healedAtMs = typeof event.healedAtMs === "number" ? event.healedAtMs : null;
      const windowEndMs = typeof event.windowEndMs === "number" ? event.windowEndMs : null;
      data.lossWindows.push({
        f: String(event.f),
        kind: String(event.kind),
        holder: String(event.holder),
        startS: msToSeconds(event.startMs as number),
        endS: windowEndMs === null ? toSeconds(runEnd) : msToSeconds(windowEndMs),
        healedAtS: healedAtMs === null ? null : msToSeconds(healedAtMs),
        closed: event.closed !== false,
        measured: true,
      });
    }
  }
  if (seen.size === 0) {
    for (const event of events.slice(0, MARKS_SHOWN_MAX)) {
      data.lossWindows.push({
        f: event.f,
        kind: event.kind,
        holder: event.holder,
        startS: toSeconds(event.start),
        endS: toSeconds(event.healedAt ?? runEnd),
        healedAtS: event.healedAt === undefined ? null : toSeconds(event.healedAt),
        closed: true,
        measured: false,
      });
    }
  }

  for (const [checker, result] of Object.entries(checkers)) {
    for (const violation of reportedViolations(result)) {
      if (data.violations.length >= MARKS_SHOWN_MAX) break;
      const holds: number[] = [];
      for (const item of violation.intervals as unknown[]) {
        if (!isRecord(item) || typeof item.line !== "number") continue;
        const hold = holdOfLine.get(item.line);
        if (hold === undefined) continue;
        holds.push(hold);
        data.violation[hold] = 1;
      }
      const startMs = violation.startMs as number;
      data.violations.push({
        checker,
        office: typeof violation.office === "string" ? violation.office : null,
        startS: msToSeconds(startMs),
        endS: msToSeconds(typeof violation.endMs === "number" ? violation.endMs : startMs),
        explanation: typeof violation.explanation === "string" ? violation.explanation : "",
        holds,
      });
    }
  }
  return data;
}
