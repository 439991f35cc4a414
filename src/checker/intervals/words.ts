/** Intervals, times and loss events in words, for the checkers' explanations (one place, so they read alike). */
import type { Interval } from "../../history/intervals.js";
import type { EndedBy } from "./ends.js";
import type { LossEvent } from "./loss-events.js";

/** Nanoseconds on the run's axis as seconds with milliseconds: `12.345 s`. */
export const secondsText = (ns: number): string =>
  Number.isFinite(ns) ? `${(ns / 1e9).toFixed(3)} s` : "the end of time";

/** A duration in nanoseconds as milliseconds: `250.000 ms`. */
export const msText = (ns: number): string => `${(ns / 1e6).toFixed(3)} ms`;

/** Nanoseconds to milliseconds, to the nanosecond, for result fields. */
export const toMs = (ns: number): number => Math.round(ns) / 1e6;

/** `a2 (pid 4711, token 57, slot 1)`. */
export function holderText(interval: Interval): string {
  const parts = [`pid ${interval.pid}`];
  if (interval.token !== undefined) parts.push(`token ${interval.token}`);
  if (interval.slot !== undefined) parts.push(`slot ${interval.slot}`);
  if (interval.office !== undefined) parts.push(`office ${interval.office}`);
  return `${interval.holder} (${parts.join(", ")})`;
}

/**
 * An interval in words: `a2 (pid 4711, token 57) from 1.000 s to 4.000 s
 * (log line 7)`; an open one says how its end was taken.
 */
export function intervalText(interval: Interval, end: number, endedBy: EndedBy): string {
  const until =
    endedBy === "record"
      ? `to ${secondsText(end)}`
      : endedBy === "kill"
        ? `to ${secondsText(end)} (no end record; its actor was killed or exited then)`
        : endedBy === "next-hold"
          ? `to ${secondsText(end)} (no end record; its holder's next hold began then)`
          : `to the end of the run at ${secondsText(end)} (no end record, no kill of its actor)`;
  return `${holderText(interval)} from ${secondsText(interval.start)} ${until} (log line ${interval.line})`;
}

/** `actor-pause of a2 at 3.000 s (op 17), healed at 5.000 s`. */
export function lossEventText(event: LossEvent): string {
  const healed = event.healedAt === undefined ? "never healed" : `healed at ${secondsText(event.healedAt)}`;
  return `${event.f} of ${event.holder} at ${secondsText(event.start)} (op ${event.index}), ${healed}`;
}
