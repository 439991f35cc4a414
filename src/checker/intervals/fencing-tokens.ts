/**
 * `fencingTokens({ by })`: in order of acquisition, the fencing tokens of one
 * office (a lock) or slot (one of a semaphore's permits) strictly increase.
 *
 * A lease-based lock cannot stop a paused holder from acting after its lease
 * is gone; what makes it safe is a token that grows with every succession, so
 * that the resource the holder writes to rejects a stale one (Kleppmann, "How
 * to do distributed locking"). With etcd the token is the lock key's create
 * revision (`ETCD_LOCK_REV` from `etcdctl lock`). Two holds with one token,
 * or a later hold with a smaller token, mean the resource cannot tell a
 * zombie from the rightful holder.
 *
 * Decisions, and why:
 * - "Order of acquisition" is the order of the holds' starts (the child's
 *   start record is written after it acquired); holds that start at one
 *   instant are ordered by their line in the log, the order the kernel
 *   appended them. One exception: a hold whose token is below a loss
 *   event's `tokensBelow` (loss-events.ts) for its holder was claimed before
 *   that fault, though its start was recorded later (a wrapper paused
 *   between its claim and its child's first record): it is placed at the
 *   fault's start. A zombie is judged by when it got its token, not by when
 *   its child woke up.
 * - Tokens are compared as integers (numbers or decimal strings, compared
 *   exactly as BigInt): revisions and counters are integers, and "10" < "9"
 *   as text would be a false alarm. A token that is not an integer makes the
 *   result `unknown`, with the line.
 * - Holds without a token are counted and skipped; with no office or slot
 *   having two tokened holds there is no succession to judge: `unknown`.
 *
 * {@link fencedResource} is the other half: a resource that enforces the rule
 * (rejects a token not above the highest it accepted), for a test to write
 * through; its `check()` judges the writes it accepted the same way.
 */
import type { Interval } from "../../history/intervals.js";
import type { Op } from "../../history/op.js";
import type { CheckContext, Checker, CheckResult } from "../types.js";
import { type LossRule, lossEvents } from "./loss-events.js";
import { secondsText } from "./words.js";

export interface FencingTokensOptions {
  /** What a token sequence belongs to: each office (lock), or each slot (permit) of a semaphore. Default `"office"`. */
  readonly by?: "office" | "slot";
  /** Which fault `f` is which loss event (default `DEFAULT_LOSS_RULES`), for holds recorded after their claim. */
  readonly lossRules?: Readonly<Record<string, LossRule>>;
  /** Violations described in full; default 20. */
  readonly maxReported?: number;
}

/** One token that did not grow: the hold before it and the hold itself. */
export interface FencingViolation {
  /** The office or slot (as text; `"(none)"` when the holds have none). */
  readonly group: string;
  readonly previous: { holder: string; pid: number; token: string | number; startMs: number; line: number };
  readonly next: { holder: string; pid: number; token: string | number; startMs: number; line: number };
  readonly explanation: string;
}

const integerToken = (token: string | number): bigint | undefined => {
  if (typeof token === "number") return Number.isSafeInteger(token) ? BigInt(token) : undefined;
  return /^-?\d{1,40}$/.test(token) ? BigInt(token) : undefined;
};

/** What a token sequence is judged over: one tokened item (a hold, a write) with its time. */
export interface Tokened {
  readonly holder: string;
  readonly pid: number;
  readonly token: string | number;
  /** ns on the run's axis. */
  readonly start: number;
  readonly line: number;
  readonly group: string;
}

/** The strictly-increasing check over tokened items (holds or writes). */
export function checkTokenSequences(
  items: readonly Tokened[],
  options: { readonly maxReported?: number; readonly what: string; readonly skipped: number },
): CheckResult {
  const maxReported = options.maxReported ?? 20;
  const groups = new Map<string, Array<{ item: Tokened; value: bigint }>>();
  for (const item of items) {
    const value = integerToken(item.token);
    if (value === undefined)
      return {
        valid: "unknown",
        explanation: `${options.what} of ${item.holder} (line ${item.line}) has token ${JSON.stringify(item.token)}, not an integer; fencing tokens are compared as integers (a revision, a counter)`,
      };
    const list = groups.get(item.group);
    if (list) list.push({ item, value });
    else groups.set(item.group, [{ item, value }]);
  }
  const violations: FencingViolation[] = [];
  let violationCount = 0;
  let successions = 0;
  for (const [group, list] of groups) {
    list.sort((a, b) => a.item.start - b.item.start || a.item.line - b.item.line);
    for (let i = 1; i < list.length; i++) {
      successions++;
      const previous = list[i - 1] as { item: Tokened; value: bigint };
      const next = list[i] as { item: Tokened; value: bigint };
      if (next.value > previous.value) continue;
      violationCount++;
      if (violations.length >= maxReported) continue;
      const side = (t: Tokened) => ({
        holder: t.holder,
        pid: t.pid,
        token: t.token,
        startMs: Math.round(t.start) / 1e6,
        line: t.line,
      });
      const relation = next.value === previous.value ? "the same token" : "a smaller token";
      violations.push({
        group,
        previous: side(previous.item),
        next: side(next.item),
        explanation: `${group === NO_GROUP ? "" : `${group}: `}${next.item.holder} (pid ${next.item.pid}, line ${next.item.line}) acquired at ${secondsText(next.item.start)} with ${relation} (${next.item.token}) as ${previous.item.holder} (pid ${previous.item.pid}, line ${previous.item.line}) before it at ${secondsText(previous.item.start)} (${previous.item.token}); tokens must strictly increase`,
      });
    }
  }
  const detail = {
    groupCount: groups.size,
    tokenedCount: items.length,
    withoutTokenCount: options.skipped,
    successionCount: successions,
    violationCount,
    violations,
  };
  if (violationCount > 0)
    return {
      valid: false,
      ...detail,
      explanation: `${violationCount} of ${successions} successions did not increase the fencing token: ${violations
        .slice(0, 3)
        .map((v) => v.explanation)
        .join("; ")}`,
    };
  if (successions === 0)
    return {
      valid: "unknown",
      ...detail,
      explanation: `no two ${options.what}s with tokens in one office or slot (${items.length} with a token, ${options.skipped} without): no succession to judge`,
    };
  return {
    valid: true,
    ...detail,
    explanation: `${successions} successions in ${groups.size} group${groups.size === 1 ? "" : "s"}, each with a larger token`,
  };
}

const NO_GROUP = "(none)";

/** The check over a run's intervals (what the checker runs on `ctx.intervals`). */
export function checkFencingTokens(
  intervals: readonly Interval[],
  options: FencingTokensOptions = {},
  history: readonly Op[] = [],
): CheckResult {
  const by = options.by ?? "office";
  if (intervals.length === 0)
    return { valid: "unknown", explanation: "no interval log (or an empty one): no token to judge" };
  // Faults that bound the tokens claimed before them, by holder (usually few).
  const bounded = new Map<string, Array<{ start: number; tokensBelow: bigint }>>();
  for (const event of lossEvents(history, {
    holders: new Set(intervals.map((interval) => interval.holder)),
    ...(options.lossRules ? { rules: options.lossRules } : {}),
  })) {
    if (event.tokensBelow === undefined || !Number.isSafeInteger(event.tokensBelow)) continue;
    const list = bounded.get(event.holder) ?? [];
    list.push({ start: event.start, tokensBelow: BigInt(event.tokensBelow) });
    bounded.set(event.holder, list);
  }
  const acquiredAt = (interval: Interval, token: string | number): number => {
    const events = bounded.get(interval.holder);
    const value = events && integerToken(token);
    if (!events || value === undefined) return interval.start;
    let at = interval.start;
    for (const event of events) if (event.start < at && value < event.tokensBelow) at = event.start;
    return at;
  };
  const items: Tokened[] = [];
  let skipped = 0;
  for (const interval of intervals) {
    if (interval.token === undefined) {
      skipped++;
      continue;
    }
    const group = by === "office" ? interval.office : interval.slot;
    items.push({
      holder: interval.holder,
      pid: interval.pid,
      token: interval.token,
      start: acquiredAt(interval, interval.token),
      line: interval.line,
      group: group === undefined ? NO_GROUP : `${by} ${group}`,
    });
  }
  return { by, ...checkTokenSequences(items, { what: "the hold", skipped, ...options }) };
}

export function fencingTokens(options: FencingTokensOptions = {}): Checker {
  return {
    name: "fencing-tokens",
    check(history: readonly Op[], ctx: CheckContext): CheckResult {
      return checkFencingTokens(ctx.intervals ?? [], options, history);
    },
  };
}

/** One write offered to a {@link FencedResource}. */
export interface FencedWrite {
  readonly holder: string;
  readonly token: string | number;
  /** Which office or slot the token belongs to (default one for all). */
  readonly group?: string;
  readonly value?: unknown;
  /** ns on the run's axis (default: the order of writes). */
  readonly at?: number;
}

export interface FencedResource {
  /**
   * Offer a write: accepted when its token is above the highest this resource
   * accepted for its group, rejected (a stale holder, fenced off) otherwise.
   */
  write(write: FencedWrite): { accepted: boolean; highest: string | undefined; reason?: string };
  /** Every write offered, in order, with whether it was accepted. */
  readonly writes: ReadonlyArray<FencedWrite & { accepted: boolean; seq: number }>;
  /** The accepted writes judged as {@link fencingTokens} judges holds, with the count of stale writes it fenced off. */
  check(): CheckResult;
}

/**
 * A resource that rejects stale tokens, for a test whose holders write
 * through it (in-process, or by forwarding what a real resource logged).
 * A token that is not an integer is refused with a thrown error: that is the
 * test's bug, not the lock's.
 */
export function fencedResource(): FencedResource {
  const highest = new Map<string, bigint>();
  const writes: Array<FencedWrite & { accepted: boolean; seq: number }> = [];
  return {
    writes,
    write(write) {
      const value = integerToken(write.token);
      if (value === undefined)
        throw new TypeError(
          `fencedResource: token ${JSON.stringify(write.token)} of ${write.holder} is not an integer`,
        );
      const group = write.group ?? NO_GROUP;
      const top = highest.get(group);
      const accepted = top === undefined || value > top;
      if (accepted) highest.set(group, value);
      writes.push({ ...write, accepted, seq: writes.length });
      const now = highest.get(group);
      return {
        accepted,
        highest: now === undefined ? undefined : String(now),
        ...(accepted ? {} : { reason: `token ${write.token} is not above ${top}: a stale holder` }),
      };
    },
    check() {
      const accepted = writes.filter((w) => w.accepted);
      const result = checkTokenSequences(
        accepted.map((w) => ({
          holder: w.holder,
          pid: 0,
          token: w.token,
          start: w.at ?? w.seq,
          line: w.seq + 1,
          group: w.group ?? NO_GROUP,
        })),
        { what: "the write", skipped: 0 },
      );
      return { ...result, acceptedCount: accepted.length, fencedOffCount: writes.length - accepted.length };
    },
  };
}
