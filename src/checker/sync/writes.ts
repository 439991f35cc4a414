/**
 * Verifiers of what the actors wrote: `readYourWrites` and `fieldLevelMerge`.
 *
 * `readYourWrites` takes the chaos engine's model (who created what);
 * `fieldLevelMerge` takes either the events' causal clocks (per field, the
 * write with the greatest clock must be the value the state shows: a
 * concurrent update of another field must survive) or, in a targeted
 * scenario, the values that must have survived.
 */
import {
  canonicalJson,
  capped,
  type SyncSnapshot,
  shown,
  unknown,
  type VerificationResult,
  verdict,
} from "./snapshot.js";

/** An entity an actor created, per the model (an op that succeeded). */
export interface CreatedEntity {
  readonly actor: string;
  readonly entity: string;
}

/** After sync, each actor's snapshot holds every entity that actor created. */
export function verifyReadYourWrites(
  snapshots: readonly SyncSnapshot[],
  created: readonly CreatedEntity[],
): VerificationResult {
  const name = "readYourWrites";
  if (created.length === 0) return unknown(name, "the model has no created entity to look for");
  const failures: string[] = [];
  let checked = 0;
  for (const { actor, entity } of created) {
    const snapshot = snapshots.find((s) => s.owner === actor);
    if (snapshot === undefined) {
      failures.push(`${actor}: no snapshot, so its write of ${entity} cannot be read`);
      continue;
    }
    checked++;
    if (snapshot.entities[entity] === undefined)
      failures.push(`${actor} created ${entity} but does not see it`);
  }
  return verdict(name, capped(failures), [], {
    ok: `${checked} created entities each seen by its creator`,
    failed: `an actor does not see what it wrote (${failures.length})`,
  });
}

export interface FieldLevelMergeOptions {
  /**
   * Values that must have survived, by entity and field (a scenario that made
   * two actors update different fields concurrently knows them). Without it,
   * the expected values come from the snapshots' events and their clocks.
   */
  readonly expected?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Every snapshot's entities show, for every field, the value of the write
 * that should have won: the given `expected` value, or else the value of the
 * event with the greatest `clock` that set the field. A whole-row
 * last-writer-wins merge loses a concurrent update of another field; a merge
 * by skewed wall clocks lets an older write win; both show up here by
 * entity and field.
 */
export function verifyFieldLevelMerge(
  snapshots: readonly SyncSnapshot[],
  options: FieldLevelMergeOptions = {},
): VerificationResult {
  const name = "fieldLevelMerge";
  if (snapshots.length === 0) return unknown(name, "no snapshots");
  const failures: string[] = [];
  let checked = 0;
  for (const snapshot of snapshots) {
    const expected = options.expected ? givenExpectation(options.expected) : expectedFromEvents(snapshot);
    if (expected === undefined)
      return unknown(name, `the snapshot of ${snapshot.owner} has no clocked events`);
    for (const [entity, fields] of Object.entries(expected)) {
      const row = snapshot.entities[entity];
      if (row === undefined) continue; // An entity that was never created: convergence and readYourWrites judge that.
      for (const [field, { value, why }] of Object.entries(fields)) {
        checked++;
        if (canonicalJson(row[field]) !== canonicalJson(value)) {
          failures.push(
            `${snapshot.owner}: entity ${entity} field ${field} is ${shown(row[field])}, expected ${shown(value)} (${why})`,
          );
        }
      }
    }
  }
  if (checked === 0) return unknown(name, "no field of an existing entity to check");
  return verdict(name, capped(failures), [], {
    ok: `${checked} fields hold the write that should win`,
    failed: `a field lost the write that should have won (${failures.length})`,
  });
}

type Expectation = Record<string, Record<string, { value: unknown; why: string }>>;

function givenExpectation(expected: NonNullable<FieldLevelMergeOptions["expected"]>): Expectation {
  return Object.fromEntries(
    Object.entries(expected).map(([entity, fields]) => [
      entity,
      Object.fromEntries(
        Object.entries(fields).map(([f, value]) => [f, { value, why: "the scenario wrote it" }]),
      ),
    ]),
  );
}

/** Per entity and field, the greatest-clock event's value and a note saying which event it was. */
function expectedFromEvents(snapshot: SyncSnapshot): Expectation | undefined {
  const events = snapshot.events?.filter((e) => e.clock !== undefined && e.fields !== undefined) ?? [];
  if (events.length === 0) return undefined;
  const best: Record<string, Record<string, { value: unknown; clock: string; why: string }>> = {};
  for (const event of events) {
    const row = best[event.entity] ?? {};
    best[event.entity] = row;
    for (const [field, value] of Object.entries(event.fields!)) {
      const current = row[field];
      if (current === undefined || event.clock! > current.clock) {
        row[field] = {
          value,
          clock: event.clock!,
          why: `the latest write is ${event.eventId} by ${event.actor ?? "?"} at clock ${event.clock}`,
        };
      }
    }
  }
  return best;
}
