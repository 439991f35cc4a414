/**
 * Loss events: the faults of a run that can cost a lock holder its lease.
 *
 * A lock service promises at most N holders at any instant *except* within a
 * documented window after each event that can make a holder lose its lease
 * without noticing (its wrapper is frozen, killed, cut off from the quorum, or
 * its lease is revoked under it). Those events are nemesis ops already in the
 * history; {@link lossEvents} finds them, one per (fault op, holder it hits),
 * with the time the fault began and the time it was healed.
 *
 * What is a loss event, and why:
 * - a **pause** of a holder (`actor-pause`, SIGSTOP of its wrapper): the
 *   wrapper cannot renew its lease nor stop its child; healed by its resume;
 * - a **stop** or **kill** of a holder (`actor-stop`, `actor-kill`): the
 *   wrapper is gone, its lease expires after TTL; "healed" at once;
 * - a **revoke** of the holder's lease (`lease-revoke`): the lease is gone now,
 *   the wrapper learns it on its next keepalive; healed at once. When the
 *   completion says at which revision each lease went ({@link revokedTokenBound}),
 *   a hold with a token below it is lease-less even if it began after the heal;
 * - a **partition** of a holder from the quorum (`start-partition` whose value
 *   names the holder): healed by `stop-partition` or `heal-network`.
 *
 * A kill, pause or partition of etcd *members* is **not** a loss event: etcd
 * keeps leases across a leader change and every wrapper is given every
 * member's endpoint, so losing one member must not end any session. An
 * overlap after one is a violation. So a fault op is a loss event for the
 * holders its value names (see {@link namedTargets}); a fault that names only
 * nodes (`n1`, `n2`) names no holder and is ignored here.
 *
 * Which `f` is which kind is the table {@link DEFAULT_LOSS_RULES}; pass your
 * own `rules` when a nemesis names its ops differently.
 */
import type { Op } from "../../history/op.js";

/** What a loss event did to its holder. */
export type LossKind = "pause" | "stop" | "kill" | "revoke" | "partition";

/** How to read one fault `f`: its kind and the ops that heal it (none: healed at once, when the fault op completes). */
export interface LossRule {
  readonly kind: LossKind;
  /** The `f`s that heal it (a resume, the end of a partition). Absent: the fault heals at once. */
  readonly heals?: readonly string[];
}

/** The fault names of the actor and lease nemeses, and partitions. */
export const DEFAULT_LOSS_RULES: Readonly<Record<string, LossRule>> = {
  "actor-pause": { kind: "pause", heals: ["actor-resume"] },
  "actor-stop": { kind: "stop" },
  "actor-kill": { kind: "kill" },
  "lease-revoke": { kind: "revoke" },
  "start-partition": { kind: "partition", heals: ["stop-partition", "heal-network"] },
};

/** The ops (by `f`) that record an actor's process ending (its exit code and signal), any process. */
export const DEFAULT_EXIT_FS: readonly string[] = ["actor-exit"];

export interface LossEventOptions {
  /** `f` → kind and heals; default {@link DEFAULT_LOSS_RULES}. */
  readonly rules?: Readonly<Record<string, LossRule>>;
  /**
   * The names a fault op may name as its holders (the interval log's
   * `holder`s, which the lock workload sets to the actor names). Names in a
   * fault op that are not here (etcd members) are not holders.
   */
  readonly holders: Iterable<string>;
}

/** One holder hit by one fault. Times in ns on the history's axis. */
export interface LossEvent {
  /** The fault op's `f`. */
  readonly f: string;
  readonly kind: LossKind;
  readonly holder: string;
  /** History index of the fault's invocation. */
  readonly index: number;
  /** When the fault began: its invocation (it may take effect any time until its completion). */
  readonly start: number;
  /**
   * When it was healed: the completion of its heal op (a resume), or of the
   * fault op itself for a fault that heals at once; `undefined` when the run
   * ended before that (a heal that never came).
   */
  readonly healedAt: number | undefined;
  /** History index of the op that healed it, when there is one. */
  readonly healIndex: number | undefined;
  /**
   * Holds of this holder with a numeric token below this were claimed
   * before the fault took effect, so they are its zombies whenever their
   * start record came: for a revoke, the revision it revoked the holder's
   * lease at ({@link revokedTokenBound}); for a pause or stop, the
   * revision once it took effect, plus one ({@link revisionTokenBound}).
   * Absent when the completion does not say.
   */
  readonly tokensBelow?: number;
}

/**
 * The fencing-token bound of a pause or stop whose completion says
 * the store's `revision` once it took effect: a frozen or dead wrapper
 * claims nothing, so a token at or below it was claimed before the fault
 * (bound: revision + 1). It matters for a wrapper paused between its claim
 * and its child's first record: the child records its start after the
 * resume, yet it holds under the lease the pause cost.
 */
export function revisionTokenBound(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const revision = (value as { revision?: unknown }).revision;
  return typeof revision === "number" && Number.isFinite(revision) ? revision + 1 : undefined;
}

/**
 * The fencing-token bound a revoke's completion gives for `holder`: the
 * highest `revokedAt[lease]` over the `keys` whose `holder` is `holder`.
 * The shape (what the actor nemesis records):
 * `{ keys: [{ lease, holder }], revokedAt: { [lease]: revision } }`.
 *
 * Why it matters: `lease-revoke {leases: "all"}` revokes one lease after
 * another. A waiter can claim a freed slot between two of them, under its
 * own lease that is revoked a few ms later; its child records its start
 * after the revoke's heal, so the rule "only holds that began before the
 * heal are excused" would count it, and call its overlap with the next
 * legitimate holder a violation. Its slot key was created before its lease
 * was revoked, so its token (that key's create revision) is below the
 * revoke's revision: that is what marks it as a lease-less hold.
 */
export function revokedTokenBound(value: unknown, holder: string): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { keys, revokedAt } = value as { keys?: unknown; revokedAt?: unknown };
  if (!Array.isArray(keys) || typeof revokedAt !== "object" || revokedAt === null) return undefined;
  let bound: number | undefined;
  for (const key of keys) {
    if (typeof key !== "object" || key === null) continue;
    const { lease, holder: owner } = key as { lease?: unknown; holder?: unknown };
    if (owner !== holder || typeof lease !== "string" || !Object.hasOwn(revokedAt, lease)) continue;
    const revision = Number((revokedAt as Record<string, unknown>)[lease]);
    if (Number.isFinite(revision) && (bound === undefined || revision > bound)) bound = revision;
  }
  return bound;
}

/**
 * Holder names an op's value names: the strings in it (to depth 4, object
 * keys too, an `actor:` prefix removed) that are holders. `"all"`, no value,
 * or `{ actors: "all" }` means every holder (unless `emptyMeansAll` is false).
 */
export function namedTargets(
  value: unknown,
  holders: ReadonlySet<string>,
  { emptyMeansAll = true }: { readonly emptyMeansAll?: boolean } = {},
): string[] {
  if (value === undefined || value === null || value === "all") return emptyMeansAll ? [...holders] : [];
  const found = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 4) return;
    if (typeof v === "string") {
      const name = v.startsWith("actor:") ? v.slice(6) : v;
      if (holders.has(name)) found.add(name);
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item, depth + 1);
    } else if (typeof v === "object" && v !== null) {
      for (const [key, item] of Object.entries(v)) {
        // A grudge names nodes as keys too: `{ a2: ["n1", "n2", "n3"] }`.
        if (holders.has(key)) found.add(key);
        if (key === "actors" && item === "all") for (const h of holders) found.add(h);
        visit(item, depth + 1);
      }
    }
  };
  visit(value, 0);
  return [...found];
}

/** Completions by invocation: nemesis ops complete in order, so the next nemesis completion after an invoke is its own. */
function pairNemesis(history: readonly Op[]): Array<{ invoke: Op; completion: Op | undefined }> {
  const pairs: Array<{ invoke: Op; completion: Op | undefined }> = [];
  let pending: { invoke: Op; completion: Op | undefined } | undefined;
  for (const op of history) {
    if (op.process !== "nemesis") continue;
    if (op.type === "invoke") {
      if (pending) pairs.push(pending);
      pending = { invoke: op, completion: undefined };
    } else if (pending) {
      pending.completion = op;
      pairs.push(pending);
      pending = undefined;
    }
  }
  if (pending) pairs.push(pending);
  return pairs;
}

/**
 * Every loss event of a history, in order of their fault ops. Pure. A heal
 * op ends the open events of the holders its value names (no value or
 * `"all"`: every holder); a fault op whose completion is `fail` did not
 * happen and is not an event.
 */
export function lossEvents(history: readonly Op[], options: LossEventOptions): LossEvent[] {
  const rules = options.rules ?? DEFAULT_LOSS_RULES;
  const holders = new Set(options.holders);
  const healers = new Map<string, string[]>();
  for (const [f, rule] of Object.entries(rules))
    for (const heal of rule.heals ?? []) healers.set(heal, [...(healers.get(heal) ?? []), f]);
  const events: Array<{ -readonly [K in keyof LossEvent]: LossEvent[K] }> = [];
  /** Events waiting for their heal, by `f` of the heal. */
  const open: Array<(typeof events)[number]> = [];
  for (const { invoke, completion } of pairNemesis(history)) {
    if (completion?.type === "fail") continue;
    const value = completion?.value ?? invoke.value;
    const rule = Object.hasOwn(rules, invoke.f) ? rules[invoke.f] : undefined;
    if (rule) {
      const instant = rule.heals === undefined || rule.heals.length === 0;
      const hit = new Set(namedTargets(invoke.value, holders));
      if (value !== invoke.value) for (const holder of namedTargets(value, holders)) hit.add(holder);
      for (const holder of hit) {
        // A kill has none: a killed wrapper's child dies with it, and its respawned run may claim anew soon.
        const tokensBelow =
          rule.kind === "revoke"
            ? revokedTokenBound(value, holder)
            : rule.kind === "pause" || rule.kind === "stop"
              ? revisionTokenBound(value)
              : undefined;
        const event = {
          f: invoke.f,
          kind: rule.kind,
          holder,
          index: invoke.index,
          start: invoke.time,
          healedAt: instant ? completion?.time : undefined,
          healIndex: instant ? completion?.index : undefined,
          ...(tokensBelow !== undefined && { tokensBelow }),
        };
        events.push(event);
        if (!instant) open.push(event);
      }
      continue;
    }
    const heals = healers.get(invoke.f);
    if (!heals || completion === undefined) continue;
    const healed = new Set(namedTargets(value, holders));
    for (let i = 0; i < open.length; i++) {
      const event = open[i]!;
      if (!heals.includes(event.f) || !healed.has(event.holder)) continue;
      event.healedAt = completion.time;
      event.healIndex = completion.index;
      open.splice(i--, 1);
    }
  }
  return events;
}

/** What ended an actor's process, by holder: times (ns, ascending) of its kills, stops and recorded exits. */
export function holderEnds(
  history: readonly Op[],
  events: readonly LossEvent[],
  options: { readonly exitFs?: readonly string[]; readonly holders: Iterable<string> },
): Map<string, number[]> {
  const exitFs = new Set(options.exitFs ?? DEFAULT_EXIT_FS);
  const holders = new Set(options.holders);
  const ends = new Map<string, number[]>();
  const add = (holder: string, time: number) => {
    const list = ends.get(holder);
    if (list) list.push(time);
    else ends.set(holder, [time]);
  };
  for (const event of events)
    if ((event.kind === "kill" || event.kind === "stop") && event.healedAt !== undefined)
      add(event.holder, event.healedAt);
  for (const op of history) {
    if (!exitFs.has(op.f) || op.type === "invoke" || op.type === "fail") continue;
    for (const holder of namedTargets(op.value, holders, { emptyMeansAll: false })) add(holder, op.time);
  }
  for (const list of ends.values()) list.sort((a, b) => a - b);
  return ends;
}
