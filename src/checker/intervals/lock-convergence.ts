/**
 * `lockConvergence({ expectedHolders })`: after the last fault is healed and a
 * quiet period, the lock settles: exactly the expected number of holders
 * hold, and every other contender was promoted or exited with an allowed code.
 *
 * Bounded concurrency says "never too many"; this says "not stuck": a stale
 * lease key that nobody owns, a waiter watching a predecessor that is gone,
 * a wrapper that hangs instead of exiting all leave the lock vacant (or
 * short of its N slots) long after the faults stopped.
 *
 * How it is judged, and why:
 * - The last heal is the last nemesis op of the history (a fault or its
 *   heal; the final wait, log lines and actor exits do not count). The judged stretch
 *   runs from it plus `quietMs` to the end of the last hold (after which the
 *   runner is stopping everything).
 * - In that stretch (per office), never more than `expectedHolders` hold, and
 *   never fewer for longer than `handoverMs` (default 1000: a clean exit
 *   hands over in under a second, not a TTL), and it starts at (or reaches,
 *   within `handoverMs`) exactly `expectedHolders`.
 * - Every contender (the holders of the log, the actors of its exit ops, and
 *   `contenders` if given) either held after the last heal (promoted, or
 *   still holding when it came) or
 *   exited before the stretch's end with a code in `allowedExitCodes`
 *   (default 0, 70 "lease lost", 75 "would block"); one that did neither is
 *   still waiting, which is a violation unless `allowWaiting` is set (a
 *   workload whose contenders loop forever).
 * - The run ending before the quiet period is over → `unknown`.
 *
 * Exit ops are ops whose `f` is in `exitFs` (default `["actor-exit"]`), any
 * process, with a value `{ actor, code, signal }` (`name` for `actor` and
 * `exitCode` for `code` are read too). An exit whose value says
 * `cause: "close"` (the actor fixture ending its actors with the run) is the
 * harness's doing, not the contender's: it counts as neither an exit nor a
 * bad one.
 */
import type { Interval } from "../../history/intervals.js";
import type { Op } from "../../history/op.js";
import type { CheckContext, Checker, CheckResult } from "../types.js";
import { resolveEnds } from "./ends.js";
import { DEFAULT_EXIT_FS, holderEnds, lossEvents } from "./loss-events.js";
import { msText, secondsText, toMs } from "./words.js";

export interface LockConvergenceOptions {
  /** How many hold once settled: 1 for a lock, N for an N-permit semaphore. */
  readonly expectedHolders: number;
  /** How long after the last heal the lock may take to settle (default 0: the TTL is a good value). */
  readonly quietMs?: number;
  /** The longest a slot may stay vacant in a handover once settled; default 1000. */
  readonly handoverMs?: number;
  /** Exit codes a contender may end with; default [0, 70, 75]. */
  readonly allowedExitCodes?: readonly number[];
  /** Contenders that may appear in neither the log nor an exit op (a waiter that never got anywhere). */
  readonly contenders?: readonly string[];
  /** A contender still waiting at the end is fine (contenders that loop forever). Default false. */
  readonly allowWaiting?: boolean;
  readonly exitFs?: readonly string[];
}

/** An exit op's actor, code and signal. */
export function exitOf(op: Op): { actor: string; code: number | null; signal: string | null } | undefined {
  const value = op.value as Record<string, unknown> | null;
  if (typeof value !== "object" || value === null) return undefined;
  const actor = value.actor ?? value.name;
  if (typeof actor !== "string") return undefined;
  const code = value.code ?? value.exitCode;
  const signal = value.signal;
  return {
    actor,
    code: typeof code === "number" ? code : null,
    signal: typeof signal === "string" ? signal : null,
  };
}

const NEUTRAL_NEMESIS = new Set(["wait-for-recovery", "log"]);

export function checkLockConvergence(
  intervals: readonly Interval[],
  history: readonly Op[],
  options: LockConvergenceOptions,
): CheckResult {
  const expected = options.expectedHolders;
  const quietNs = (options.quietMs ?? 0) * 1e6;
  const handoverNs = (options.handoverMs ?? 1000) * 1e6;
  const allowed = new Set(options.allowedExitCodes ?? [0, 70, 75]);
  const exitFs = new Set(options.exitFs ?? DEFAULT_EXIT_FS);
  if (intervals.length === 0)
    return { valid: "unknown", explanation: "no interval log (or an empty one): who holds cannot be judged" };
  let lastHeal = 0;
  let lastHealOp: Op | undefined;
  // An actor's exit is journaled on the nemesis lane but is no fault: the actors closing at the end must not count.
  for (const op of history)
    if (op.process === "nemesis" && !NEUTRAL_NEMESIS.has(op.f) && !exitFs.has(op.f) && op.time >= lastHeal) {
      lastHeal = op.time;
      lastHealOp = op;
    }
  const holders = new Set(intervals.map((i) => i.holder));
  const events = lossEvents(history, { holders });
  const killed = holderEnds(history, events, {
    holders,
    ...(options.exitFs ? { exitFs: options.exitFs } : {}),
  });
  const { ends, runEnd } = resolveEnds(intervals, history, killed, "kill");
  const from = lastHeal + quietNs;
  let until = 0;
  for (let i = 0; i < intervals.length; i++) if ((ends[i] as number) > until) until = ends[i] as number;
  const healText = lastHealOp
    ? `the last heal (${lastHealOp.f}, op ${lastHealOp.index}) at ${secondsText(lastHeal)}`
    : "the start (no fault)";
  if (until <= from)
    return {
      valid: "unknown",
      explanation: `the last hold ended at ${secondsText(until)}, before ${healText} plus the quiet period of ${options.quietMs ?? 0} ms: too little after the faults to judge convergence`,
    };
  const problems: string[] = [];
  const offices = new Map<string | undefined, number[]>();
  for (let i = 0; i < intervals.length; i++) {
    const office = (intervals[i] as Interval).office;
    const list = offices.get(office);
    if (list) list.push(i);
    else offices.set(office, [i]);
  }
  const unreached: string[] = [];
  const officeResults: Array<{
    office: string | null;
    holdersAtStart: number;
    holdersMax: number;
    vacantMsMax: number;
  }> = [];
  for (const [office, members] of offices) {
    // Sweep the holds that meet [from, until): the count at `from`, then every change.
    const points: Array<[number, number]> = [];
    let count = 0;
    for (const i of members) {
      const start = (intervals[i] as Interval).start;
      const end = ends[i] as number;
      if (end <= from || start >= until) continue;
      if (start <= from) count++;
      else points.push([start, 1]);
      if (end < until) points.push([end, -1]);
    }
    points.sort((a, b) => a[0] - b[0]);
    const atStart = count;
    let max = count;
    let reached = count >= expected;
    let firstExcess: number | undefined = count > expected ? from : undefined;
    let shortSince: number | undefined = count < expected ? from : undefined;
    let vacantMax = 0;
    let firstLong: [number, number] | undefined;
    let p = 0;
    for (;;) {
      const last = p >= points.length;
      const t = last ? until : (points[p] as [number, number])[0];
      while (p < points.length && (points[p] as [number, number])[0] === t)
        count += (points[p++] as [number, number])[1];
      // `count` now holds on [t, the next point); at `until` the stretch ends.
      if (shortSince !== undefined && (last || count >= expected)) {
        const vacant = t - shortSince;
        if (vacant > vacantMax) vacantMax = vacant;
        if (vacant > handoverNs && firstLong === undefined) firstLong = [shortSince, t];
        shortSince = undefined;
      } else if (!last && shortSince === undefined && count < expected) shortSince = t;
      if (last) break;
      if (count >= expected) reached = true;
      if (count > max) max = count;
      if (count > expected && firstExcess === undefined) firstExcess = t;
    }
    const where = office === undefined ? "" : ` of office ${office}`;
    if (firstLong)
      problems.push(
        `fewer than ${expected} held${where} from ${secondsText(firstLong[0])} to ${secondsText(firstLong[1])} (${msText(firstLong[1] - firstLong[0])}, more than the ${options.handoverMs ?? 1000} ms a handover may take) after ${healText}`,
      );
    if (firstExcess !== undefined)
      problems.push(
        `${max} held${where} at once after ${healText} (first at ${secondsText(firstExcess)}), expected ${expected}`,
      );
    if (!reached && !firstLong)
      unreached.push(
        `${office === undefined ? "the lock" : `office ${office}`} never had ${expected} holders in the ${msText(until - from)} judged, which is shorter than a handover`,
      );
    officeResults.push({
      office: office ?? null,
      holdersAtStart: atStart,
      holdersMax: max,
      vacantMsMax: toMs(vacantMax),
    });
  }
  // Contenders: promoted after the last heal, or exited with an allowed code before the end of the stretch.
  const contenders = new Set([...holders, ...(options.contenders ?? [])]);
  const lastExit = new Map<
    string,
    { code: number | null; signal: string | null; time: number; index: number }
  >();
  for (const op of history) {
    if (!exitFs.has(op.f) || op.type === "invoke" || op.type === "fail") continue;
    const exit = exitOf(op);
    if (!exit) continue;
    contenders.add(exit.actor);
    // The harness ending the actors with the run (`cause: "close"`) is not a contender's own exit.
    if ((op.value as { cause?: unknown }).cause === "close") continue;
    if (op.time >= lastHeal && op.time <= until)
      lastExit.set(exit.actor, { ...exit, time: op.time, index: op.index });
  }
  // Held after the last heal: acquired after it (promoted), or still holding when it came.
  const promoted = new Set<string>();
  for (let i = 0; i < intervals.length; i++)
    if ((ends[i] as number) > lastHeal) promoted.add((intervals[i] as Interval).holder);
  const waiting: string[] = [];
  const badExits: string[] = [];
  const exited: string[] = [];
  for (const contender of [...contenders].sort()) {
    if (promoted.has(contender)) continue;
    const exit = lastExit.get(contender);
    if (!exit) {
      waiting.push(contender);
      continue;
    }
    if (exit.code !== null && allowed.has(exit.code)) exited.push(contender);
    else
      badExits.push(
        `${contender} exited with ${exit.code === null ? `signal ${exit.signal ?? "unknown"}` : `code ${exit.code}`} at ${secondsText(exit.time)} (op ${exit.index}), not one of ${[...allowed].join(", ")}`,
      );
  }
  if (badExits.length) problems.push(badExits.join("; "));
  if (waiting.length && !options.allowWaiting)
    problems.push(`${waiting.join(", ")} neither acquired nor exited after ${healText}`);
  const detail = {
    expectedHolders: expected,
    lastHealMs: toMs(lastHeal),
    judgedFromMs: toMs(from),
    judgedUntilMs: toMs(until),
    runEndMs: toMs(runEnd),
    offices: officeResults,
    promoted: [...promoted].sort(),
    exited,
    waiting,
  };
  if (problems.length)
    return { valid: false, ...detail, explanation: `the lock did not converge: ${problems.join("; ")}` };
  if (unreached.length)
    return {
      valid: "unknown",
      ...detail,
      explanation: `too little to judge convergence: ${unreached.join("; ")}`,
    };
  return {
    valid: true,
    ...detail,
    explanation: `after ${healText} and ${options.quietMs ?? 0} ms, ${expected} held with handovers under ${options.handoverMs ?? 1000} ms; ${promoted.size} contenders acquired, ${exited.length} exited with an allowed code${waiting.length ? `, ${waiting.length} still waiting` : ""}`,
  };
}

export function lockConvergence(options: LockConvergenceOptions): Checker {
  return {
    name: "lock-convergence",
    check(history: readonly Op[], ctx: CheckContext): CheckResult {
      return checkLockConvergence(ctx.intervals ?? [], history, options);
    },
  };
}
