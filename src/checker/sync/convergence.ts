/**
 * `convergence` and `idempotency`: do all actors hold the same state, and
 * does syncing again change nothing?
 *
 * Both compare entity maps field by field and say what differs in words
 * ("entity alice-3 field title: alice has "x", bob has "y""), so a failed
 * run names the entity and the field, not just two hashes.
 */
import {
  canonicalJson,
  capped,
  type SyncSnapshot,
  shown,
  snapshotHash,
  unknown,
  type VerificationResult,
  verdict,
} from "./snapshot.js";

/** How many added events `idempotency` names per owner. */
const ADDED_EVENTS_SHOWN = 3;

/** The field-level differences between two entity maps, in words. */
export function diffEntities(
  a: SyncSnapshot,
  b: SyncSnapshot,
  labels = { a: a.owner, b: b.owner },
): string[] {
  const lines: string[] = [];
  const ids = [...new Set([...Object.keys(a.entities), ...Object.keys(b.entities)])].sort();
  for (const id of ids) {
    const rowA = a.entities[id];
    const rowB = b.entities[id];
    if (rowA === undefined) {
      lines.push(`entity ${id}: ${labels.b} has it, ${labels.a} does not`);
      continue;
    }
    if (rowB === undefined) {
      lines.push(`entity ${id}: ${labels.a} has it, ${labels.b} does not`);
      continue;
    }
    const fields = [...new Set([...Object.keys(rowA), ...Object.keys(rowB)])].sort();
    for (const field of fields) {
      if (canonicalJson(rowA[field]) !== canonicalJson(rowB[field])) {
        lines.push(
          `entity ${id} field ${field}: ${labels.a} has ${shown(rowA[field])}, ${labels.b} has ${shown(rowB[field])}`,
        );
      }
    }
  }
  return lines;
}

/** All snapshots hold equal entities (compared with the first); needs at least two. */
export function verifyConvergence(snapshots: readonly SyncSnapshot[]): VerificationResult {
  const name = "convergence";
  if (snapshots.length < 2) return unknown(name, `${snapshots.length} snapshot(s): convergence needs two`);
  const [first, ...rest] = snapshots as [SyncSnapshot, ...SyncSnapshot[]];
  const failures = rest.flatMap((other) => diffEntities(first, other));
  const entities = Object.keys(first.entities).length;
  return verdict(name, capped(failures), [], {
    ok: `${snapshots.length} snapshots hold the same ${entities} entities`,
    failed: `the snapshots differ (${failures.length} difference(s))`,
  });
}

/**
 * The snapshots taken after extra sync rounds equal those taken before, owner
 * by owner (same hash); a change is listed field by field, and as events
 * added when only the log changed.
 */
export function verifyIdempotency(
  before: readonly SyncSnapshot[],
  after: readonly SyncSnapshot[],
  options: { rounds: number },
): VerificationResult {
  const name = "idempotency";
  if (before.length === 0) return unknown(name, "no snapshots to compare");
  const failures: string[] = [];
  for (const old of before) {
    const now = after.find((s) => s.owner === old.owner);
    if (now === undefined) {
      failures.push(`${old.owner}: no snapshot after the extra rounds`);
      continue;
    }
    if (snapshotHash(old) === snapshotHash(now)) continue;
    const diff = diffEntities(old, now, { a: `${old.owner} before`, b: `${old.owner} after` });
    const eventsBefore = old.events?.length ?? 0;
    const eventsAfter = now.events?.length ?? 0;
    if (eventsAfter !== eventsBefore)
      diff.push(
        `${old.owner}: ${eventsBefore} events before, ${eventsAfter} after ${options.rounds} more sync round(s)`,
      );
    const known = new Set((old.events ?? []).map((e) => `${e.seq} ${e.eventId}`));
    const added = (now.events ?? []).filter((e) => !known.has(`${e.seq} ${e.eventId}`));
    for (const e of added.slice(0, ADDED_EVENTS_SHOWN)) {
      const again = old.events?.some((o) => o.eventId === e.eventId) ? " again" : "";
      diff.push(`${old.owner}: event ${e.eventId} (${e.action} of ${e.entity})${again} at seq ${e.seq}`);
    }
    failures.push(
      ...(diff.length > 0 ? diff : [`${old.owner}: the snapshot changed (same entities, same event count)`]),
    );
  }
  return verdict(name, capped(failures), [], {
    ok: `${before.length} snapshots unchanged after ${options.rounds} more sync round(s)`,
    failed: `syncing ${options.rounds} more round(s) changed the state`,
  });
}
