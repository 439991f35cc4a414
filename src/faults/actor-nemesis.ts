/**
 * Faults of actors and of their leases: `actor-pause` (healed by
 * `actor-resume`), `actor-stop` (healed by `actor-start`), `actor-kill`
 * (healed at once: the fixture respawns the actor when it was started with
 * `respawn`), and `lease-revoke`.
 *
 * A fault op's value names the actors (`{ actors: ["a2"] }`), drawn when the
 * schedule is made (../actors/targets.ts), or is `{ actors: "holder" }`:
 * whoever holds the newest hold when the fault runs (the completion names
 * it), for schedules that must hit a hold early in its life, or `{ actors:
 * "fresh-holder" }`: the op waits for the next acquisition (the holder key,
 * {@link holderKey}, changes) and hits that holder {@link
 * ActorNemesisOptions.freshHolder}`.delayMs` into its hold, or the current
 * holder once `timeoutMs` passed with none (the completion says which, in
 * `aimed`). `lease-revoke` revokes only the
 * leases behind this test's key prefix, never any other lease of the etcd:
 * `{ leases: "holder" }` the lease of the oldest key under the prefix (the
 * lock's holder, in create-revision order), `{ leases: "fresh-holder" }`
 * the lease of the next holder key, as above, `{ leases: "all" }` every one.
 * Its completion names the leases, their keys with create revisions (what
 * `etcdctl lock` exports as `ETCD_LOCK_REV`, so the token in the interval
 * log names the holder) and, where a key's value names an actor
 * (`crucible demo-lock --name a2`), the actors (and the key's `holder`),
 * and `revokedAt`: per lease, the revision its revoke took effect at. The
 * leases are revoked one after another, so a waiter can claim a slot
 * between two revokes under a lease revoked a moment later; its token is
 * below that lease's `revokedAt`, which is how the checker tells such a
 * lease-less hold from a legitimate one. Heals cover every actor this
 * nemesis paused or stopped, and teardown heals all of it.
 */
import type { Actor, Actors } from "../actors/index.js";
import type { EtcdLeaseClient } from "../client/etcd-lease.js";
import { abortableSleep } from "../cluster/sleep.js";
import type { Completion, Op } from "../history/op.js";
import type { Nemesis, NemesisContext } from "./types.js";

/** How a `"fresh-holder"` target waits for the next acquisition. */
export interface FreshHolderOptions {
  /** The longest wait for a new holder before hitting the current one. Default 15 s. */
  readonly timeoutMs?: number;
  /** How far into the new hold to strike (its child starting). Default 200 ms. */
  readonly delayMs?: number;
  /** How often to look at the keys. Default 50 ms. */
  readonly pollMs?: number;
}

export interface ActorNemesisOptions {
  /** The test's actors; a function because they start after the nemesis is made. */
  readonly actors: () => Actors | undefined;
  /** For `lease-revoke`: the lease client and this test's key prefix. */
  readonly leases?: () => { readonly client: EtcdLeaseClient; readonly prefix: string } | undefined;
  /** For `"fresh-holder"` targets. */
  readonly freshHolder?: FreshHolderOptions;
}

/** Every `f` the actor nemesis carries out. */
export const ACTOR_FS = [
  "actor-pause",
  "actor-resume",
  "actor-kill",
  "actor-stop",
  "actor-start",
  "lease-revoke",
  "await-acquisition",
] as const;

/**
 * `await-acquisition`: wait for the next acquisition ({@link waitForFreshHold})
 * and remember it, so the `"fresh-holder"` fault right after it hits that
 * hold without waiting itself. Not a fault: it changes nothing. Split off so
 * the fault's invocation time is when it strikes (a loss event's window
 * starts at its invocation; a wait inside the fault put it up to a hold
 * earlier, and a hold recorded after the pause's heal was placed there).
 */
export const AWAIT_ACQUISITION_F = "await-acquisition";

/**
 * The actor holding the newest hold under `prefix` (the most recently
 * claimed slot, as `crucible demo-lock` lays them out: slot key `<prefix>s/<i>`
 * whose value is its lease, queue key `<prefix>q/<lease>` whose value is the
 * actor's name); else the actor of the oldest key that names one (the queue
 * head). Undefined when no key under the prefix names an actor (`etcdctl
 * lock` stores none).
 */
export async function newestHolder(
  leases: { readonly client: EtcdLeaseClient; readonly prefix: string },
  actorNames: readonly string[],
): Promise<string | undefined> {
  const names = new Set(actorNames);
  const { kvs } = await leases.client.rangePrefix(leases.prefix);
  const ownerOf = new Map<string, string>();
  for (const kv of kvs) if (kv.lease !== "0" && names.has(kv.value)) ownerOf.set(kv.lease, kv.value);
  const slots = kvs
    .filter((kv) => kv.key.startsWith(`${leases.prefix}s/`) && ownerOf.has(kv.lease))
    .sort((a, b) => Number(b.createRevision) - Number(a.createRevision));
  if (slots.length > 0) return ownerOf.get(slots[0]!.lease);
  // Oldest first (rangePrefix's order): the queue head.
  return kvs.find((kv) => kv.lease !== "0" && names.has(kv.value))?.value;
}

/** The holder target (`{ actors: "holder" }`): resolved when the fault runs, since the holder changes. */
export const HOLDER_TARGET = "holder";
/** The fresh-holder target (`{ actors: "fresh-holder" }`, `{ leases: "fresh-holder" }`): the next holder, early in its hold. */
export const FRESH_HOLDER_TARGET = "fresh-holder";

interface LeaseKv {
  readonly key: string;
  readonly value: string;
  readonly lease: string;
  readonly createRevision: string;
}

/**
 * The key that stands for the current hold: the newest slot key
 * (`<prefix>s/<i>`, `crucible demo-lock`) with a lease, else the oldest key
 * with a lease (the queue head: `etcdctl lock`'s owner). A new acquisition
 * changes it (another key, or the same slot key created again).
 */
export function holderKey(kvs: readonly LeaseKv[], prefix: string): LeaseKv | undefined {
  const leased = kvs.filter((kv) => kv.lease !== "0");
  const slots = leased
    .filter((kv) => kv.key.startsWith(`${prefix}s/`))
    .sort((a, b) => Number(b.createRevision) - Number(a.createRevision));
  if (slots.length > 0) return slots[0];
  return [...leased].sort((a, b) => Number(a.createRevision) - Number(b.createRevision))[0];
}

const keyId = (kv: LeaseKv | undefined): string | undefined =>
  kv === undefined ? undefined : `${kv.key}@${kv.createRevision}`;

/** What a `"fresh-holder"` wait found: the hold's key (with every key then), whether it is a new one, and the wait. */
export interface FreshHold {
  readonly kv: LeaseKv | undefined;
  readonly kvs: readonly LeaseKv[];
  readonly fresh: boolean;
  readonly waitedMs: number;
}

/**
 * Wait for the next acquisition under the prefix: until {@link holderKey}
 * differs from what it was when the wait began, then `delayMs` more (the
 * hold's child starting); the current holder key after `timeoutMs` without
 * one (`fresh: false`).
 */
export async function waitForFreshHold(
  leases: { readonly client: EtcdLeaseClient; readonly prefix: string },
  signal: AbortSignal,
  options: FreshHolderOptions = {},
): Promise<FreshHold> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const delayMs = options.delayMs ?? 200;
  const pollMs = options.pollMs ?? 50;
  const started = Date.now();
  const read = async (): Promise<readonly LeaseKv[] | undefined> =>
    leases.client
      .rangePrefix(leases.prefix, AbortSignal.timeout(2_000))
      .then((r) => r.kvs as readonly LeaseKv[])
      .catch(() => undefined);
  const isSlot = (kv: LeaseKv) => kv.lease !== "0" && kv.key.startsWith(`${leases.prefix}s/`);
  let kvs = (await read()) ?? [];
  const before = keyId(holderKey(kvs, leases.prefix));
  const slotLayout = kvs.some(isSlot);
  while (Date.now() - started < timeoutMs && !signal.aborted) {
    await abortableSleep(pollMs, signal);
    const now = await read();
    if (now === undefined) continue;
    kvs = now;
    // Between a release and the next claim a slot layout has no slot key: the queue head is no holder yet.
    if (slotLayout && !kvs.some(isSlot)) continue;
    const current = holderKey(kvs, leases.prefix);
    if (current !== undefined && keyId(current) !== before) {
      await abortableSleep(delayMs, signal);
      return { kv: current, kvs, fresh: true, waitedMs: Date.now() - started };
    }
  }
  return { kv: holderKey(kvs, leases.prefix), kvs, fresh: false, waitedMs: Date.now() - started };
}

/** The actor a hold's key belongs to: the one its lease's keys name (the queue key's value). */
function ownerOfKey(kv: LeaseKv, kvs: readonly LeaseKv[], names: ReadonlySet<string>): string | undefined {
  return kvs.find((other) => other.lease === kv.lease && names.has(other.value))?.value;
}

function namedActors(op: Op, actors: Actors): Actor[] {
  const value = op.value as { actors?: unknown } | "all" | null;
  if (value === "all" || value === null) return [...actors.list];
  const names = Array.isArray(value?.actors) ? value.actors : [];
  return names.filter((name): name is string => typeof name === "string").map((name) => actors.get(name));
}

export function actorNemesis(options: ActorNemesisOptions): Nemesis {
  let awaited: FreshHold | undefined;
  /** The hold an `await-acquisition` just found (used once), else a wait of its own. */
  const freshHold = async (
    leases: { readonly client: EtcdLeaseClient; readonly prefix: string },
    signal: AbortSignal,
  ): Promise<FreshHold> => {
    const found = awaited;
    awaited = undefined;
    if (!found) return waitForFreshHold(leases, signal, options.freshHolder);
    // The keys as they are now (the hold may have changed hands meanwhile), the hold as found.
    const now = await leases.client
      .rangePrefix(leases.prefix, AbortSignal.timeout(2_000))
      .then((r) => r.kvs as readonly LeaseKv[])
      .catch(() => found.kvs);
    return { ...found, kvs: now };
  };
  const paused = new Set<string>();
  const stopped = new Set<string>();
  const need = (): Actors => {
    const actors = options.actors();
    if (!actors) throw new Error("actor faults: the test has no actors running");
    return actors;
  };
  const resumeAll = async (): Promise<string[]> => {
    const actors = options.actors();
    const names = [...paused];
    for (const name of names) await actors?.get(name).resume();
    paused.clear();
    return names;
  };
  const startAll = async (): Promise<string[]> => {
    const actors = options.actors();
    const names = [...stopped];
    for (const name of names) await actors?.get(name).start();
    stopped.clear();
    return names;
  };
  /**
   * The actors an op names; `{ actors: "holder" }` is the newest holder at
   * this moment ({@link newestHolder}), or every actor when none can be
   * told (no lease client, no key naming an actor): then the holder is hit
   * for certain. The completion names whom it hit either way.
   */
  const targetActors = async (op: Op, signal: AbortSignal): Promise<{ hit: Actor[]; aimed?: object }> => {
    const actors = need();
    const target = (op.value as { actors?: unknown } | null)?.actors;
    if (target !== HOLDER_TARGET && target !== FRESH_HOLDER_TARGET) return { hit: namedActors(op, actors) };
    const leases = options.leases?.();
    if (target === FRESH_HOLDER_TARGET && leases) {
      const hold = await freshHold(leases, signal);
      const owner = hold.kv ? ownerOfKey(hold.kv, hold.kvs, new Set(actors.names)) : undefined;
      const aimed = {
        fresh: hold.fresh,
        waitedMs: hold.waitedMs,
        ...(hold.kv && { key: hold.kv.key, createRevision: hold.kv.createRevision }),
      };
      return { hit: owner === undefined ? [...actors.list] : [actors.get(owner)], aimed };
    }
    const holder = leases ? await newestHolder(leases, actors.names).catch(() => undefined) : undefined;
    return { hit: holder === undefined ? [...actors.list] : [actors.get(holder)] };
  };
  /**
   * The etcd revision once a fault took effect, for its completion: a hold
   * of the actor with a token at or below it was claimed before the fault,
   * even when its child records its start after the heal (a wrapper paused
   * between its claim and its child's first record). Omitted when there is
   * no lease client or etcd does not answer.
   */
  const revisionNow = async (): Promise<{ revision: number } | undefined> => {
    const leases = options.leases?.();
    if (!leases) return undefined;
    try {
      const { revision } = await leases.client.rangePrefix(leases.prefix, AbortSignal.timeout(2_000));
      return { revision: Number(revision) };
    } catch {
      return undefined;
    }
  };
  /** An actor fault's completion value: whom it hit, how it was aimed, and the revision once it took effect. */
  const struck = async (hit: readonly Actor[], aimed: object | undefined) => ({
    actors: hit.map((actor) => actor.name),
    ...(aimed && { aimed }),
    ...(await revisionNow()),
  });
  return {
    name: "actors",
    fs: ACTOR_FS,
    async invoke(op: Op, ctx: NemesisContext): Promise<Completion> {
      switch (op.f) {
        case "actor-pause": {
          const { hit, aimed } = await targetActors(op, ctx.signal);
          for (const actor of hit) {
            await actor.pause();
            paused.add(actor.name);
          }
          return { type: "ok", value: await struck(hit, aimed) };
        }
        case "actor-resume":
          return { type: "ok", value: { actors: await resumeAll() } };
        case "actor-kill": {
          const { hit, aimed } = await targetActors(op, ctx.signal);
          const exits = [];
          for (const actor of hit) {
            paused.delete(actor.name);
            const exit = await actor.kill();
            if (exit) exits.push({ actor: actor.name, pid: exit.pid });
          }
          return { type: "ok", value: { ...(await struck(hit, aimed)), killed: exits } };
        }
        case "actor-stop": {
          const { hit, aimed } = await targetActors(op, ctx.signal);
          for (const actor of hit) {
            paused.delete(actor.name);
            await actor.stop();
            stopped.add(actor.name);
          }
          return { type: "ok", value: await struck(hit, aimed) };
        }
        case "actor-start":
          return { type: "ok", value: { actors: await startAll() } };
        case AWAIT_ACQUISITION_F: {
          const leases = options.leases?.();
          if (!leases)
            return { type: "fail", error: "await-acquisition: the test gave no lease client and key prefix" };
          awaited = await waitForFreshHold(leases, ctx.signal, options.freshHolder);
          return {
            type: "ok",
            value: {
              fresh: awaited.fresh,
              waitedMs: awaited.waitedMs,
              ...(awaited.kv && { key: awaited.kv.key, createRevision: awaited.kv.createRevision }),
            },
          };
        }
        case "lease-revoke": {
          const leases = options.leases?.();
          if (!leases)
            return { type: "fail", error: "lease-revoke: the test gave no lease client and key prefix" };
          const asked = (op.value as { leases?: string } | null)?.leases;
          const fresh = asked === FRESH_HOLDER_TARGET ? await freshHold(leases, ctx.signal) : undefined;
          const kvs = fresh ? fresh.kvs : (await leases.client.rangePrefix(leases.prefix)).kvs;
          const withLease = kvs.filter((kv) => kv.lease !== "0");
          const chosen =
            asked === "all" ? withLease : fresh ? (fresh.kv ? [fresh.kv] : []) : withLease.slice(0, 1);
          const ids = [...new Set(chosen.map((kv) => kv.lease))];
          const names = new Set(need().names);
          const owners = [
            ...new Set(
              withLease.filter((kv) => ids.includes(kv.lease) && names.has(kv.value)).map((kv) => kv.value),
            ),
          ].sort();
          if (ids.length === 0) return { type: "fail", error: `no lease under ${leases.prefix} to revoke` };
          // One revoke after another, each with the revision it took effect at: a waiter may claim a
          // slot between two of them (under a lease revoked a moment later), and the checker excuses
          // such a hold by its token being below its lease's revoke revision (loss-events.ts).
          const revoked: string[] = [];
          const revokedAt: Record<string, number> = {};
          for (const id of ids) {
            const revision = await leases.client.revokeAt(id);
            if (revision === undefined) continue;
            revoked.push(id);
            revokedAt[id] = Number(revision);
          }
          // The keys with their create revisions: a wrapper that names no actor in its key (etcdctl lock)
          // exports that revision as its child's token, which names the holder in the interval log.
          const keys = withLease
            .filter((kv) => ids.includes(kv.lease))
            .map((kv) => ({
              key: kv.key,
              createRevision: kv.createRevision,
              lease: kv.lease,
              ...(names.has(kv.value) && { holder: kv.value }),
            }));
          return {
            type: "ok",
            value: {
              leases: revoked,
              actors: owners,
              prefix: leases.prefix,
              keys,
              revokedAt,
              ...(fresh && {
                aimed: {
                  fresh: fresh.fresh,
                  waitedMs: fresh.waitedMs,
                  ...(fresh.kv && { key: fresh.kv.key }),
                },
              }),
            },
          };
        }
        default:
          return { type: "fail", error: `the actor nemesis does not know f=${op.f}` };
      }
    },
    async teardown(): Promise<void> {
      await resumeAll();
      await startAll();
    },
  };
}
