/**
 * Verifiers of the actors' event logs: `eventCounts`, `actionLogConvergence`,
 * `causalOrder` and `monotonicSequence`.
 *
 * They need each snapshot's `events`; a snapshot without them makes the
 * verifier `unknown` (a CRDT document that keeps no log cannot be judged
 * this way, and saying "valid" would be a claim without evidence).
 */
import {
  capped,
  type SnapshotEvent,
  type SyncSnapshot,
  unknown,
  type VerificationResult,
  verdict,
} from "./snapshot.js";

function withEvents(name: string, snapshots: readonly SyncSnapshot[]): VerificationResult | undefined {
  if (snapshots.length === 0) return unknown(name, "no snapshots");
  const missing = snapshots.filter((s) => s.events === undefined).map((s) => s.owner);
  if (missing.length > 0) return unknown(name, `no event log in the snapshot of ${missing.join(", ")}`);
  return undefined;
}

function countBy(events: readonly SnapshotEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    const key = `${event.entity} ${event.action}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface EventCountsOptions {
  /**
   * How many events the model expects, by entity (every mutation the chaos
   * engine saw succeed, plus those whose outcome is unknown as an upper
   * bound): `{ "alice-1": { min: 3, max: 4 } }`. Without it only the actors
   * are compared with each other.
   */
  readonly expected?: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
}

/**
 * Every snapshot has the same number of events per entity and action, no
 * event id twice (a duplicated event), and, when the model's counts are
 * given, a count per entity within the model's bounds.
 */
export function verifyEventCounts(
  snapshots: readonly SyncSnapshot[],
  options: EventCountsOptions = {},
): VerificationResult {
  const name = "eventCounts";
  const missing = withEvents(name, snapshots);
  if (missing) return missing;
  const failures: string[] = [];
  const [first] = snapshots as [SyncSnapshot];
  const reference = countBy(first.events!);
  for (const snapshot of snapshots) {
    const seen = new Map<string, number>();
    for (const event of snapshot.events!) seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
    for (const [eventId, times] of seen) {
      if (times > 1) {
        const event = snapshot.events!.find((e) => e.eventId === eventId)!;
        failures.push(
          `${snapshot.owner} has event ${eventId} (${event.action} of ${event.entity}) ${times} times`,
        );
      }
    }
    if (snapshot === first) continue;
    const counts = countBy(snapshot.events!);
    for (const key of [...new Set([...reference.keys(), ...counts.keys()])].sort()) {
      const a = reference.get(key) ?? 0;
      const b = counts.get(key) ?? 0;
      if (a !== b) failures.push(`${key}: ${first.owner} has ${a} event(s), ${snapshot.owner} has ${b}`);
    }
  }
  if (options.expected !== undefined) {
    for (const snapshot of snapshots) {
      const perEntity = new Map<string, number>();
      for (const event of snapshot.events!)
        perEntity.set(event.entity, (perEntity.get(event.entity) ?? 0) + 1);
      for (const [entity, bounds] of Object.entries(options.expected)) {
        const count = perEntity.get(entity) ?? 0;
        if (count < bounds.min || count > bounds.max) {
          const range = bounds.min === bounds.max ? `${bounds.min}` : `${bounds.min} to ${bounds.max}`;
          failures.push(
            `entity ${entity}: ${snapshot.owner} has ${count} event(s), the model expects ${range}`,
          );
        }
      }
    }
  }
  return verdict(name, capped(failures), [], {
    ok: `${snapshots.length} logs of ${first.events!.length} events agree${options.expected ? " with the model" : ""}`,
    failed: `event counts differ (${failures.length} finding(s))`,
  });
}

/** For every server seq that two logs both have, the same event (id, entity, action): one canonical order. */
export function verifyActionLogConvergence(snapshots: readonly SyncSnapshot[]): VerificationResult {
  const name = "actionLogConvergence";
  const missing = withEvents(name, snapshots);
  if (missing) return missing;
  if (snapshots.length < 2) return unknown(name, "one snapshot: nothing to compare it with");
  const failures: string[] = [];
  const [first, ...rest] = snapshots as [SyncSnapshot, ...SyncSnapshot[]];
  const bySeq = new Map(first.events!.filter((e) => e.seq !== null).map((e) => [e.seq!, e]));
  let compared = 0;
  for (const other of rest) {
    for (const event of other.events!) {
      if (event.seq === null) continue;
      const mine = bySeq.get(event.seq);
      if (mine === undefined) continue;
      compared++;
      if (mine.eventId !== event.eventId || mine.entity !== event.entity || mine.action !== event.action) {
        failures.push(
          `seq ${event.seq}: ${first.owner} has ${mine.action} of ${mine.entity} (${mine.eventId}), ` +
            `${other.owner} has ${event.action} of ${event.entity} (${event.eventId})`,
        );
      }
    }
  }
  if (compared === 0) return unknown(name, "no server sequence number is on two logs");
  return verdict(name, capped(failures), [], {
    ok: `${compared} shared sequence numbers name the same events`,
    failed: `the logs disagree on the canonical order (${failures.length} seq(s))`,
  });
}

/** In each log (in seq order), an entity's create comes before its other events, and exists at all. */
export function verifyCausalOrder(snapshots: readonly SyncSnapshot[]): VerificationResult {
  const name = "causalOrder";
  const missing = withEvents(name, snapshots);
  if (missing) return missing;
  const failures: string[] = [];
  let checked = 0;
  for (const snapshot of snapshots) {
    const ordered = snapshot.events!.filter((e) => e.seq !== null).sort((a, b) => a.seq! - b.seq!);
    const created = new Set<string>();
    const reported = new Set<string>();
    for (const event of ordered) {
      checked++;
      if (event.action === "create") {
        created.add(event.entity);
      } else if (!created.has(event.entity) && !reported.has(event.entity)) {
        reported.add(event.entity);
        const createSeq = ordered.find((e) => e.entity === event.entity && e.action === "create")?.seq;
        failures.push(
          `${snapshot.owner}: ${event.action} of ${event.entity} at seq ${event.seq} precedes its create` +
            (createSeq === undefined ? " (which is missing)" : ` (at seq ${createSeq})`),
        );
      }
    }
  }
  if (checked === 0) return unknown(name, "no acknowledged event in any log");
  return verdict(name, capped(failures), [], {
    ok: `${checked} acknowledged events, every entity created before it changed`,
    failed: `an entity changed before it was created (${failures.length})`,
  });
}

/** In each log, the acknowledged events' seqs strictly increase; gaps (events not pulled) are notes. */
export function verifyMonotonicSequence(snapshots: readonly SyncSnapshot[]): VerificationResult {
  const name = "monotonicSequence";
  const missing = withEvents(name, snapshots);
  if (missing) return missing;
  const failures: string[] = [];
  const notes: string[] = [];
  let checked = 0;
  for (const snapshot of snapshots) {
    let previous: number | undefined;
    let gaps = 0;
    for (const event of snapshot.events!) {
      if (event.seq === null) continue;
      checked++;
      if (previous !== undefined && event.seq <= previous) {
        failures.push(
          `${snapshot.owner}: seq ${event.seq} (${event.eventId}) follows seq ${previous}` +
            (event.seq === previous ? " (a duplicate)" : ""),
        );
      } else if (previous !== undefined && event.seq > previous + 1) {
        gaps++;
      }
      previous = event.seq;
    }
    if (gaps > 0) notes.push(`${snapshot.owner}: ${gaps} gap(s) in the sequence (noted, not a failure)`);
  }
  if (checked === 0) return unknown(name, "no acknowledged event in any log");
  return verdict(name, capped(failures), notes, {
    ok: `${checked} sequence numbers strictly increase`,
    failed: `sequence numbers out of order or repeated (${failures.length})`,
  });
}
