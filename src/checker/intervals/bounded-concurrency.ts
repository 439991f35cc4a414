/**
 * `boundedConcurrency({ limit, lossWindowMs })`: at most `limit` holders at
 * any instant, except within the window of a loss event, and that window
 * closes.
 *
 * The promise of a lock (limit 1) or semaphore (limit N) built on leases is
 * not "never two holders": a holder whose wrapper is frozen past its lease's
 * TTL keeps its child running while another contender, seeing the lease
 * gone, acquires. What the service does promise is that such an overlap only
 * follows a loss event (see `loss-events.ts`) and ends within a documented
 * window: the TTL plus the wrapper's kill-after, counted from the fault's
 * heal (a pause from its resume, since a frozen wrapper cannot stop its
 * child; a kill or revoke at once).
 *
 * ```
 *  a1  ████████████████████████████████████▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒░░░░░│
 *  a2                          ████████████████████████████████│
 *  a1's wrapper  ─────paused──────────resumed                   time →
 *                     │                   │                    │
 *                     └── window: from the pause ── to resume + lossWindowMs
 *  ▒ overlap inside the window: excused          ░ past it: a violation
 * ```
 *
 * Semantics, decided here and why:
 * - An interval is half-open, `[start, end)`: a hold that ends at t and one
 *   that starts at t do not overlap (a handover at one instant is legal).
 *   All endpoints at one time are applied before the count is judged, so
 *   equal timestamps never make a spurious overlap.
 * - A window is half-open too: an excused hold that ends exactly at the
 *   window's end is fine; one nanosecond more is a violation.
 * - Only the holds of the holder the fault hit are excused, and only those
 *   that began before the fault was healed (its "zombie" holds): at each
 *   instant, `holders − excused zombies ≤ limit` must hold. So a kill of an
 *   etcd member, which hits no holder, excuses nothing, and a pause of a3
 *   does not excuse a1 and a2 holding at once.
 * - One exception: a hold that began after the fault's heal but whose
 *   fencing token is below the event's `tokensBelow` (loss-events.ts) was
 *   claimed before the fault took effect: it is a zombie from its first
 *   instant, excused until the window's end. This happens when a revoke of
 *   every lease goes one lease at a time and a waiter claims a freed slot in
 *   between (its child records its start only after the last revoke), and
 *   when a wrapper is paused between its claim and its child's first record.
 * - Open intervals (a child killed mid-hold) end as `openEnd` says
 *   (`ends.ts`): at its actor's kill, else at the end of the run.
 * - Several offices (locks) in one log are judged apart, each with `limit`.
 * - A loss event never healed has a window that never ends: an overlap in it
 *   cannot be judged and makes the result `unknown` (when nothing is invalid).
 *
 * The check is one sweep over sorted endpoints (typed arrays, sorted once):
 * O(n log n) in the number of intervals.
 */

import { UsageError } from "../../errors/index.js";
import type { Interval } from "../../history/intervals.js";
import type { Op } from "../../history/op.js";
import type { CheckContext, Checker, CheckResult } from "../types.js";
import { type EndedBy, endedByName, type OpenEnd, resolveEnds } from "./ends.js";
import {
  DEFAULT_EXIT_FS,
  holderEnds,
  type LossEvent,
  type LossKind,
  type LossRule,
  lossEvents,
} from "./loss-events.js";
import { intervalText, lossEventText, msText, secondsText, toMs } from "./words.js";

export interface BoundedConcurrencyOptions {
  /** At most this many holders at once (1 for a lock, N for a semaphore). */
  readonly limit: number;
  /** How long after a loss event is healed an overlap may last: the documented TTL plus kill-after. */
  readonly lossWindowMs: number;
  /** Where an open interval ends (default `"kill"`; see `ends.ts`). */
  readonly openEnd?: OpenEnd;
  /** Which fault `f` is which loss event (default `DEFAULT_LOSS_RULES`). */
  readonly lossRules?: Readonly<Record<string, LossRule>>;
  /** The `f`s of ops that record an actor's exit (default `["actor-exit"]`). */
  readonly exitFs?: readonly string[];
  /** Violations described in full (the rest are counted); default 20. */
  readonly maxReported?: number;
  /** Loss events listed with their measured overlap (the rest are counted); default 1000. */
  readonly maxLossEventsListed?: number;
}

/** One loss event with the overlap measured in its window. Times in ms on the run's axis. */
export interface LossEventOverlap {
  readonly f: string;
  readonly kind: LossKind;
  readonly holder: string;
  readonly index: number;
  readonly startMs: number;
  /** Null when the fault was never healed. */
  readonly healedAtMs: number | null;
  /** Heal + lossWindowMs; null when never healed (the window never ends). */
  readonly windowEndMs: number | null;
  /** Most holders beyond the limit at one instant in the window (0: no overlap). */
  readonly extraHoldersMax: number;
  /** How long, in total, more than `limit` held within the window. */
  readonly overlapMs: number;
  /** When the last overlap that began in the window ended; null when there was none. */
  readonly overlapEndMs: number | null;
  /** How long that overlap lasted after the heal (0 when it ended before). */
  readonly overlapAfterHealMs: number | null;
  /** The overlap was over by the window's end (true when there was none). */
  readonly closed: boolean;
}

/** One interval as a violation lists it. */
export interface ViolationInterval {
  readonly holder: string;
  readonly pid: number;
  readonly token?: string | number;
  readonly slot?: number;
  readonly startMs: number;
  readonly endMs: number;
  /** How the end was known: its end record, its actor's kill or exit, its holder's next hold, or the end of the run. */
  readonly endedBy: EndedBy;
  /** It was an excused zombie hold at the violation's start. */
  readonly excused: boolean;
  readonly line: number;
}

export interface ConcurrencyViolation {
  readonly office: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  /** Most holders at one instant in it, excused ones included. */
  readonly holdersMax: number;
  readonly intervals: readonly ViolationInterval[];
  readonly explanation: string;
}

const DEFAULT_MAX_REPORTED = 20;
const DEFAULT_MAX_EVENTS_LISTED = 1000;

/** A growable Float64Array (push only). */
class Floats {
  values = new Float64Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
}

/**
 * Sort in place, unless already sorted: a log's holds come in the order of
 * their start records, which is nearly always start order, and checking is
 * far cheaper than sorting a million times.
 */
function sortTimes(times: Float64Array): Float64Array {
  for (let i = 1; i < times.length; i++)
    if ((times[i] as number) < (times[i - 1] as number)) return times.sort();
  return times;
}

/** Loss events of one holder, sorted by start, with what the zombie search needs. */
interface HolderEvents {
  readonly start: Float64Array;
  /** Heal time, +inf when never healed. */
  readonly heal: Float64Array;
  readonly windowEnd: Float64Array;
  /** Max of `heal` over events 0..j: the latest heal among the events that began by a given time. */
  readonly prefixMaxHeal: Float64Array;
  /** The events that bound the tokens of holds claimed before them (`tokensBelow`), by start. */
  readonly claimed: {
    readonly start: Float64Array;
    readonly heal: Float64Array;
    readonly windowEnd: Float64Array;
    readonly tokensBelow: Float64Array;
    /** Longest `windowEnd - start` among them: how far back a hold's start must look. */
    readonly spanMax: number;
  };
}

function byHolder(events: readonly LossEvent[], windowNs: number): Map<string, HolderEvents> {
  const grouped = new Map<string, LossEvent[]>();
  for (const event of events) {
    const list = grouped.get(event.holder);
    if (list) list.push(event);
    else grouped.set(event.holder, [event]);
  }
  const out = new Map<string, HolderEvents>();
  for (const [holder, list] of grouped) {
    list.sort((a, b) => a.start - b.start);
    const n = list.length;
    const start = new Float64Array(n);
    const heal = new Float64Array(n);
    const windowEnd = new Float64Array(n);
    const prefixMaxHeal = new Float64Array(n);
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      const event = list[j] as LossEvent;
      start[j] = event.start;
      heal[j] = event.healedAt ?? Number.POSITIVE_INFINITY;
      windowEnd[j] = (heal[j] as number) + windowNs;
      max = Math.max(max, heal[j] as number);
      prefixMaxHeal[j] = max;
    }
    const bounded = list.filter((event) => event.tokensBelow !== undefined && event.healedAt !== undefined);
    const claimed = {
      start: Float64Array.from(bounded, (event) => event.start),
      heal: Float64Array.from(bounded, (event) => event.healedAt as number),
      windowEnd: Float64Array.from(bounded, (event) => (event.healedAt as number) + windowNs),
      tokensBelow: Float64Array.from(bounded, (event) => event.tokensBelow as number),
      spanMax: bounded.reduce(
        (m, event) => Math.max(m, (event.healedAt as number) + windowNs - event.start),
        0,
      ),
    };
    out.set(holder, { start, heal, windowEnd, prefixMaxHeal, claimed });
  }
  return out;
}

/** A fencing token as a number (`57` or `"57"`), or undefined when it is none. */
function tokenNumber(token: string | number | undefined): number | undefined {
  if (token === undefined) return undefined;
  const value = typeof token === "number" ? token : token.trim() === "" ? Number.NaN : Number(token);
  return Number.isFinite(value) ? value : undefined;
}

/** The last index j with start[j] < at, or -1. */
function lastStartBefore(start: Float64Array, at: number): number {
  let low = 0;
  let high = start.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((start[mid] as number) < at) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/** Sweep results of one office. Segments are parallel arrays: [from, to) and the most extra holders in it. */
interface SweepOut {
  /** Pieces of overlap with a constant number of extra holders: [from, to), how many, and the end of the whole overlap it is part of. */
  readonly excessFrom: number[];
  readonly excessTo: number[];
  readonly excessExtra: number[];
  readonly excessRunEnd: number[];
  /** Overlaps (maximal stretches of more than `limit`). */
  runCount: number;
  readonly violationFrom: number[];
  readonly violationTo: number[];
  readonly violationHoldersMax: number[];
  holdersMax: number;
}

/**
 * The sweep: starts and ends of holds (count c), starts and ends of excused
 * zombie stretches (count z), each sorted; at every distinct time all
 * endpoints there are applied, then `c > limit` (an overlap) and
 * `c − z > limit` (a violation) are judged for the stretch up to the next time.
 */
function sweep(
  starts: Float64Array,
  ends: Float64Array,
  zStarts: Float64Array,
  zEnds: Float64Array,
  limit: number,
): SweepOut {
  const out: SweepOut = {
    excessFrom: [],
    excessTo: [],
    excessExtra: [],
    excessRunEnd: [],
    runCount: 0,
    violationFrom: [],
    violationTo: [],
    violationHoldersMax: [],
    holdersMax: 0,
  };
  const nS = starts.length;
  const nE = ends.length;
  const nZS = zStarts.length;
  const nZE = zEnds.length;
  let i = 0;
  let j = 0;
  let k = 0;
  let l = 0;
  let c = 0;
  let z = 0;
  let inExcess = false;
  let pieceFrom = 0;
  let pieceExtra = 0;
  let runFirstPiece = 0;
  let inViolation = false;
  let violationFrom = 0;
  let violationMax = 0;
  const inf = Number.POSITIVE_INFINITY;
  while (i < nS || j < nE || k < nZS || l < nZE) {
    let t = i < nS ? (starts[i] as number) : inf;
    if (j < nE && (ends[j] as number) < t) t = ends[j] as number;
    if (k < nZS && (zStarts[k] as number) < t) t = zStarts[k] as number;
    if (l < nZE && (zEnds[l] as number) < t) t = zEnds[l] as number;
    while (i < nS && starts[i] === t) {
      c++;
      i++;
    }
    while (j < nE && ends[j] === t) {
      c--;
      j++;
    }
    while (k < nZS && zStarts[k] === t) {
      z++;
      k++;
    }
    while (l < nZE && zEnds[l] === t) {
      z--;
      l++;
    }
    if (c > out.holdersMax) out.holdersMax = c;
    const extra = c - limit;
    if (inExcess && extra !== pieceExtra) {
      // The piece ends here: the count of extra holders changed (or the overlap is over).
      out.excessFrom.push(pieceFrom);
      out.excessTo.push(t);
      out.excessExtra.push(pieceExtra);
      out.excessRunEnd.push(t);
      if (extra > 0) {
        pieceFrom = t;
        pieceExtra = extra;
      } else {
        inExcess = false;
        for (let q = runFirstPiece; q < out.excessRunEnd.length; q++) out.excessRunEnd[q] = t;
      }
    } else if (!inExcess && extra > 0) {
      inExcess = true;
      out.runCount++;
      runFirstPiece = out.excessFrom.length;
      pieceFrom = t;
      pieceExtra = extra;
    }
    if (c - z > limit) {
      if (!inViolation) {
        inViolation = true;
        violationFrom = t;
        violationMax = c;
      } else if (c > violationMax) violationMax = c;
    } else if (inViolation) {
      inViolation = false;
      out.violationFrom.push(violationFrom);
      out.violationTo.push(t);
      out.violationHoldersMax.push(violationMax);
    }
  }
  return out;
}

/** A piece of overlap: [from, to) with `extra` holders beyond the limit, in an overlap that lasts until `runEnd`. */
interface Piece {
  readonly from: number;
  readonly to: number;
  readonly extra: number;
  readonly runEnd: number;
}

/** A nemesis op that starts something (not a heal, not a wait): what "the fault before it" names. */
const HEAL_OR_NEUTRAL =
  /^(resume|start|actor-resume|actor-start|wait-for-recovery|await-acquisition|log|reset-clock)$|^stop-|^heal-|-stop$/;

/** An actor's exit (`exitFs`) is a record of what a fault did, not a fault: it is skipped, so the fault before it is named. */
function lastFaultBefore(
  history: readonly Op[],
  at: number,
  exitFs: ReadonlySet<string>,
): { invoke: Op; completion: Op | undefined } | undefined {
  let found: { invoke: Op; completion: Op | undefined } | undefined;
  let pending: { invoke: Op; completion: Op | undefined } | undefined;
  for (const op of history) {
    if (op.process !== "nemesis") continue;
    // Nemesis ops complete in order: the next completion after an invoke is its own (even past `at`).
    if (op.type !== "invoke") {
      if (pending) pending.completion = op;
      pending = undefined;
      if (op.time > at && found) break;
      continue;
    }
    if (op.time > at) break;
    pending = undefined;
    if (!HEAL_OR_NEUTRAL.test(op.f) && !exitFs.has(op.f)) {
      found = { invoke: op, completion: undefined };
      pending = found;
    }
  }
  return found;
}

/**
 * What a fault hit, from its completion: the nodes (`kill "primary"`
 * completes with `["n2"]`) or the actors (`{ actors: "fresh-holder" }`
 * with `{ actors: ["a3"], ... }`); undefined when it does not say more than
 * the invocation.
 */
function hitOf(invoke: Op, completion: Op | undefined): string | undefined {
  if (completion?.type !== "ok") return undefined;
  const value = completion.value as unknown;
  const hit =
    Array.isArray(value) && value.every((v) => typeof v === "string")
      ? value
      : typeof value === "object" && value !== null && Array.isArray((value as { actors?: unknown }).actors)
        ? (value as { actors: unknown[] }).actors
        : undefined;
  if (hit === undefined || JSON.stringify(hit) === JSON.stringify(invoke.value)) return undefined;
  return JSON.stringify(hit);
}

const opText = ({ invoke: op, completion }: { invoke: Op; completion: Op | undefined }): string => {
  const hit = hitOf(op, completion);
  const asked = op.value === null || op.value === undefined ? "" : ` ${JSON.stringify(op.value)}`;
  return `${op.f}${hit === undefined ? asked : ` ${hit} (asked${asked || " nothing"})`} at ${secondsText(op.time)} (op ${op.index})`;
};

interface Group {
  readonly office: string | undefined;
  /** Indexes of its intervals, ascending. */
  readonly members: Int32Array;
}

/**
 * What the sweep needs of every hold, read in one pass into typed arrays
 * (holder and office as small integers), so the later passes run over
 * contiguous memory instead of a million scattered objects.
 */
interface Columns {
  readonly start: Float64Array;
  readonly holder: Int32Array;
  readonly holderNames: readonly string[];
  readonly groups: readonly Group[];
}

function columns(intervals: readonly Interval[]): Columns {
  const n = intervals.length;
  const start = new Float64Array(n);
  const holder = new Int32Array(n);
  const office = new Int32Array(n);
  const holderIds = new Map<string, number>();
  const holderNames: string[] = [];
  const officeIds = new Map<string | undefined, number>();
  const officeNames: Array<string | undefined> = [];
  const officeCounts: number[] = [];
  for (let i = 0; i < n; i++) {
    const interval = intervals[i] as Interval;
    start[i] = interval.start;
    let h = holderIds.get(interval.holder);
    if (h === undefined) {
      h = holderNames.length;
      holderIds.set(interval.holder, h);
      holderNames.push(interval.holder);
    }
    holder[i] = h;
    let o = officeIds.get(interval.office);
    if (o === undefined) {
      o = officeNames.length;
      officeIds.set(interval.office, o);
      officeNames.push(interval.office);
      officeCounts.push(0);
    }
    office[i] = o;
    officeCounts[o] = (officeCounts[o] as number) + 1;
  }
  const members = officeCounts.map((count) => new Int32Array(count));
  const filled = new Int32Array(officeNames.length);
  for (let i = 0; i < n; i++) {
    const o = office[i] as number;
    const at = filled[o] as number;
    (members[o] as Int32Array)[at] = i;
    filled[o] = at + 1;
  }
  return {
    start,
    holder,
    holderNames,
    groups: officeNames.map((name, o) => ({ office: name, members: members[o] as Int32Array })),
  };
}

function validateOptions(options: BoundedConcurrencyOptions): void {
  if (!Number.isSafeInteger(options.limit) || options.limit < 1)
    throw new UsageError(
      `boundedConcurrency: limit is ${options.limit}; expected a positive integer (1 for a lock)`,
    );
  if (!Number.isFinite(options.lossWindowMs) || options.lossWindowMs < 0)
    throw new UsageError(
      `boundedConcurrency: lossWindowMs is ${options.lossWindowMs}; expected a non-negative number of milliseconds (TTL plus kill-after)`,
    );
}

/**
 * The check itself over intervals and the history they belong to (what the
 * checker runs on `ctx.intervals`; the bench calls it directly).
 */
export function checkBoundedConcurrency(
  intervals: readonly Interval[],
  history: readonly Op[],
  options: BoundedConcurrencyOptions,
): CheckResult {
  validateOptions(options);
  const { limit } = options;
  const windowNs = options.lossWindowMs * 1e6;
  const maxReported = options.maxReported ?? DEFAULT_MAX_REPORTED;
  const maxListed = options.maxLossEventsListed ?? DEFAULT_MAX_EVENTS_LISTED;
  if (intervals.length === 0)
    return {
      valid: "unknown",
      explanation:
        "no interval log (or an empty one): nobody recorded a hold, so how many held at once cannot be judged",
    };
  const cols = columns(intervals);
  const holders = new Set(cols.holderNames);
  const events = lossEvents(history, {
    holders,
    ...(options.lossRules ? { rules: options.lossRules } : {}),
  });
  const killed = holderEnds(history, events, {
    holders,
    ...(options.exitFs ? { exitFs: options.exitFs } : {}),
  });
  const { ends, endedBy, runEnd, openCount } = resolveEnds(
    intervals,
    history,
    killed,
    options.openEnd ?? "kill",
  );
  const exitFs = new Set(options.exitFs ?? DEFAULT_EXIT_FS);
  const eventsByName = byHolder(events, windowNs);
  const eventsByHolder = cols.holderNames.map((name) => eventsByName.get(name));

  /** Overlap segments per office: within one office they are sorted and disjoint. */
  const excessByOffice: Piece[][] = [];
  let overlapCount = 0;
  const violations: ConcurrencyViolation[] = [];
  const described: Array<
    (measuredOf: (event: LossEvent) => LossEventOverlap | undefined) => ConcurrencyViolation
  > = [];
  let violationCount = 0;
  let holdersMax = 0;
  const rangeFrom: number[] = [];
  const rangeTo: number[] = [];
  for (const group of cols.groups) {
    const n = group.members.length;
    const starts = new Float64Array(n);
    const groupEnds = new Float64Array(n);
    const zStarts = new Floats();
    const zEnds = new Floats();
    /** Excused stretches by member position, for describing violations. */
    const zOwner: number[] = [];
    const zFrom: number[] = [];
    const zTo: number[] = [];
    for (let m = 0; m < n; m++) {
      const index = group.members[m] as number;
      const start = cols.start[index] as number;
      const end = ends[index] as number;
      starts[m] = start;
      groupEnds[m] = end;
      const mine = eventsByHolder[cols.holder[index] as number];
      if (!mine || end <= start) continue;
      // Zombie stretches: events of this holder that began before the hold ended and were healed after it
      // began. Those that began by its start all excuse it from its start, so together they excuse
      // [start, largest heal among them + window): one lookup in the prefix maximum, however many there
      // are (a heal that never came makes them all alike). Those that began during the hold are few.
      let ranges = 0;
      const last = lastStartBefore(mine.start, end);
      let first = lastStartBefore(mine.start, start);
      // lastStartBefore is strict; events starting exactly at `start` belong to the first group.
      while (first + 1 <= last && mine.start[first + 1] === start) first++;
      if (first >= 0 && (mine.prefixMaxHeal[first] as number) > start) {
        const to = Math.min(end, (mine.prefixMaxHeal[first] as number) + windowNs);
        if (to > start) {
          rangeFrom[ranges] = start;
          rangeTo[ranges] = to;
          ranges++;
        }
      }
      for (let e = first + 1; e <= last; e++) {
        if ((mine.heal[e] as number) <= start) continue;
        const from = mine.start[e] as number;
        const to = Math.min(end, mine.windowEnd[e] as number);
        if (to > from) {
          rangeFrom[ranges] = from;
          rangeTo[ranges] = to;
          ranges++;
        }
      }
      // Claimed before the fault, recorded after its heal: a hold whose token is below the event's bound
      // (a slot taken between two revokes of one fault; a wrapper paused between its claim and its child's
      // first record) is a zombie from its first instant, up to the window's end.
      const revokes = mine.claimed;
      if (revokes.start.length > 0) {
        const token = tokenNumber((intervals[index] as Interval).token);
        if (token !== undefined) {
          for (let e = lastStartBefore(revokes.start, start + 1); e >= 0; e--) {
            if ((revokes.start[e] as number) < start - revokes.spanMax) break;
            if ((revokes.heal[e] as number) > start || token >= (revokes.tokensBelow[e] as number)) continue;
            const to = Math.min(end, revokes.windowEnd[e] as number);
            if (to > start) {
              rangeFrom[ranges] = start;
              rangeTo[ranges] = to;
              ranges++;
            }
          }
        }
      }
      if (ranges === 0) continue;
      // Merge overlapping stretches (nested or overlapping loss events), so one hold is excused at most once.
      const order = Array.from({ length: ranges }, (_, r) => r).sort(
        (a, b) => (rangeFrom[a] as number) - (rangeFrom[b] as number),
      );
      let curFrom = rangeFrom[order[0] as number] as number;
      let curTo = rangeTo[order[0] as number] as number;
      const flush = () => {
        zStarts.push(curFrom);
        zEnds.push(curTo);
        zOwner.push(m);
        zFrom.push(curFrom);
        zTo.push(curTo);
      };
      for (let r = 1; r < order.length; r++) {
        const from = rangeFrom[order[r] as number] as number;
        const to = rangeTo[order[r] as number] as number;
        if (from <= curTo) curTo = Math.max(curTo, to);
        else {
          flush();
          curFrom = from;
          curTo = to;
        }
      }
      flush();
    }
    const swept = sweep(
      sortTimes(starts),
      sortTimes(groupEnds),
      sortTimes(zStarts.values.subarray(0, zStarts.length)),
      sortTimes(zEnds.values.subarray(0, zEnds.length)),
      limit,
    );
    holdersMax = Math.max(holdersMax, swept.holdersMax);
    const excess: Piece[] = [];
    excessByOffice.push(excess);
    overlapCount += swept.runCount;
    for (let s = 0; s < swept.excessFrom.length; s++)
      excess.push({
        from: swept.excessFrom[s] as number,
        to: swept.excessTo[s] as number,
        extra: swept.excessExtra[s] as number,
        runEnd: swept.excessRunEnd[s] as number,
      });
    violationCount += swept.violationFrom.length;
    for (let v = 0; v < swept.violationFrom.length && described.length < maxReported; v++) {
      const from = swept.violationFrom[v] as number;
      const to = swept.violationTo[v] as number;
      // Described once every event's overlap is measured, so the words can say how long the overlap lasted.
      described.push((measuredOf) =>
        describeViolation({
          office: group.office,
          from,
          to,
          holdersMaxInIt: swept.violationHoldersMax[v] as number,
          limit,
          group,
          intervals,
          ends,
          endedBy,
          excusedAt: (m: number, at: number) => {
            for (let q = 0; q < zOwner.length; q++)
              if (zOwner[q] === m && (zFrom[q] as number) <= at && at < (zTo[q] as number)) return true;
            return false;
          },
          events,
          measuredOf,
          windowNs,
          history,
          exitFs,
        }),
      );
    }
  }
  const measured = events.map((event) => measure(event, excessByOffice, windowNs));
  const measuredByEvent = new Map(events.map((event, i) => [event, measured[i] as LossEventOverlap]));
  for (const describe of described) violations.push(describe((event) => measuredByEvent.get(event)));
  const unjudged = measured.filter((m) => m.healedAtMs === null && m.extraHoldersMax > 0);
  const detail = {
    limit,
    lossWindowMs: options.lossWindowMs,
    intervalCount: intervals.length,
    openIntervalCount: openCount,
    holderCount: holders.size,
    holdersMax,
    runEndMs: toMs(runEnd),
    lossEventCount: events.length,
    lossEvents: measured.slice(0, maxListed),
    lossEventsNotListed: Math.max(0, measured.length - maxListed),
    overlapCount,
    violationCount,
    violations,
  };
  if (violationCount > 0) {
    const more =
      violationCount > violations.length ? ` (${violationCount - violations.length} more not described)` : "";
    return {
      valid: false,
      ...detail,
      explanation: `${violationCount} time${violationCount === 1 ? "" : "s"} more than ${limit} held at once outside every loss event's window${more}: ${violations
        .slice(0, 3)
        .map((v) => v.explanation)
        .join("; ")}`,
    };
  }
  if (unjudged.length > 0) {
    const first = unjudged[0] as LossEventOverlap;
    return {
      valid: "unknown",
      ...detail,
      explanation: `${unjudged.length} loss event${unjudged.length === 1 ? " was" : "s were"} never healed while more than ${limit} held (first: ${first.f} of ${first.holder} at ${secondsText(first.startMs * 1e6)}, op ${first.index}), so whether the overlap's window closes cannot be judged`,
    };
  }
  let longest: LossEventOverlap | undefined;
  for (const m of measured)
    if (
      m.overlapAfterHealMs !== null &&
      (!longest || m.overlapAfterHealMs > (longest.overlapAfterHealMs ?? 0))
    )
      longest = m;
  const longestText = longest
    ? `; the longest lasted ${longest.overlapAfterHealMs} ms after its heal (${longest.f} of ${longest.holder} at ${secondsText(longest.startMs * 1e6)}, op ${longest.index})`
    : "";
  return {
    valid: true,
    ...detail,
    explanation: `${intervals.length} holds of ${holders.size} holders: never more than ${limit} at once outside a loss event's window; ${overlapCount} overlap${overlapCount === 1 ? "" : "s"} after ${events.length} loss event${events.length === 1 ? "" : "s"}, each closed within ${options.lossWindowMs} ms of its heal${longestText}`,
  };
}

/** The overlap in one event's window: the overlap segments of every office that meet `[start, heal + window)`. */
function measure(
  event: LossEvent,
  excessByOffice: ReadonlyArray<readonly Piece[]>,
  windowNs: number,
): LossEventOverlap {
  const windowEnd = event.healedAt === undefined ? Number.POSITIVE_INFINITY : event.healedAt + windowNs;
  let extraMax = 0;
  let overlapNs = 0;
  let overlapEnd: number | undefined;
  for (const excess of excessByOffice) {
    // Disjoint and sorted: the first segment that may meet the window is the first ending after its start.
    let low = 0;
    let high = excess.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((excess[mid] as Piece).to <= event.start) low = mid + 1;
      else high = mid;
    }
    for (let s = low; s < excess.length; s++) {
      const segment = excess[s] as Piece;
      if (segment.from >= windowEnd) break;
      const met = Math.min(segment.to, windowEnd) - Math.max(segment.from, event.start);
      if (met <= 0) continue; // an empty window (a heal at once with no loss window) meets nothing
      extraMax = Math.max(extraMax, segment.extra);
      overlapNs += met;
      overlapEnd = Math.max(overlapEnd ?? segment.runEnd, segment.runEnd);
    }
  }
  return {
    f: event.f,
    kind: event.kind,
    holder: event.holder,
    index: event.index,
    startMs: toMs(event.start),
    healedAtMs: event.healedAt === undefined ? null : toMs(event.healedAt),
    windowEndMs: event.healedAt === undefined ? null : toMs(windowEnd),
    extraHoldersMax: extraMax,
    overlapMs: toMs(overlapNs),
    overlapEndMs: overlapEnd === undefined ? null : toMs(overlapEnd),
    overlapAfterHealMs:
      overlapEnd === undefined || event.healedAt === undefined
        ? null
        : toMs(Math.max(0, overlapEnd - event.healedAt)),
    closed: overlapEnd === undefined || overlapEnd <= windowEnd,
  };
}

function describeViolation(args: {
  office: string | undefined;
  from: number;
  to: number;
  holdersMaxInIt: number;
  limit: number;
  group: Group;
  intervals: readonly Interval[];
  ends: Float64Array;
  endedBy: Uint8Array;
  excusedAt: (member: number, at: number) => boolean;
  events: readonly LossEvent[];
  measuredOf: (event: LossEvent) => LossEventOverlap | undefined;
  windowNs: number;
  history: readonly Op[];
  exitFs: ReadonlySet<string>;
}): ConcurrencyViolation {
  const { from, to, group, intervals, ends, endedBy } = args;
  const involved: ViolationInterval[] = [];
  const words: string[] = [];
  for (let m = 0; m < group.members.length; m++) {
    const index = group.members[m] as number;
    const interval = intervals[index] as Interval;
    const end = ends[index] as number;
    if (!(interval.start <= from && from < end)) continue;
    const how = endedByName(endedBy[index] as number);
    const excused = args.excusedAt(m, from);
    involved.push({
      holder: interval.holder,
      pid: interval.pid,
      ...(interval.token === undefined ? {} : { token: interval.token }),
      ...(interval.slot === undefined ? {} : { slot: interval.slot }),
      startMs: toMs(interval.start),
      endMs: toMs(end),
      endedBy: how,
      excused,
      line: interval.line,
    });
    words.push(`${intervalText(interval, end, how)}${excused ? " [excused: in a loss window]" : ""}`);
  }
  const tokens = new Set(involved.map((i) => (i.token === undefined ? undefined : String(i.token))));
  const sameToken =
    involved.length > 1 && tokens.size === 1 && !tokens.has(undefined)
      ? `, all with token ${[...tokens][0]}`
      : "";
  // The loss event it follows: the latest before it that hit one of these holders, else the latest of any.
  const involvedHolders = new Set(involved.map((i) => i.holder));
  let lastEvent: LossEvent | undefined;
  let lastOwnEvent: LossEvent | undefined;
  for (const event of args.events) {
    if (event.start > from) continue;
    if (!lastEvent || event.start >= lastEvent.start) lastEvent = event;
    if (involvedHolders.has(event.holder) && (!lastOwnEvent || event.start >= lastOwnEvent.start))
      lastOwnEvent = event;
  }
  lastEvent = lastOwnEvent ?? lastEvent;
  const fault = lastFaultBefore(args.history, from, args.exitFs);
  const context: string[] = [];
  if (lastEvent) {
    const windowEnd = lastEvent.healedAt === undefined ? undefined : lastEvent.healedAt + args.windowNs;
    const overlap = args.measuredOf(lastEvent);
    const lasted =
      overlap && overlap.overlapEndMs !== null && overlap.healedAtMs !== null
        ? `; the overlap after it lasted ${overlap.overlapAfterHealMs} ms after the heal (until ${secondsText(overlap.overlapEndMs * 1e6)}), against a window of ${args.windowNs / 1e6} ms`
        : "";
    context.push(
      `the last loss event before it: ${lossEventText(lastEvent)}${windowEnd === undefined ? "" : `, its window ended at ${secondsText(windowEnd)}`}${lasted}`,
    );
  } else context.push("no loss event came before it");
  if (fault && (!lastEvent || fault.invoke.index !== lastEvent.index))
    context.push(
      `the last fault before it: ${opText(fault)}, which is not a loss event of any of these holders`,
    );
  const office = args.office === undefined ? "" : ` of office ${args.office}`;
  const explanation = `from ${secondsText(from)} to ${secondsText(to)} (${msText(to - from)}) ${args.holdersMaxInIt} held${office} where at most ${args.limit} may${sameToken}: ${words.join("; ")}; ${context.join("; ")}`;
  return {
    office: args.office,
    startMs: toMs(from),
    endMs: toMs(to),
    durationMs: toMs(to - from),
    holdersMax: args.holdersMaxInIt,
    intervals: involved,
    explanation,
  };
}

/** The checker: judges `ctx.intervals` with the history's loss events. */
export function boundedConcurrency(options: BoundedConcurrencyOptions): Checker {
  validateOptions(options);
  return {
    name: "bounded-concurrency",
    check(history: readonly Op[], ctx: CheckContext): CheckResult {
      return checkBoundedConcurrency(ctx.intervals ?? [], history, options);
    },
  };
}
